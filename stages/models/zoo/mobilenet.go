package zoo

// mobilenetArchs lists the mobilenet family. (To be written.)
func mobilenetArchs() []Arch { return nil }
