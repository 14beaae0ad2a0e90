package zoo

// xceptionArchs lists the xception family. (To be written.)
func xceptionArchs() []Arch { return nil }
