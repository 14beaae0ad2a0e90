package memory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dnnbench/dnnbench/internal/cachekey"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/sweep"
)

// Inputs is what one Run measures: the model and its batch sizes (see
// sweep.Inputs; Progress is called as each batch size starts and once at
// the end), and where each row goes as soon as it is known.
type Inputs struct {
	sweep.Inputs[Model]
	// Checkpoint, if not nil, is given each row as soon as it is known,
	// before the next batch size starts, so that the caller can store it and
	// an interrupted run loses no completed measurement. An error from it
	// stops Run, which returns it.
	Checkpoint func(Row) error
}

// Result is what one Run measured: one row per distinct batch size of
// Inputs.Batches, ascending (the rows Checkpoint was given), and warnings
// about the run as a whole, of which Run itself yields none today.
type Result = sweep.Result[Row]

// Run measures in.Model at each batch size of in.Batches, each in a fresh
// child process, and returns one row per batch size. A batch size that runs
// out of memory or fails gives an "oom" or "error" row and the larger ones
// "skipped" rows. The error is non-nil, and the result nil, when the run
// could not be done at all: bad config or batch sizes, device unusable
// (wrapping sweep.ErrDevice), ctx cancelled, or in.Checkpoint failed; rows
// already given to in.Checkpoint stay valid.
func Run(ctx context.Context, cfg Config, in Inputs) (*Result, error) {
	m := in.Model
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	p, err := cfg.Prepare("memory", cfg.Device, m.Name, in.Batches, in.Progress)
	if err != nil {
		return nil, err
	}
	bs, progress := p.Batches, p.Progress
	if len(bs) == 0 {
		return &Result{}, nil
	}
	res := &Result{}
	keep := func(r Row) error {
		if in.Checkpoint != nil {
			if err := in.Checkpoint(r); err != nil {
				return fmt.Errorf("memory: %s batch %d: %w", m.Name, r.Batch, err)
			}
		}
		res.Rows = append(res.Rows, r)
		return nil
	}
	start := time.Now()
	base := func(batch int) Row {
		return Row{Model: m.Name, Device: cfg.Device, Batch: int64(batch), Sampler: cfg.Sampler, ArenaGrowOnly: true}
	}
	for i, b := range bs {
		elapsed := time.Since(start)
		var eta time.Duration
		if i > 0 {
			eta = elapsed / time.Duration(i) * time.Duration(len(bs)-i)
		}
		progress(sweep.Progress{Model: m.Name, Batch: b, Done: i, Total: len(bs), Elapsed: elapsed, ETA: eta})
		req := request{
			Request: sweep.Request{Model: m.Name, Path: m.Path, LibPath: p.Lib, Session: cfg.Session},
			Sampler: cfg.Sampler, GPU: p.GPU, IntervalMs: cfg.IntervalMs, Runs: cfg.Runs, Batch: b,
		}
		ev, err := runChild(ctx, cfg, req)
		if err != nil {
			return nil, fmt.Errorf("memory: %s batch %d: %w", m.Name, b, err)
		}
		r := base(b)
		switch ev.Kind {
		case evResult:
			r.Status = sweep.OK
			r.BaselineBytes = ev.Baseline
			r.StaticBytes = ev.Static - ev.Baseline
			r.PeakBytes = ev.Peak - ev.Baseline
			r.Samples = ev.Samples
			w := ev.Warnings
			if r.StaticBytes < 0 {
				w = append(w, fmt.Sprintf("memory fell by %d bytes during session creation; static recorded as 0", -r.StaticBytes))
				r.StaticBytes = 0
			}
			r.PeakBytes = max(r.PeakBytes, r.StaticBytes)
			r.Warnings = w
		case evFailed:
			r.Status, r.Error = sweep.Error, ev.Message
			if ev.OOM {
				r.Status = sweep.OOM
			}
		case evFatal:
			if ev.DeviceProblem {
				msg := ev.Message
				if onnxrt.IsProviderUnavailable(errors.New(msg)) {
					msg += " (" + onnxrt.ProviderHint(cfg.Session.Provider) + ")"
				}
				return nil, sweep.DeviceError("memory", cfg.Device, errors.New(msg))
			}
			r.Status, r.Error = sweep.SessionFailed(ev.Message)
		default:
			return nil, fmt.Errorf("memory: %s batch %d: unknown worker event %q", m.Name, b, ev.Kind)
		}
		if err := keep(r); err != nil {
			return nil, err
		}
		if r.Status != sweep.OK {
			for _, larger := range bs[i+1:] {
				s := base(larger)
				s.Status = sweep.Skipped
				s.Error = fmt.Sprintf("skipped: batch %d failed (%s)", b, r.Status)
				if err := keep(s); err != nil {
					return nil, err
				}
			}
			break
		}
	}
	progress(sweep.Progress{Model: m.Name, Batch: bs[len(bs)-1], Done: len(bs), Total: len(bs), Elapsed: time.Since(start)})
	return res, nil
}

// Key is the cache key of one memory row: the model file's sha256, the
// batch size, the sampling settings after defaults (runs watched, interval;
// they are part of the method) and fingerprint, which identifies the device
// and runtime. The error is cachekey.Key's, for a fingerprint JSON cannot
// encode.
func Key(cfg Config, modelSHA256 string, batch int, fingerprint map[string]any) (string, error) {
	cfg = cfg.WithDefaults()
	return cachekey.Key(Schema, "memory", modelSHA256, batch, cfg.Runs, cfg.IntervalMs, fingerprint)
}

// runChild runs one worker and returns its event; a child that dies
// without one yields a failed event carrying its exit and stderr.
func runChild(ctx context.Context, cfg Config, req request) (event, error) {
	child, err := cfg.Start(ctx, "memory", req)
	if err != nil {
		return event{}, err
	}
	defer child.Kill()
	var ev event
	err = child.Next(&ev)
	werr := child.Wait()
	if cerr := ctx.Err(); cerr != nil {
		return event{}, cerr
	}
	switch {
	case err == io.EOF:
		status, msg := sweep.Ended(werr, "worker ended without a result")
		return event{Kind: evFailed, Message: msg, OOM: status == sweep.OOM}, nil
	case err != nil:
		return event{}, err
	}
	return ev, nil
}
