package timing

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dnnbench/dnnbench/internal/childproc"
	"github.com/dnnbench/dnnbench/internal/conditions"
	"github.com/dnnbench/dnnbench/internal/energy"
	"github.com/dnnbench/dnnbench/internal/headroom"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/sweep"
)

// Worker is the child side of a sweep: the pipeline's main calls it for
// "worker timing". It reads one request from in and, on one session, times
// every batch size in interleaved rounds (see timeAll), writing JSON-line
// events to out; the timed runs themselves are timeChunk's loop. Worker
// returns an error only when it cannot talk to its parent.
func Worker(ctx context.Context, in io.Reader, out io.Writer) error {
	return sweep.Serve(ctx, "timing", in, out, timeRequest)
}

// timeRequest is Worker's work once it has its request.
func timeRequest(ctx context.Context, req request, enc *childproc.Encoder) error {
	fatal := func(err error, providerMissing bool) error {
		return enc.Send(event{Kind: evFatal, Message: err.Error(), ProviderMissing: providerMissing})
	}
	version, missing, err := req.Init()
	if err != nil {
		return fatal(err, missing)
	}
	cond := conditions.Read("/", conditions.Settings{
		IntraOpThreads: req.Session.IntraOpThreads, InterOpThreads: req.Session.InterOpThreads,
		Provider: providerName(req.Session.Provider), ORTVersion: version,
		GPU: req.NVML, GPUIndex: req.GPU,
	})
	t0 := time.Now()
	sess, err := onnxrt.NewSession(req.Path, req.Session)
	if err != nil {
		return fatal(err, onnxrt.IsProviderUnavailable(err))
	}
	defer sess.Close()
	var closers []*onnxrt.Batch
	defer func() {
		for _, b := range closers {
			b.Close()
		}
	}()
	meter := energy.Open(ctx, energy.Options{NVML: req.NVML, GPU: req.GPU})
	defer meter.Close()
	if err := enc.Send(event{Kind: evSession, SessionMs: ms(time.Since(t0)), Conditions: &cond, EnergySource: meter.Source()}); err != nil {
		return err
	}
	pl := req.plan()
	prepare := func(n int) (func() error, error) {
		if err := checkInput(sess, n); err != nil {
			return nil, err
		}
		b, err := sess.NewBatch(n)
		if err != nil {
			return nil, err
		}
		closers = append(closers, b)
		Fill(b.Input())
		return b.Run, nil
	}
	return timeAll(ctx, req.Batches, prepare, req.Warmup, pl, meteredProbe{canary: newCanary(req.Session.IntraOpThreads), m: meter}, func(ev event) error { return enc.Send(ev) })
}

// checkInput refuses, as out of memory, an input for n images that cannot
// fit in what this process may still allocate, rather than letting the Go
// allocator kill the worker.
func checkInput(sess *onnxrt.Session, n int) error {
	lim, ok := headroom.Available()
	if !ok {
		return nil
	}
	return headroom.Check(fmt.Sprintf("the float32 input of batch %d", n), sess.InputBytes(n), lim)
}

// Fill writes a fixed pseudo-random pattern in [-2, 2) into x, the range of
// normalised image pixels, so that no run meets denormals or all zeros.
func Fill(x []float32) {
	s := uint32(2463534242)
	for i := range x {
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		x[i] = float32(s>>8)/float32(1<<24)*4 - 2
	}
}

func providerName(p string) string {
	if p == "" {
		return "cpu"
	}
	return strings.ToLower(p)
}

// plan is this worker's share of the timed runs: ⌈runs/processes⌉ runs and
// min_seconds/processes of timed runs over its rounds, after a full
// warm-up of warmup runs and min_seconds.
func (req request) plan() plan {
	procs := max(req.Processes, 1)
	warm := time.Duration(req.MinSeconds * float64(time.Second))
	return plan{rounds: req.Rounds, runs: (req.Runs + procs - 1) / procs, minDur: warm / time.Duration(procs), warmDur: warm}
}
