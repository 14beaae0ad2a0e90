package zoo

// senetArchs lists the senet family. (To be written.)
func senetArchs() []Arch { return nil }
