package zoo

// dpnArchs lists the dpn family. (To be written.)
func dpnArchs() []Arch { return nil }
