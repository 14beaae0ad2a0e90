package timing

import (
	"math"
	"testing"
)

func TestProcessSpread(t *testing.T) {
	// Rounds 0 and 1 are process 1 (median 10), round 2 process 2 (median
	// 12.5), round 3 a re-measurement (attempt 3) that must not count.
	r := Row{
		RoundAttempt: []int64{1, 1, 2, 3},
		SamplesMs:    []float64{10, 9, 11, 10, 12, 13, 12.5, 1},
		SampleRound:  []int64{0, 0, 0, 1, 2, 2, 2, 3},
	}
	got, ok := r.ProcessSpread()
	if !ok || math.Abs(got-0.25) > 1e-12 {
		t.Errorf("ProcessSpread = %v, %v; want 0.25, true", got, ok)
	}
	// The order of the processes does not matter.
	r.RoundAttempt = []int64{2, 2, 1, 3}
	if got, ok := r.ProcessSpread(); !ok || math.Abs(got-0.25) > 1e-12 {
		t.Errorf("swapped: ProcessSpread = %v, %v; want 0.25, true", got, ok)
	}
	// One process only: no spread.
	one := Row{RoundAttempt: []int64{1, 1}, SamplesMs: []float64{5, 6}, SampleRound: []int64{0, 1}}
	if got, ok := one.ProcessSpread(); ok {
		t.Errorf("one process: ProcessSpread = %v, true; want false", got)
	}
}
