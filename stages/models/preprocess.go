package models

import (
	"encoding/csv"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"
)

// Preprocess is how images become a model's input.
type Preprocess struct {
	// Resize is the shorter side after resizing, in pixels.
	Resize int64
	// Crop is the square crop, in pixels.
	Crop int64
	// Interpolation is "bilinear" or "bicubic".
	Interpolation string
	// Mean and Std are per channel, in the range given by Scale.
	Mean, Std [3]float64
	// ColorOrder is "rgb" or "bgr".
	ColorOrder string
	// Scale is the pixel maximum before normalisation: 1 or 255.
	Scale float64
}

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
// rows give the ONNX Model Zoo's published pipeline, a W×H squash taken as
// a shorter side of W and no crop as a crop of the whole resized image,
// until Preprocess can express them.
func ReferencePreprocess(ref fs.FS, reference string) (Preprocess, error) {
	src, key, ok := strings.Cut(reference, ":")
	if !ok {
		return Preprocess{}, fmt.Errorf("models: reference %q must be torchvision:<weights>, timm:<model>, paper:<model> or zoo:<file stem>", reference)
	}
	p := Preprocess{Interpolation: "bilinear", Mean: imagenetMean, Std: imagenetStd, ColorOrder: "rgb", Scale: 1}
	switch src {
	case "torchvision":
		row, err := findRow(ref, "reference/torchvision.csv", "name", key)
		if err != nil {
			return Preprocess{}, err
		}
		if p.Resize, err = strconv.ParseInt(row["resize_size"], 10, 64); err != nil {
			return Preprocess{}, fmt.Errorf("models: torchvision %s resize_size: %w", key, err)
		}
		if p.Crop, err = strconv.ParseInt(row["crop_size"], 10, 64); err != nil {
			return Preprocess{}, fmt.Errorf("models: torchvision %s crop_size: %w", key, err)
		}
		p.Interpolation = row["interpolation"]
		if p.Mean, err = triple(row["mean"], "/"); err != nil {
			return Preprocess{}, err
		}
		if p.Std, err = triple(row["std"], "/"); err != nil {
			return Preprocess{}, err
		}
	case "timm":
		row, err := findRow(ref, "reference/timm_results_imagenet.csv", "model", key)
		if err != nil {
			return Preprocess{}, err
		}
		size, err1 := strconv.ParseFloat(row["img_size"], 64)
		pct, err2 := strconv.ParseFloat(row["crop_pct"], 64)
		if err1 != nil || err2 != nil || pct <= 0 {
			return Preprocess{}, fmt.Errorf("models: timm %s: bad img_size/crop_pct", key)
		}
		p.Crop = int64(size)
		p.Resize = int64(math.Floor(size / pct))
		p.Interpolation = row["interpolation"]
		p.Mean, p.Std = timmNorm(key)
	case "paper":
		row, err := findRow(ref, "reference/paper_preprocessing.csv", "model", key)
		if err != nil {
			return Preprocess{}, err
		}
		crop, err1 := strconv.ParseInt(row["crop_size"], 10, 64)
		resize, err2 := strconv.ParseInt(row["resize_shorter_side"], 10, 64)
		scale, err3 := strconv.ParseFloat(row["input_range_max"], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return Preprocess{}, fmt.Errorf("models: paper %s: bad crop/resize/range", key)
		}
		p.Crop, p.Resize, p.Scale = crop, resize, scale
		p.ColorOrder = strings.ToLower(row["input_space"])
		if p.Mean, err = triple(row["mean"], " "); err != nil {
			return Preprocess{}, err
		}
		if p.Std, err = triple(row["std"], " "); err != nil {
			return Preprocess{}, err
		}
	case "zoo":
		row, err := findRow(ref, "reference/zoo.csv", "model", key)
		if err != nil {
			return Preprocess{}, err
		}
		w, _, _ := strings.Cut(row["resize"], "x") // "256" or a "256x256" squash
		crop := row["crop"]
		if crop == "" {
			crop = w
		}
		resize, err1 := strconv.ParseInt(w, 10, 64)
		cropN, err2 := strconv.ParseInt(crop, 10, 64)
		scale, err3 := strconv.ParseFloat(row["scale"], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return Preprocess{}, fmt.Errorf("models: zoo %s: bad resize %q, crop %q or scale %q", key, row["resize"], row["crop"], row["scale"])
		}
		p.Resize, p.Crop, p.Scale = resize, cropN, scale
		p.Interpolation, p.ColorOrder = row["interpolation"], row["channels"]
		if p.Mean, err = triple(row["mean"], " "); err != nil {
			return Preprocess{}, err
		}
		if p.Std, err = triple(row["std"], " "); err != nil {
			return Preprocess{}, err
		}
	default:
		return Preprocess{}, fmt.Errorf("models: reference %q: unknown source %q (want torchvision, timm, paper or zoo)", reference, src)
	}
	return p, nil
}

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
