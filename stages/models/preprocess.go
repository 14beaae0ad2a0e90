package models

import (
	"encoding/csv"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/dnnbench/dnnbench/internal/preprocess"
)

// imagenetMean and imagenetStd are torchvision's normalisation.
var (
	imagenetMean  = [3]float64{0.485, 0.456, 0.406}
	imagenetStd   = [3]float64{0.229, 0.224, 0.225}
	inceptionMean = [3]float64{0.5, 0.5, 0.5}
	// dpnMean and dpnStd are timm's IMAGENET_DPN_MEAN/STD.
	dpnMean = [3]float64{124 / 255.0, 117 / 255.0, 104 / 255.0}
	dpnStd  = [3]float64{1 / (0.0167 * 255), 1 / (0.0167 * 255), 1 / (0.0167 * 255)}
)

// timmNorm gives the normalisation timm's pretrained config uses for a model
// whose mean/std differ from ImageNet's (TF ports use 0.5/0.5).
func timmNorm(model string) (mean, std [3]float64) {
	switch {
	case strings.HasPrefix(model, "legacy_xception"), strings.HasPrefix(model, "inception_v4"),
		strings.HasPrefix(model, "inception_resnet_v2"), strings.HasPrefix(model, "nasnetalarge"):
		return inceptionMean, inceptionMean
	case strings.HasPrefix(model, "dpn"):
		return dpnMean, dpnStd
	}
	return imagenetMean, imagenetStd
}

// ReferencePreprocess derives preprocessing from a published reference:
// torchvision rows give resize, crop, interpolation, mean and std; timm rows
// give the input size and crop_pct (resize = floor(size / crop_pct)); zoo
// rows give the ONNX Model Zoo's published pipeline: a shorter side or a
// W×H squash, a crop or none, and the layout.
func ReferencePreprocess(ref fs.FS, reference string) (preprocess.Spec, error) {
	src, key, ok := strings.Cut(reference, ":")
	if !ok {
		return preprocess.Spec{}, fmt.Errorf("models: reference %q must be torchvision:<weights>, timm:<model>, paper:<model> or zoo:<file stem>", reference)
	}
	p := preprocess.Spec{Interpolation: "bilinear", Mean: imagenetMean, Std: imagenetStd, Scale: 1}
	switch src {
	case "torchvision":
		row, err := findRow(ref, "reference/torchvision.csv", "name", key)
		if err != nil {
			return preprocess.Spec{}, err
		}
		if p.Resize, err = strconv.Atoi(row["resize_size"]); err != nil {
			return preprocess.Spec{}, fmt.Errorf("models: torchvision %s resize_size: %w", key, err)
		}
		if p.Crop, err = strconv.Atoi(row["crop_size"]); err != nil {
			return preprocess.Spec{}, fmt.Errorf("models: torchvision %s crop_size: %w", key, err)
		}
		p.Interpolation = row["interpolation"]
		if err := setNorm(&p, row, "/"); err != nil {
			return preprocess.Spec{}, err
		}
	case "timm":
		row, err := findRow(ref, "reference/timm_results_imagenet.csv", "model", key)
		if err != nil {
			return preprocess.Spec{}, err
		}
		size, err1 := strconv.ParseFloat(row["img_size"], 64)
		pct, err2 := strconv.ParseFloat(row["crop_pct"], 64)
		if err1 != nil || err2 != nil || pct <= 0 {
			return preprocess.Spec{}, fmt.Errorf("models: timm %s: bad img_size/crop_pct", key)
		}
		p.Crop = int(size)
		p.Resize = int(math.Floor(size / pct))
		p.Interpolation = row["interpolation"]
		p.Mean, p.Std = timmNorm(key)
	case "paper":
		row, err := findRow(ref, "reference/paper_preprocessing.csv", "model", key)
		if err != nil {
			return preprocess.Spec{}, err
		}
		crop, err1 := strconv.Atoi(row["crop_size"])
		resize, err2 := strconv.Atoi(row["resize_shorter_side"])
		scale, err3 := strconv.ParseFloat(row["input_range_max"], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return preprocess.Spec{}, fmt.Errorf("models: paper %s: bad crop/resize/range", key)
		}
		p.Crop, p.Resize, p.Scale = crop, resize, scale
		if err := setColour(&p, row, "paper "+key, "input_space"); err != nil {
			return preprocess.Spec{}, err
		}
	case "zoo":
		row, err := findRow(ref, "reference/zoo.csv", "model", key)
		if err != nil {
			return preprocess.Spec{}, err
		}
		side, sw, sh, err := preprocess.ParseResize(row["resize"]) // "256" or a "256x256" squash
		if err != nil {
			return preprocess.Spec{}, fmt.Errorf("models: zoo %s: %w", key, err)
		}
		cropN := 0 // no crop: the squashed image is the input
		if row["crop"] != "" {
			if cropN, err = strconv.Atoi(row["crop"]); err != nil {
				return preprocess.Spec{}, fmt.Errorf("models: zoo %s: crop %q: %w", key, row["crop"], err)
			}
		}
		scale, err := strconv.ParseFloat(row["scale"], 64)
		if err != nil {
			return preprocess.Spec{}, fmt.Errorf("models: zoo %s: scale %q: %w", key, row["scale"], err)
		}
		p.Resize, p.SquashWidth, p.SquashHeight, p.Crop, p.Scale = side, sw, sh, cropN, scale
		switch l := row["layout"]; l {
		case "nchw":
		case "nhwc":
			p.NHWC = true
		default:
			return preprocess.Spec{}, fmt.Errorf("models: zoo %s: layout %q: want nchw or nhwc", key, l)
		}
		p.Interpolation = row["interpolation"]
		if err := setColour(&p, row, "zoo "+key, "channels"); err != nil {
			return preprocess.Spec{}, err
		}
	default:
		return preprocess.Spec{}, fmt.Errorf("models: reference %q: unknown source %q (want torchvision, timm, paper or zoo)", reference, src)
	}
	return p, nil
}

// setColour sets p's channel order from row's column col ("rgb" or "bgr",
// in any case) and its mean and std from row's space-separated "mean" and
// "std" columns. The error names the reference as where.
func setColour(p *preprocess.Spec, row map[string]string, where, col string) error {
	switch order := row[col]; strings.ToLower(order) {
	case "rgb":
	case "bgr":
		p.BGR = true
	default:
		return fmt.Errorf("models: %s: %s %q: want rgb or bgr", where, col, order)
	}
	return setNorm(p, row, " ")
}

// setNorm sets p's mean and std from row's "mean" and "std" columns, three
// values each, separated by sep.
func setNorm(p *preprocess.Spec, row map[string]string, sep string) error {
	var err error
	if p.Mean, err = triple(row["mean"], sep); err != nil {
		return err
	}
	p.Std, err = triple(row["std"], sep)
	return err
}

// triple parses three values separated by sep.
func triple(s, sep string) ([3]float64, error) {
	parts := strings.Split(strings.TrimSpace(s), sep)
	var out [3]float64
	if len(parts) != 3 {
		return out, fmt.Errorf("models: %q is not three values", s)
	}
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return out, fmt.Errorf("models: %q: %w", s, err)
		}
		out[i] = v
	}
	return out, nil
}

// findRow returns the first row of a reference CSV whose column equals key.
func findRow(ref fs.FS, file, column, key string) (map[string]string, error) {
	f, err := ref.Open(file)
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", file, err)
	}
	col := -1
	for i, h := range recs[0] {
		if h == column {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("models: %s has no column %q", file, column)
	}
	for _, r := range recs[1:] {
		if r[col] == key {
			m := map[string]string{}
			for i, h := range recs[0] {
				m[h] = r[i]
			}
			return m, nil
		}
	}
	return nil, fmt.Errorf("models: no row %q in %s", key, file)
}

func fmtTriple(v [3]float64) string {
	return strings.Join([]string{fmtF(v[0]), fmtF(v[1]), fmtF(v[2])}, " ")
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
