package zoo

// regnetArchs lists the regnet family. (To be written.)
func regnetArchs() []Arch { return nil }
