package analyse

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// memoryFits fits total memory at batch 1 (bytes) on parameters, per device.
func memoryFits(dms []DeviceModelRow, devices []string) []FitRow {
	var rows []FitRow
	for _, d := range devices {
		var x, y []float64
		for _, r := range dms {
			if r.Device == d && r.MemoryStatus == StatusOK {
				x = append(x, float64(r.Params))
				y = append(y, float64(r.PeakBytes))
			}
		}
		rows = append(rows, linearFit(d, x, y))
	}
	return rows
}

// linearFit is ordinary least squares of y on x with R².
func linearFit(device string, x, y []float64) FitRow {
	f := FitRow{Device: device, N: len(x)}
	if len(x) < 3 {
		f.Note = "fewer than 3 models with a batch-1 memory measurement"
		return f
	}
	if stat.Variance(x, nil) == 0 {
		f.Note = "all models have the same number of parameters"
		return f
	}
	f.Intercept, f.Slope = stat.LinearRegression(x, y, nil, false)
	f.R2 = stat.RSquared(x, y, nil, f.Intercept, f.Slope)
	if math.IsNaN(f.R2) {
		f.R2 = 0
		f.Note = "all models use the same memory"
	}
	return f
}

// ranks returns 1-based ranks with ties given their average rank.
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

// spearman is Pearson's correlation of the ranks; NaN when undefined.
func spearman(x, y []float64) float64 {
	if len(x) < 3 {
		return math.NaN()
	}
	rx, ry := ranks(x), ranks(y)
	if stat.Variance(rx, nil) == 0 || stat.Variance(ry, nil) == 0 {
		return math.NaN()
	}
	return stat.Correlation(rx, ry, nil)
}

func correlationRow(device, with string, x, y []float64) CorrelationRow {
	c := CorrelationRow{Device: device, With: with, N: len(x)}
	rho := spearman(x, y)
	if math.IsNaN(rho) {
		c.Note = "undefined: fewer than 3 models or no variation"
		return c
	}
	c.Rho = rho
	return c
}

// correlations gives Spearman's ρ of top-1 with FLOPs, with parameters and, per device, with batch-1 FPS.
func correlations(ms []ModelRow, dms []DeviceModelRow, devices []string) []CorrelationRow {
	var acc, fl, pa []float64
	for _, m := range ms {
		if m.HasAccuracy {
			acc = append(acc, m.Top1)
			fl = append(fl, float64(m.FLOPs))
			pa = append(pa, float64(m.Params))
		}
	}
	rows := []CorrelationRow{
		correlationRow("", "flops", fl, acc),
		correlationRow("", "params", pa, acc),
	}
	for _, d := range devices {
		var a, f []float64
		for _, r := range dms {
			if r.Device == d && r.HasAccuracy && r.TimingStatus == StatusOK {
				a = append(a, r.Top1)
				f = append(f, r.FPS)
			}
		}
		rows = append(rows, correlationRow(d, "fps_b1", f, a))
	}
	return rows
}

// pearsonR2 is the squared Pearson correlation; NaN when undefined.
func pearsonR2(x, y []float64) float64 {
	if len(x) < 3 || stat.Variance(x, nil) == 0 || stat.Variance(y, nil) == 0 {
		return math.NaN()
	}
	r := stat.Correlation(x, y, nil)
	return r * r
}
