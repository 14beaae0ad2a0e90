package timing

import (
	"context"
	"time"
)

// maxSamples bounds the samples kept per batch size for very fast models.
const maxSamples = 100000

// measured is what one batch size yields in the worker.
type measured struct {
	// FirstRunMs is the first Run at this batch size, in milliseconds.
	FirstRunMs float64
	// Warmup is the number of warm-up runs done, the first included.
	Warmup int
	// SamplesMs are the timed runs' latencies in milliseconds.
	SamplesMs []float64
}

// measure runs run: warm-up until at least warmup runs and minDur have
// passed (the first run is timed and kept apart), then timed runs until at
// least runs samples and minDur. With no warm-up (warmup and minDur 0) the
// first run is the first timed run. Only run is inside the timed interval.
func measure(ctx context.Context, run func() error, warmup, runs int, minDur time.Duration) (measured, error) {
	var m measured
	t0 := time.Now()
	for m.Warmup < warmup || time.Since(t0) < minDur {
		if err := ctx.Err(); err != nil {
			return m, err
		}
		start := time.Now()
		if err := run(); err != nil {
			return m, err
		}
		if m.Warmup == 0 {
			m.FirstRunMs = ms(time.Since(start))
		}
		m.Warmup++
	}
	m.SamplesMs = make([]float64, 0, runs)
	var total time.Duration
	for len(m.SamplesMs) < runs || total < minDur {
		if len(m.SamplesMs) >= maxSamples {
			break
		}
		if err := ctx.Err(); err != nil {
			return m, err
		}
		start := time.Now()
		err := run()
		d := time.Since(start)
		if err != nil {
			return m, err
		}
		total += d
		if m.Warmup == 0 && len(m.SamplesMs) == 0 {
			m.FirstRunMs = ms(d)
		}
		m.SamplesMs = append(m.SamplesMs, ms(d))
	}
	return m, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
