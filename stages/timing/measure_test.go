package timing

import (
	"context"
	"testing"
)

// TestMeasureNoWarmup: warmup 0 and no minimum duration run no warm-up at
// all; the first run is the first timed sample.
func TestMeasureNoWarmup(t *testing.T) {
	calls := 0
	run := func() error { calls++; return nil }
	m, err := measure(context.Background(), run, 0, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Warmup != 0 || len(m.SamplesMs) != 3 || calls != 3 {
		t.Errorf("warmup %d, %d samples, %d calls; want 0, 3, 3", m.Warmup, len(m.SamplesMs), calls)
	}
	if m.FirstRunMs != m.SamplesMs[0] {
		t.Errorf("first run %v ms, want the first sample %v ms", m.FirstRunMs, m.SamplesMs[0])
	}
}
