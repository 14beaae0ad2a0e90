package config

import (
	"fmt"
	"strconv"
	"strings"
)

// CheckNormalisation reports a mean or std whose units contradict scale.
// With scale 1 (pixels in 0–1, torchvision) no mean or std value exceeds 1;
// with scale 255 (raw levels 0–255, Caffe) the mean is not all fractions of
// at most 1 (unless all zero) and the std is not below 1 everywhere. Scale 0
// means 1; a nil mean or std is not checked. The error spells out the fix.
func CheckNormalisation(mean, std []float64, scale float64) error {
	if scale == 0 {
		scale = 1
	}
	largest := func(v []float64) float64 {
		m := 0.0
		for _, x := range v {
			m = max(m, abs(x))
		}
		return m
	}
	var wrong, fixed []string
	note := func(name string, v []float64, factor float64) {
		wrong = append(wrong, fmt.Sprintf("%s %s", name, list(v, 1)))
		fixed = append(fixed, fmt.Sprintf("%s: %s", name, list(v, factor)))
	}
	switch scale {
	case 1:
		if len(mean) > 0 && largest(mean) > 1 {
			note("mean", mean, 1/255.0)
		}
		if len(std) > 0 && largest(std) > 1 {
			note("std", std, 1/255.0)
		}
		if len(wrong) > 0 {
			return fmt.Errorf("%s in 0–255 units, but scale 1 means pixels in 0–1: set scale: 255, or divide by 255 (%s)",
				strings.Join(wrong, " and "), strings.Join(fixed, ", "))
		}
	case 255:
		if m := largest(mean); len(mean) > 0 && m > 0 && m <= 1 {
			note("mean", mean, 255)
		}
		if len(std) > 0 && largest(std) < 1 {
			note("std", std, 255)
		}
		if len(wrong) > 0 {
			return fmt.Errorf("%s in 0–1 units, but scale 255 means raw pixel levels 0–255: set scale: 1, or multiply by 255 (%s)",
				strings.Join(wrong, " and "), strings.Join(fixed, ", "))
		}
	}
	return nil
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// list formats v times factor as a YAML list, rounded to 4 significant digits past the point.
func list(v []float64, factor float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(round(x*factor), 'f', -1, 64)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func round(x float64) float64 {
	const p = 1e4
	if x >= 0 {
		return float64(int64(x*p+0.5)) / p
	}
	return -float64(int64(-x*p+0.5)) / p
}
