package timing

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dnnbench/dnnbench/internal/childproc"
	"github.com/dnnbench/dnnbench/internal/conditions"
	"github.com/dnnbench/dnnbench/internal/headroom"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
)

// Worker is the child side of a sweep: the pipeline's main calls it for
// "worker timing". It reads one request from in, times every batch size in
// ascending order on one session and writes JSON-line events to out. A batch
// that fails ends the sweep (the parent marks larger batches skipped). Worker
// returns an error only when it cannot talk to its parent.
func Worker(ctx context.Context, in io.Reader, out io.Writer) error {
	var req request
	if err := childproc.ReadRequest(in, &req); err != nil {
		return fmt.Errorf("timing: worker: %w", err)
	}
	enc := childproc.NewEncoder(out)
	fatal := func(err error, providerMissing bool) error {
		return enc.Send(event{Kind: evFatal, Message: err.Error(), ProviderMissing: providerMissing})
	}
	if err := onnxrt.CheckProvider(req.LibPath, req.Session.Provider); err != nil {
		return fatal(err, true)
	}
	version, err := onnxrt.Init(req.LibPath)
	if err != nil {
		return fatal(err, false)
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
	if err := enc.Send(event{Kind: evSession, SessionMs: ms(time.Since(t0)), Conditions: &cond}); err != nil {
		return err
	}
	minDur := time.Duration(req.MinSeconds * float64(time.Second))
	for _, n := range req.Batches {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := enc.Send(event{Kind: evBegin, Batch: n}); err != nil {
			return err
		}
		m, err := timeBatch(ctx, sess, n, req.Warmup, req.Runs, minDur)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return enc.Send(event{Kind: evFailed, Batch: n, OOM: onnxrt.IsOOM(err), Message: err.Error()})
		}
		if err := enc.Send(event{Kind: evBatch, Batch: n, FirstRunMs: m.FirstRunMs, Warmup: m.Warmup, SamplesMs: m.SamplesMs}); err != nil {
			return err
		}
	}
	return nil
}

// timeBatch allocates the input once for n images and measures Run.
func timeBatch(ctx context.Context, sess *onnxrt.Session, n, warmup, runs int, minDur time.Duration) (measured, error) {
	if err := checkInput(sess, n); err != nil {
		return measured{}, err
	}
	b, err := sess.NewBatch(n)
	if err != nil {
		return measured{}, err
	}
	defer b.Close()
	Fill(b.Input())
	return measure(ctx, b.Run, warmup, runs, minDur)
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
