package zoo

// inceptionArchs lists the inception family. (To be written.)
func inceptionArchs() []Arch { return nil }
