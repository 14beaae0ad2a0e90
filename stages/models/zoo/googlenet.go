package zoo

// googlenetArchs lists the googlenet family. (To be written.)
func googlenetArchs() []Arch { return nil }
