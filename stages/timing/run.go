package timing

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dnnbench/dnnbench/internal/cachekey"
	"github.com/dnnbench/dnnbench/internal/conditions"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/sweep"
)

// Inputs is what one Run times: the model, with its earlier rows when
// re-measured (Model.Prior), and its batch sizes, those still missing from
// the cache or those re-measured. Progress is called as the child begins
// each batch size, after each round and once at the end.
type Inputs = sweep.Inputs[Model]

// Result is what one Run measured: its rows and warnings (see
// sweep.Result; Run itself yields no warnings today), and the conditions
// of the machine the child recorded.
type Result struct {
	sweep.Result[Row]
	// Conditions are what the child recorded about the machine, zero when it
	// never made a session.
	Conditions conditions.Conditions
}

// Run times in.Model at each batch size of in.Batches in one fresh child
// process (see Worker: interleaved rounds) and returns one row per batch
// size once the child is done: "ok" rows with the stability rule's
// statistics (Judge); an "oom" or "error" row for the batch that failed (or
// was in flight when the child died), then "skipped" rows for the larger
// ones. A failed re-measurement keeps the prior row, with a warning. The
// error is non-nil, and the result nil, when the run could not be done at
// all: bad config or batch sizes, device unusable (wrapping
// sweep.ErrDevice), a worker that broke its protocol, or ctx cancelled; a
// model that fails is rows, not an error.
func Run(ctx context.Context, cfg Config, in Inputs) (*Result, error) {
	m := in.Model
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	p, err := cfg.Prepare("timing", cfg.Device, m.Name, in.Batches, in.Progress)
	if err != nil {
		return nil, err
	}
	bs, progress := p.Batches, p.Progress
	if len(bs) == 0 {
		return &Result{}, nil
	}
	req := request{
		Request: sweep.Request{Model: m.Name, Path: m.Path, LibPath: p.Lib, Session: cfg.Session},
		Batches: bs, Warmup: cfg.Warmup, Runs: cfg.Runs, MinSeconds: cfg.MinSeconds, Rounds: cfg.Rounds, Processes: cfg.processes(), NVML: cfg.NVML, GPU: p.GPU,
	}
	start := time.Now()
	child, err := cfg.Start(ctx, "timing", req)
	if err != nil {
		return nil, fmt.Errorf("timing: %s: %w", m.Name, err)
	}
	defer func() {
		child.Kill()
		_ = child.Wait() // reap it; its error, if any, was reported already
	}()

	res := &Result{}
	s := newSweepState(cfg, m, bs)
	report := func(batch int) {
		done := s.done()
		progress(sweep.Progress{Model: m.Name, Batch: batch, Done: done, Total: len(bs),
			Elapsed: time.Since(start), ETA: estimate(cfg, bs[min(done, len(bs)):], s.perImageMs)})
	}
	for {
		var ev event
		err := child.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			child.Kill()
			_ = child.Wait()
			return nil, fmt.Errorf("timing: %s: %w", m.Name, err)
		}
		if ev.Kind == evSession && ev.Conditions != nil {
			res.Conditions = *ev.Conditions
		}
		if ev.Kind == evFatal && ev.ProviderMissing {
			return nil, sweep.DeviceError("timing", cfg.Device, fmt.Errorf("%s (%s)", ev.Message, onnxrt.ProviderHint(cfg.Session.Provider)))
		}
		if err := s.handle(ev); err != nil {
			return nil, err
		}
		if ev.Kind == evBegin || ev.Kind == evRound {
			report(ev.Batch)
		}
	}
	werr := child.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	status, ended := sweep.Ended(werr, "worker ended before this batch size")
	if res.Rows, err = s.rows(ended, status); err != nil {
		return nil, err
	}
	progress(sweep.Progress{Model: m.Name, Batch: bs[len(bs)-1], Done: len(bs), Total: len(bs), Elapsed: time.Since(start)})
	return res, nil
}

// Key is the cache key of one timing row: the model file's sha256, the
// batch size, the settings that shape the measurement (warm-up, runs,
// minimum duration, rounds) and fingerprint, which identifies the device
// and runtime. The error is cachekey.Key's, for a fingerprint JSON cannot
// encode.
func Key(cfg Config, modelSHA256 string, batch int, fingerprint map[string]any) (string, error) {
	parts := []any{"timing", modelSHA256, batch, cfg.Warmup, cfg.Runs, cfg.MinSeconds, cfg.Rounds, fingerprint}
	if p := cfg.processes(); p > 1 {
		parts = append(parts, "processes", p)
	}
	return cachekey.Key(Schema, parts...)
}
