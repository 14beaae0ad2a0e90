package zoo

// efficientnetArchs lists the efficientnet family. (To be written.)
func efficientnetArchs() []Arch { return nil }
