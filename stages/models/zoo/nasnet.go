package zoo

// nasnetArchs lists the nasnet family. (To be written.)
func nasnetArchs() []Arch { return nil }
