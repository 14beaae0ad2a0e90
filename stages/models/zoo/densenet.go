package zoo

// densenetArchs lists the densenet family. (To be written.)
func densenetArchs() []Arch { return nil }
