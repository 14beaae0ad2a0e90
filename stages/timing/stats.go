package timing

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"golang.org/x/perf/benchmath"
)

// Thresholds for the warnings attached to a row.
const (
	// MaxCV is the coefficient of variation above which the spread is called large.
	MaxCV = 0.10
	// MinSamples is the sample count below which a row is flagged as having few samples.
	MinSamples = 10
	// ciLevel is the confidence level of the median's interval.
	ciLevel = 0.95
)

// Stats summarises the latency samples of one batch size, in milliseconds.
type Stats struct {
	N                     int
	Median, P90, P99, Min float64
	Max, Mean, StdDev     float64
	// CILow and CIHigh bound the median at 95% confidence (distribution-free,
	// from benchmath.AssumeNothing); NaN when there are too few samples.
	CILow, CIHigh float64
	// CV is the coefficient of variation, StdDev/Mean.
	CV float64
	// Warnings are large spread, few samples and benchmath's own warnings.
	Warnings []string
}

// Summarize computes Stats from latency samples in milliseconds. It does not
// modify samples.
func Summarize(samples []float64) (Stats, error) {
	if len(samples) == 0 {
		return Stats{}, errors.New("timing: no samples to summarise")
	}
	xs := append([]float64(nil), samples...)
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			return Stats{}, fmt.Errorf("timing: invalid latency sample %v", x)
		}
	}
	sort.Float64s(xs)
	s := Stats{N: len(xs), Min: xs[0], Max: xs[len(xs)-1]}
	s.P90 = quantile(xs, 0.90)
	s.P99 = quantile(xs, 0.99)
	var sum float64
	for _, x := range xs {
		sum += x
	}
	s.Mean = sum / float64(len(xs))
	if len(xs) > 1 {
		var ss float64
		for _, x := range xs {
			ss += (x - s.Mean) * (x - s.Mean)
		}
		s.StdDev = math.Sqrt(ss / float64(len(xs)-1))
	}
	if s.Mean > 0 {
		s.CV = s.StdDev / s.Mean
	}
	sum95 := benchmath.AssumeNothing.Summary(benchmath.NewSample(xs, &benchmath.DefaultThresholds), ciLevel)
	s.Median, s.CILow, s.CIHigh = sum95.Center, sum95.Lo, sum95.Hi
	if math.IsInf(s.CILow, 0) || math.IsInf(s.CIHigh, 0) {
		s.CILow, s.CIHigh = math.NaN(), math.NaN()
	}
	if s.CV > MaxCV {
		s.Warnings = append(s.Warnings, fmt.Sprintf("large spread: coefficient of variation %.1f%% > %.0f%%", 100*s.CV, 100*MaxCV))
	}
	if s.N < MinSamples {
		s.Warnings = append(s.Warnings, fmt.Sprintf("few samples: %d < %d", s.N, MinSamples))
	}
	for _, w := range sum95.Warnings {
		s.Warnings = append(s.Warnings, w.Error())
	}
	return s, nil
}

// quantile is the q-quantile of sorted xs by linear interpolation between
// order statistics (Hyndman and Fan type 7, numpy's default).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 1 {
		return xs[0]
	}
	h := q * float64(len(xs)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(xs) {
		return xs[len(xs)-1]
	}
	return xs[i] + (h-lo)*(xs[i+1]-xs[i])
}
