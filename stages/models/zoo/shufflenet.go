package zoo

// shufflenetArchs lists the shufflenet family. (To be written.)
func shufflenetArchs() []Arch { return nil }
