package zoo

// vggArchs lists the vgg family. (To be written.)
func vggArchs() []Arch { return nil }
