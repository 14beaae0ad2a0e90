package accuracy

import (
	"fmt"
	"strconv"
	"strings"

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

// ParsePreprocess builds a Preprocess from the models stage's columns:
// mean and std as three space- or slash-separated numbers, channels "rgb"
// or "bgr", interpolation "bilinear" or "bicubic", scale 1 or 255.
func ParsePreprocess(resize, crop int64, interpolation, mean, std, channels string, scale float64) (Preprocess, error) {
	p := Preprocess{Resize: int(resize), Crop: int(crop), Interpolation: interpolation, Scale: scale}
	var err error
	if p.Mean, err = parseTriple(mean); err != nil {
		return Preprocess{}, fmt.Errorf("accuracy: preprocess mean: %w", err)
	}
	if p.Std, err = parseTriple(std); err != nil {
		return Preprocess{}, fmt.Errorf("accuracy: preprocess std: %w", err)
	}
	switch strings.ToLower(channels) {
	case "rgb", "":
	case "bgr":
		p.BGR = true
	default:
		return Preprocess{}, fmt.Errorf("accuracy: preprocess channels %q: want rgb or bgr", channels)
	}
	if err := p.Validate(); err != nil {
		return Preprocess{}, err
	}
	return p, nil
}

func parseTriple(s string) ([3]float64, error) {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '/' || r == ',' })
	var out [3]float64
	if len(f) != 3 {
		return out, fmt.Errorf("%q: want three numbers", s)
	}
	for i, v := range f {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return out, fmt.Errorf("%q: %w", s, err)
		}
		out[i] = x
	}
	return out, nil
}
