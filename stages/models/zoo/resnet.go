package zoo

// resnetArchs lists the resnet family. (To be written.)
func resnetArchs() []Arch { return nil }
