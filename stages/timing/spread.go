package timing

import (
	"math"
	"sort"
)

// ProcessSpread is how far apart the row's first two processes (attempts 1
// and 2, a pass over the models apart) timed the cell: the larger of their
// medians over the smaller, less one (0.2: 20 % apart). Every sample of
// either process counts, loaded or slow rounds included, so the spread
// shows how well the host reproduces its own timings. ok is false when the
// row holds samples of fewer than two processes.
func (r Row) ProcessSpread() (spread float64, ok bool) {
	var a, b []float64
	for _, rd := range r.rounds() {
		switch rd.Attempt {
		case 1:
			a = append(a, rd.SamplesMs...)
		case 2:
			b = append(b, rd.SamplesMs...)
		}
	}
	if len(a) == 0 || len(b) == 0 {
		return 0, false
	}
	ma, mb := median(a), median(b)
	if !(ma > 0) || !(mb > 0) {
		return 0, false
	}
	return math.Max(ma, mb)/math.Min(ma, mb) - 1, true
}

// median is the median of xs (interpolated, as quantile), which it leaves
// in their order.
func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return quantile(s, 0.5)
}
