package accuracy

import (
	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/stages/accuracy/dataset"
)

// CheckDataset lists the dataset folder (any of the three layouts), takes
// the same subset a run with this limit scores, and reports the number of
// images, the classes present and the files that are missing or are not
// JPEG/PNG. Warnings are the listing's (ignored folders and files).
func CheckDataset(dir string, limit int) (dataset.Report, []string, error) {
	classes, err := dataset.LoadClasses(configs.FS)
	if err != nil {
		return dataset.Report{}, nil, err
	}
	ds, err := dataset.Open(dir, classes)
	if err != nil {
		return dataset.Report{}, nil, err
	}
	rep, err := ds.Check(ds.Subset(limit))
	return rep, ds.Warnings, err
}
