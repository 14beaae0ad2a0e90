package timing

import (
	"context"
	"math"
	"time"

	"github.com/dnnbench/dnnbench/internal/onnxrt"
)

// maxSamples bounds the samples kept per round of a batch size for very fast models.
const maxSamples = 100000

// probe is the measurement loop's clock and the host's CPU accounting.
// The worker uses hostProbe; tests script both to replay bursts of load.
type probe interface {
	// Now is the current time.
	Now() time.Time
	// OtherCPU is the CPU time, in seconds, used by every process other than
	// this one, counted from an arbitrary origin; ok is false when the host
	// does not say (then rounds carry no load).
	OtherCPU() (seconds float64, ok bool)
}

// waitProbe is a probe that reads how long this process's threads waited
// for a CPU (see hostProbe.RunWait); scripted tests may.
type waitProbe interface {
	// RunWait is the threads' summed run-queue wait in seconds from an
	// arbitrary origin; ok is false when the host does not say.
	RunWait() (seconds float64, ok bool)
}

// canaryProbe is a probe that can time the host canary (see canary): the
// worker's does, scripted tests may.
type canaryProbe interface {
	// Canary returns the canary's time; ok is false when there is none.
	Canary() (d time.Duration, ok bool)
}

// measured is what one batch size's warm-up yields in the worker, with its
// timed runs when measured in one go (measure).
type measured struct {
	// FirstRunMs is the first Run at this batch size, in milliseconds.
	FirstRunMs float64
	// Warmup is the number of warm-up runs done, the first included.
	Warmup int
	// SamplesMs are the timed runs' latencies in milliseconds.
	SamplesMs []float64
}

// chunk is one batch size's share of one round: consecutive timed runs.
type chunk struct {
	// SamplesMs are the latencies in milliseconds; StartsNs the Unix time of
	// each run's start, in nanoseconds.
	SamplesMs []float64
	StartsNs  []int64
	// OtherCPU is the CPU used by other processes during the chunk, in cores
	// (CPU seconds per wall second); NaN when the host does not say.
	OtherCPU float64
	// Wait is how long the worker's threads waited for a CPU during the
	// chunk, in thread-seconds per wall second; NaN when the host does not say.
	Wait float64
	// Joules is the energy the probe's meter read over the timed runs; NaN
	// without a meter, and EnergyErr says why a reading failed.
	Joules    float64
	EnergyErr string
	// CanaryMs is the host canary's time right after the timed runs, in
	// milliseconds (see canary); NaN when the probe has none.
	CanaryMs float64
}

// warmUp runs run until at least warmup runs and minDur have passed; the
// first is timed and reported apart as the first run. With warmup and
// minDur 0 there is no warm-up (Warmup 0): the first timed run is then the
// first run.
func warmUp(ctx context.Context, run func() error, warmup int, minDur time.Duration, p probe) (measured, error) {
	var m measured
	t0 := p.Now()
	for m.Warmup < warmup || p.Now().Sub(t0) < minDur {
		if err := ctx.Err(); err != nil {
			return m, err
		}
		start := p.Now()
		if err := run(); err != nil {
			return m, err
		}
		if m.Warmup == 0 {
			m.FirstRunMs = ms(p.Now().Sub(start))
		}
		m.Warmup++
	}
	return m, nil
}

// timeChunk times run until at least n samples and minDur of timed runs.
// With rewarm it first does one untimed run, so that a switch from another
// batch size (caches, the allocator) is not timed. Only run is inside the
// timed interval; the host's other load is read around the timed runs.
func timeChunk(ctx context.Context, run func() error, n int, minDur time.Duration, rewarm bool, p probe) (chunk, error) {
	c := chunk{SamplesMs: make([]float64, 0, n), StartsNs: make([]int64, 0, n), OtherCPU: math.NaN(), Wait: math.NaN(), Joules: math.NaN(), CanaryMs: math.NaN()}
	if rewarm {
		if err := run(); err != nil {
			return c, err
		}
	}
	o0, ok0 := p.OtherCPU()
	wp, hasWait := p.(waitProbe)
	var q0 float64
	if hasWait {
		q0, hasWait = wp.RunWait()
	}
	stopEnergy := startEnergy(p)
	w0 := p.Now()
	var total time.Duration
	for len(c.SamplesMs) < n || total < minDur {
		if len(c.SamplesMs) >= maxSamples {
			break
		}
		if err := ctx.Err(); err != nil {
			return c, err
		}
		start := p.Now()
		err := run()
		d := p.Now().Sub(start)
		if err != nil {
			return c, err
		}
		total += d
		c.SamplesMs = append(c.SamplesMs, ms(d))
		c.StartsNs = append(c.StartsNs, start.UnixNano())
	}
	c.Joules, c.EnergyErr = stopEnergy()
	o1, ok1 := p.OtherCPU()
	wall := p.Now().Sub(w0).Seconds()
	if ok0 && ok1 && wall > 0 {
		c.OtherCPU = max(0, (o1-o0)/wall)
	}
	if hasWait && wall > 0 {
		if q1, ok := wp.RunWait(); ok {
			c.Wait = max(0, (q1-q0)/wall)
		}
	}
	if cp, ok := p.(canaryProbe); ok {
		if d, ok := cp.Canary(); ok {
			c.CanaryMs = ms(d)
		}
	}
	return c, nil
}

// measure warms up, then times run in one chunk: the harness benchmarks'
// single-round measurement with the real clock. With no warm-up the first
// timed run is the first run.
func measure(ctx context.Context, run func() error, warmup, runs int, minDur time.Duration) (measured, error) {
	p := hostProbe{}
	m, err := warmUp(ctx, run, warmup, minDur, p)
	if err != nil {
		return m, err
	}
	c, err := timeChunk(ctx, run, runs, minDur, false, p)
	m.SamplesMs = c.SamplesMs
	if m.Warmup == 0 && len(m.SamplesMs) > 0 {
		m.FirstRunMs = m.SamplesMs[0]
	}
	return m, err
}

// cell is one batch size in the worker: its Run on a prepared input.
type cell struct {
	batch int
	run   func() error
}

// plan is how the timed runs of every batch size are split into rounds.
type plan struct {
	// rounds is the number of rounds; each visits every batch size once, in
	// ascending order.
	rounds int
	// runs and minDur are each batch size's totals, split evenly over rounds.
	runs   int
	minDur time.Duration
	// warmDur is the least warm-up time per batch size; minDur when zero.
	warmDur time.Duration
}

// warmup is the least warm-up time per batch size.
func (p plan) warmup() time.Duration {
	if p.warmDur > 0 {
		return p.warmDur
	}
	return p.minDur
}

// MinRoundRuns is the fewest timed runs in a round (fewer when runs is
// smaller): two agreeing rounds then hold the six samples a 95% interval of
// the median needs.
const MinRoundRuns = 3

// perRound is round r's (from 1) sample count and minimum duration: the
// runs are split as evenly as possible, the earlier rounds taking one more
// (10 runs in 3 rounds: 4, 3, 3), and no round has fewer than
// min(MinRoundRuns, runs), so every cell has at least runs samples.
func (p plan) perRound(r int) (int, time.Duration) {
	k := max(p.rounds, 1)
	n := p.runs / k
	if r <= p.runs%k {
		n++
	}
	return max(n, min(MinRoundRuns, p.runs), 1), p.minDur / time.Duration(k)
}

// timeAll warms up and times every batch size. In ascending order, each
// batch size is prepared (prepare returns its Run on an allocated input),
// warmed up and timed for its first round; then rounds 2… revisit every
// batch size in turn, so that a burst of outside load lands in one round of
// a cell rather than all of it, and a crash late in the sweep still leaves
// a round of the smaller batch sizes. Events go to send as soon as known.
// A batch size that fails to prepare or warm up is reported (evFailed) and
// it and the larger ones are dropped; a Run that fails in a later round is
// reported and ends the loop. The error is ctx's or send's.
func timeAll(ctx context.Context, batches []int, prepare func(n int) (func() error, error), warmup int, pl plan, p probe, send func(event) error) error {
	sendRound := func(batch, round int, c chunk) error {
		ev := event{Kind: evRound, Batch: batch, Round: round, SamplesMs: c.SamplesMs, StartsNs: c.StartsNs, EnergyError: c.EnergyErr}
		if !math.IsNaN(c.Joules) {
			ev.Joules = &c.Joules
		}
		if !math.IsNaN(c.OtherCPU) {
			ev.OtherCPU = &c.OtherCPU
		}
		if !math.IsNaN(c.Wait) {
			ev.Wait = &c.Wait
		}
		if !math.IsNaN(c.CanaryMs) {
			ev.CanaryMs = &c.CanaryMs
		}
		return send(ev)
	}
	fail := func(batch int, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return send(event{Kind: evFailed, Batch: batch, OOM: onnxrt.IsOOM(err), Message: err.Error()})
	}
	var cells []cell
	for _, b := range batches {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := send(event{Kind: evBegin, Batch: b}); err != nil {
			return err
		}
		run, err := prepare(b)
		var m measured
		if err == nil {
			m, err = warmUp(ctx, run, warmup, pl.warmup(), p)
		}
		if err != nil {
			if err := fail(b, err); err != nil {
				return err
			}
			break
		}
		if err := send(event{Kind: evReady, Batch: b, FirstRunMs: m.FirstRunMs, Warmup: m.Warmup}); err != nil {
			return err
		}
		n, d := pl.perRound(1)
		c, err := timeChunk(ctx, run, n, d, false, p)
		if err != nil {
			if err := fail(b, err); err != nil {
				return err
			}
			break
		}
		if err := sendRound(b, 1, c); err != nil {
			return err
		}
		cells = append(cells, cell{batch: b, run: run})
	}
	rewarm := len(cells) > 1
	for r := 2; r <= pl.rounds; r++ {
		n, d := pl.perRound(r)
		for _, c := range cells {
			ch, err := timeChunk(ctx, c.run, n, d, rewarm, p)
			if err != nil {
				return fail(c.batch, err)
			}
			if err := sendRound(c.batch, r, ch); err != nil {
				return err
			}
		}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
