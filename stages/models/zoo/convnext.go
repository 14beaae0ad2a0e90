package zoo

// convnextArchs lists the convnext family. (To be written.)
func convnextArchs() []Arch { return nil }
