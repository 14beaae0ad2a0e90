package timing

import (
	"runtime"
	"sort"
	"sync"
	"time"
)

// CanaryRuns is how many times the canary runs after each round; the
// round's canary time is their median, so one run slowed by the session's
// threads winding down does not count.
const CanaryRuns = 7

// CanaryPause is how long the canary waits after a round: ONNX Runtime's
// threads spin for a while after a Run, and a canary timed beside them
// measured them (1.2–1.8 ms against 0.9 ms alone right after the runs;
// back to 1.0 ms after 50–100 ms).
const CanaryPause = 100 * time.Millisecond

// CanaryBytes is the memory each canary thread streams through per run:
// larger than a core's L2, so the canary feels memory contention as well as
// a slower or preempted core.
const CanaryBytes = 4 << 20

// canaryFLOPs is the length of each canary thread's chain of dependent
// multiply-adds per run: about a millisecond on a 2020s core.
const canaryFLOPs = 1 << 20

// canary is a fixed task of arithmetic and memory traffic on as many
// threads as the session uses. Timed beside each round, it sees what
// /proc/stat cannot: a host that runs this virtual machine slower (CPU
// steal below the tick, frequency changes, neighbours on the memory bus).
// Its time depends only on the host, never on the model.
type canary struct {
	bufs [][]float64
	sink []float64
}

// newCanary makes a canary for threads threads (0: one per CPU, as ONNX
// Runtime's default intra-op pool).
func newCanary(threads int) *canary {
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	c := &canary{bufs: make([][]float64, threads), sink: make([]float64, threads)}
	for i := range c.bufs {
		c.bufs[i] = make([]float64, CanaryBytes/8)
		for j := range c.bufs[i] {
			c.bufs[i][j] = float64(j%7) * 0.25
		}
	}
	return c
}

// once runs the task on every thread and returns its wall time.
func (c *canary) once() time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	for i := range c.bufs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := 1.0
			for range canaryFLOPs {
				x = x*0.9999999 + 1e-7
			}
			s := 0.0
			for _, v := range c.bufs[i] {
				s += v
			}
			c.sink[i] = x + s
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// Canary waits CanaryPause, then runs the task CanaryRuns times and
// returns the median time.
func (c *canary) Canary() (time.Duration, bool) {
	time.Sleep(CanaryPause)
	ds := make([]time.Duration, CanaryRuns)
	for i := range ds {
		ds[i] = c.once()
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[CanaryRuns/2], true
}

// CanaryReference is the canary time rounds are judged against, from the
// canary times (ms) of a run's rounds so far: their lower decile (linear
// interpolation; the fastest when there are few), robust to the odd
// canary that runs fast by luck. NaN and non-positive times are ignored;
// 0 when none is left.
func CanaryReference(canaries []float64) float64 {
	var xs []float64
	for _, c := range canaries {
		if c > 0 {
			xs = append(xs, c)
		}
	}
	if len(xs) == 0 {
		return 0
	}
	sort.Float64s(xs)
	return quantile(xs, 0.1)
}

// LatestCanaries returns the canary times of the row's last attempt: what
// a sweep adds to the run's canaries (earlier attempts were added when
// they were measured).
func (r Row) LatestCanaries() []float64 {
	var out []float64
	for i, c := range r.RoundCanaryMs {
		if i < len(r.RoundAttempt) && r.RoundAttempt[i] == r.Attempts {
			out = append(out, c)
		}
	}
	return out
}
