package zoo

// vitArchs lists the vit family. (To be written.)
func vitArchs() []Arch { return nil }
