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
const CanaryRuns = 5

// canaryBytes is the memory each canary thread streams through per run:
// larger than a core's L2, so the canary feels memory contention as well as
// a slower or preempted core.
const canaryBytes = 2 << 20

// canaryFLOPs is the length of each canary thread's chain of dependent
// multiply-adds per run: about half a millisecond on a 2020s core.
const canaryFLOPs = 1 << 19

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
		c.bufs[i] = make([]float64, canaryBytes/8)
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

// Canary runs the task CanaryRuns times and returns the median time.
func (c *canary) Canary() (time.Duration, bool) {
	ds := make([]time.Duration, CanaryRuns)
	for i := range ds {
		ds[i] = c.once()
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[CanaryRuns/2], true
}

// FastestCanary returns the fastest host canary time, in milliseconds,
// among rows' rounds and refMs (0 when none): the reference the next
// sweep's rows are judged against (Config.CanaryRefMs).
func FastestCanary(refMs float64, rows ...Row) float64 {
	for _, r := range rows {
		for _, c := range r.RoundCanaryMs {
			if c > 0 && (refMs <= 0 || c < refMs) {
				refMs = c
			}
		}
	}
	return refMs
}
