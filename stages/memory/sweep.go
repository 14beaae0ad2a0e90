package memory

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/sweep"
)

// Sweep measures model m at each batch size, each in a fresh child process,
// and delivers one row per batch size to onRow as soon as it is known, in
// ascending batch order. A batch size that runs out of memory or fails
// gives an "oom" or "error" row and the larger ones "skipped" rows. Pass
// only the batch sizes still missing from the cache. progress may be nil.
// The error is non-nil when the sweep could not run at all (bad config,
// device unusable, ctx cancelled) or onRow failed.
func Sweep(ctx context.Context, cfg Config, m Model, batches []int, onRow func(Row) error, progress func(sweep.Progress)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	cfg = cfg.WithDefaults()
	bs, err := sweep.Batches(batches)
	if err != nil {
		return fmt.Errorf("memory: %s: %w", m.Name, err)
	}
	if len(bs) == 0 {
		return nil
	}
	lib, err := cfg.Library("memory", cfg.Device)
	if err != nil {
		return err
	}
	if progress == nil {
		progress = func(sweep.Progress) {}
	}
	gpu, _ := cfg.GPU() // checked by Validate
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
			Request: sweep.Request{Model: m.Name, Path: m.Path, LibPath: lib, Session: cfg.Session},
			Sampler: cfg.Sampler, GPU: gpu, IntervalMs: cfg.IntervalMs, Runs: cfg.Runs, Batch: b,
		}
		ev, err := runChild(ctx, cfg, req)
		if err != nil {
			return fmt.Errorf("memory: %s batch %d: %w", m.Name, b, err)
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
				return sweep.DeviceError("memory", cfg.Device, errors.New(msg))
			}
			r.Status, r.Error = sweep.SessionFailed(ev.Message)
		default:
			return fmt.Errorf("memory: %s batch %d: unknown worker event %q", m.Name, b, ev.Kind)
		}
		if err := onRow(r); err != nil {
			return fmt.Errorf("memory: %s batch %d: %w", m.Name, b, err)
		}
		if r.Status != sweep.OK {
			for _, larger := range bs[i+1:] {
				s := base(larger)
				s.Status = sweep.Skipped
				s.Error = fmt.Sprintf("skipped: batch %d failed (%s)", b, r.Status)
				if err := onRow(s); err != nil {
					return fmt.Errorf("memory: %s batch %d: %w", m.Name, larger, err)
				}
			}
			break
		}
	}
	progress(sweep.Progress{Model: m.Name, Batch: bs[len(bs)-1], Done: len(bs), Total: len(bs), Elapsed: time.Since(start)})
	return nil
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
