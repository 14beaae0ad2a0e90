package timing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dnnbench/dnnbench/internal/childproc"
	"github.com/dnnbench/dnnbench/internal/conditions"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/sweep"
)

// ErrDevice wraps errors that come from the device (a missing execution
// provider or library), not from one model: the pipeline should stop.
var ErrDevice = errors.New("timing: device unusable")

// Sweep times model m at each batch size in a fresh child process and
// delivers one row per batch size to onRow as soon as it is known, in
// ascending batch order: "ok" rows with statistics; an "oom" or "error" row
// for the batch that failed (or was in flight when the child died), then
// "skipped" rows for the larger ones. Pass only the batch sizes still
// missing from the cache. progress may be nil. It returns the conditions
// the child recorded (zero if it never made a session). The error is
// non-nil when the sweep could not run at all (bad config, device unusable,
// ctx cancelled) or onRow failed; a model that fails is rows, not an error.
func Sweep(ctx context.Context, cfg Config, m Model, batches []int, onRow func(Row) error, progress func(sweep.Progress)) (conditions.Conditions, error) {
	var cond conditions.Conditions
	if err := cfg.Validate(); err != nil {
		return cond, err
	}
	bs, err := sortBatches(batches)
	if err != nil {
		return cond, fmt.Errorf("timing: %s: %w", m.Name, err)
	}
	if len(bs) == 0 {
		return cond, nil
	}
	lib := cfg.LibPath
	if lib == "" {
		if lib, err = onnxrt.Locate(""); err != nil {
			return cond, fmt.Errorf("%w: %w", ErrDevice, err)
		}
	}
	if err := onnxrt.CheckProvider(lib, cfg.Session.Provider); err != nil {
		return cond, fmt.Errorf("%w: %s: %w", ErrDevice, cfg.Device, err)
	}
	if progress == nil {
		progress = func(sweep.Progress) {}
	}
	req := request{
		Model: m.Name, Path: m.Path, LibPath: lib, Session: cfg.Session,
		Batches: bs, Warmup: cfg.Warmup, Runs: cfg.Runs, MinSeconds: cfg.MinSeconds, NVML: cfg.NVML,
	}
	req.GPU, _ = strconv.Atoi(cfg.Session.ProviderOptions["device_id"])
	start := time.Now()
	child, err := childproc.Start(ctx, cfg.Exe, []string{"worker", "timing"}, cfg.Env, req, cfg.Hold...)
	if err != nil {
		return cond, fmt.Errorf("timing: %s: %w", m.Name, err)
	}
	defer func() {
		child.Kill()
		_ = child.Wait() // reap it; its error, if any, was reported already
	}()

	s := sweepState{cfg: cfg, model: m, batches: bs, onRow: onRow}
	report := func(batch int) {
		progress(sweep.Progress{Model: m.Name, Batch: batch, Done: s.next, Total: len(bs),
			Elapsed: time.Since(start), ETA: estimate(cfg, bs[s.next:], s.perImageMs)})
	}
	inflight := 0
	for {
		var ev event
		err := child.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			child.Kill()
			_ = child.Wait()
			return cond, fmt.Errorf("timing: %s: %w", m.Name, err)
		}
		switch ev.Kind {
		case evSession:
			s.sessionMs = ev.SessionMs
			if ev.Conditions != nil {
				cond = *ev.Conditions
			}
		case evBegin:
			inflight = ev.Batch
			report(ev.Batch)
		case evBatch:
			if err := s.measuredRow(ev); err != nil {
				return cond, err
			}
			inflight = 0
			report(ev.Batch)
		case evFailed:
			status := sweep.Error
			if ev.OOM {
				status = sweep.OOM
			}
			if err := s.failRest(status, ev.Message); err != nil {
				return cond, err
			}
		case evFatal:
			if ev.ProviderMissing {
				return cond, fmt.Errorf("%w: %s: %s (%s)", ErrDevice, cfg.Device, ev.Message, onnxrt.ProviderHint(cfg.Session.Provider))
			}
			status := sweep.Error
			if onnxrt.IsOOM(errors.New(ev.Message)) {
				status = sweep.OOM
			}
			if err := s.failRest(status, "session: "+ev.Message); err != nil {
				return cond, err
			}
		default:
			return cond, fmt.Errorf("timing: %s: unknown worker event %q", m.Name, ev.Kind)
		}
	}
	werr := child.Wait()
	if err := ctx.Err(); err != nil {
		return cond, err
	}
	if s.next < len(bs) {
		msg := "worker ended before this batch size"
		status := sweep.Error
		if werr != nil {
			msg = werr.Error()
		}
		if errors.Is(werr, childproc.ErrOutOfMemory) {
			status = sweep.OOM
		}
		if inflight != 0 {
			msg = fmt.Sprintf("%s (batch %d in flight)", msg, inflight)
		}
		if err := s.failRest(status, msg); err != nil {
			return cond, err
		}
	}
	progress(sweep.Progress{Model: m.Name, Batch: bs[len(bs)-1], Done: len(bs), Total: len(bs), Elapsed: time.Since(start)})
	return cond, nil
}

// sweepState tracks which batch sizes of a sweep have rows.
type sweepState struct {
	cfg        Config
	model      Model
	batches    []int
	next       int // index of the first batch size without a row
	sessionMs  float64
	perImageMs float64 // latest median per image, for the ETA
	onRow      func(Row) error
}

func (s *sweepState) base(batch int) Row {
	return Row{
		Model: s.model.Name, Device: s.cfg.Device, Batch: int64(batch), Threads: int64(s.cfg.Session.IntraOpThreads),
		Provider: providerName(s.cfg.Session.Provider), SessionMs: s.sessionMs,
		LatencyMsCILow: math.NaN(), LatencyMsCIHigh: math.NaN(),
	}
}

func (s *sweepState) emit(r Row) error {
	if err := s.onRow(r); err != nil {
		return fmt.Errorf("timing: %s batch %d: %w", r.Model, r.Batch, err)
	}
	s.next++
	return nil
}

// measuredRow turns a worker's samples into an "ok" row.
func (s *sweepState) measuredRow(ev event) error {
	if s.next >= len(s.batches) || s.batches[s.next] != ev.Batch {
		return fmt.Errorf("timing: %s: worker reported batch %d out of order", s.model.Name, ev.Batch)
	}
	st, err := Summarize(ev.SamplesMs)
	if err != nil {
		return fmt.Errorf("timing: %s batch %d: %w", s.model.Name, ev.Batch, err)
	}
	r := s.base(ev.Batch)
	r.Status = sweep.OK
	r.Warmup, r.Runs = int64(ev.Warmup), int64(st.N)
	r.FirstRunMs = ev.FirstRunMs
	fill(&r, st)
	r.SamplesMs = append([]float64(nil), ev.SamplesMs...)
	s.perImageMs = r.MsPerImage
	return s.emit(r)
}

// fill copies statistics into a row and derives ms per image and FPS.
func fill(r *Row, st Stats) {
	r.LatencyMsMedian, r.LatencyMsP90, r.LatencyMsP99 = st.Median, st.P90, st.P99
	r.LatencyMsMin, r.LatencyMsMean = st.Min, st.Mean
	r.LatencyMsCILow, r.LatencyMsCIHigh = st.CILow, st.CIHigh
	r.MsPerImage = st.Median / float64(r.Batch)
	if st.Median > 0 {
		r.FPS = 1000 * float64(r.Batch) / st.Median
	}
	r.Warnings = strings.Join(st.Warnings, "; ")
}

// failRest writes a row with status for the next batch size and "skipped"
// rows for the larger ones.
func (s *sweepState) failRest(status, msg string) error {
	if s.next >= len(s.batches) {
		return nil
	}
	failed := s.batches[s.next]
	r := s.base(failed)
	r.Status, r.Error = status, msg
	if err := s.emit(r); err != nil {
		return err
	}
	for s.next < len(s.batches) {
		r := s.base(s.batches[s.next])
		r.Status = sweep.Skipped
		r.Error = fmt.Sprintf("skipped: batch %d failed (%s)", failed, status)
		if err := s.emit(r); err != nil {
			return err
		}
	}
	return nil
}

// sortBatches returns the distinct batch sizes in ascending order.
func sortBatches(batches []int) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	for _, b := range batches {
		if b < 1 {
			return nil, fmt.Errorf("batch size %d must be at least 1", b)
		}
		if !seen[b] {
			seen[b] = true
			out = append(out, b)
		}
	}
	sort.Ints(out)
	return out, nil
}

// estimate predicts the time left for the given batch sizes: each costs the
// minimum duration twice (warm-up and timed) or its runs at perImageMs per
// image, whichever is longer; perImageMs is 0 before the first measurement.
func estimate(cfg Config, remaining []int, perImageMs float64) time.Duration {
	var total time.Duration
	floor := 2 * cfg.minDuration()
	for _, b := range remaining {
		runs := time.Duration(float64(cfg.Warmup+cfg.Runs) * perImageMs * float64(b) * float64(time.Millisecond))
		total += max(floor, runs)
	}
	return total
}
