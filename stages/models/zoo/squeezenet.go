package zoo

// squeezenetArchs lists the squeezenet family. (To be written.)
func squeezenetArchs() []Arch { return nil }
