package zoo

// mnasnetArchs lists the mnasnet family. (To be written.)
func mnasnetArchs() []Arch { return nil }
