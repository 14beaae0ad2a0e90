package analyse

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// Verdicts of a re-tested finding.
const (
	Supported       = "supported"
	PartlySupported = "partly supported"
	Contradicted    = "contradicted"
	NotEnoughData   = "not enough data"
	// NotComparable marks a finding whose quantity this data does not measure
	// the way the paper did (Evidence says why).
	NotComparable = "not comparable"
)

// VerdictRule is how every finding's verdict follows from its statistic; the
// report prints it.
const VerdictRule = "each finding is tested by one statistic compared with a stated threshold. " +
	"The statistic's 95% interval is a percentile bootstrap over the models (2000 resamples, fixed seed, so reruns give the same interval) " +
	"or, for shares of models, a Wilson score interval. " +
	"The verdict is supported when the whole interval lies on the claim's side of the threshold, contradicted when it lies wholly on the other side, " +
	"and partly supported when it contains the threshold; a finding tested per device is supported (contradicted) when every tested device supports (contradicts) it, " +
	"and partly supported otherwise. A bootstrap needs at least 5 models; with fewer, or without the devices a finding contrasts, the verdict is not enough data, " +
	"and a finding whose quantity no device here measures as the paper did is not comparable. " +
	"Finding 8 goes beyond the paper: its verdict is observation, a statement of what the data shows under its stated rule"

const (
	// minModels is the fewest models a bootstrap interval is computed from.
	minModels = 5
	// resamples is the number of bootstrap resamples.
	resamples = 2000
	// bootstrapSeed seeds every bootstrap, so the intervals are reproducible.
	bootstrapSeed = 20180101
)

// estimate is a statistic with its 95% interval.
type estimate struct {
	value, lo, hi float64
	n             int
}

func (e estimate) String() string {
	return fmt.Sprintf("%.2f (95%% interval %.2f to %.2f, %d models)", e.value, e.lo, e.hi, e.n)
}

// rule compares an estimate with a threshold; the claim holds on the side
// below the threshold when below is true, at or above it otherwise.
type rule struct {
	threshold float64
	below     bool
}

func (r rule) verdict(e estimate) string {
	if r.below {
		switch {
		case e.hi < r.threshold:
			return Supported
		case e.lo >= r.threshold:
			return Contradicted
		}
		return PartlySupported
	}
	switch {
	case e.lo >= r.threshold:
		return Supported
	case e.hi < r.threshold:
		return Contradicted
	}
	return PartlySupported
}

// combine merges per-device verdicts: supported or contradicted when every
// tested device agrees, partly supported otherwise, not enough data when no
// device could be tested.
func combine(vs []string) string {
	if len(vs) == 0 {
		return NotEnoughData
	}
	for _, v := range vs[1:] {
		if v != vs[0] {
			return PartlySupported
		}
	}
	return vs[0]
}

// bootstrap estimates f over the n models and its 95% percentile interval
// from resamples of the models' indices. Resamples where f is undefined (NaN)
// are dropped; ok is false when f is undefined on all the data or on more
// than half of the resamples.
func bootstrap(n int, f func(idx []int) float64) (e estimate, ok bool) {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	e = estimate{value: f(all), n: n}
	if n < minModels || math.IsNaN(e.value) {
		return e, false
	}
	rng := rand.New(rand.NewPCG(bootstrapSeed, bootstrapSeed))
	idx := make([]int, n)
	vals := make([]float64, 0, resamples)
	for range resamples {
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
		if v := f(idx); !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) < resamples/2 {
		return e, false
	}
	sort.Float64s(vals)
	e.lo = stat.Quantile(0.025, stat.Empirical, vals, nil)
	e.hi = stat.Quantile(0.975, stat.Empirical, vals, nil)
	return e, true
}

// wilson is the share k/n with its 95% Wilson score interval.
func wilson(k, n int) estimate {
	const z = 1.959963984540054
	p, nf := float64(k)/float64(n), float64(n)
	d := 1 + z*z/nf
	c := (p + z*z/(2*nf)) / d
	h := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	return estimate{value: p, lo: math.Max(0, c-h), hi: math.Min(1, c+h), n: n}
}

// pick returns v[idx[0]], v[idx[1]], ….
func pick(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out
}
