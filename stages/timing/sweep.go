package timing

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/dnnbench/dnnbench/internal/sweep"
)

// cellState is what a sweep has heard about one batch size.
type cellState struct {
	firstRunMs float64
	warmup     int
	rounds     []Round   // this attempt's
	joules     []float64 // per round of this attempt; NaN without a reading
	energyErr  string    // the first failed reading
}

// sweepState collects a child's events and turns them into rows.
type sweepState struct {
	cfg        Config
	model      Model
	batches    []int
	cells      map[int]*cellState
	prior      map[int]Row
	sessionMs  float64
	energySrc  string  // the worker's energy meter
	inflight   int     // batch begun and not yet warmed up
	failedAt   int     // batch that failed, 0 if none
	failStatus string  // its status
	failMsg    string  // and message
	perImageMs float64 // latest round median per image, for the ETA
}

func newSweepState(cfg Config, m Model, bs []int) *sweepState {
	s := &sweepState{cfg: cfg, model: m, batches: bs, cells: map[int]*cellState{}, prior: map[int]Row{}}
	for _, r := range m.Prior {
		if r.Status == sweep.OK && len(r.RoundAttempt) > 0 {
			s.prior[int(r.Batch)] = r
		}
	}
	return s
}

// done counts the batch sizes whose last round has been timed.
func (s *sweepState) done() int {
	n := 0
	for _, b := range s.batches {
		if c := s.cells[b]; c != nil && len(c.rounds) >= s.cfg.Rounds {
			n++
		}
	}
	return n
}

// handle takes one worker event.
func (s *sweepState) handle(ev event) error {
	known := func() error {
		for _, b := range s.batches {
			if b == ev.Batch {
				return nil
			}
		}
		return fmt.Errorf("timing: %s: worker reported batch %d, which was not asked for", s.model.Name, ev.Batch)
	}
	switch ev.Kind {
	case evSession:
		s.sessionMs, s.energySrc = ev.SessionMs, ev.EnergySource
	case evBegin:
		if err := known(); err != nil {
			return err
		}
		s.inflight = ev.Batch
	case evReady:
		if err := known(); err != nil {
			return err
		}
		s.cells[ev.Batch] = &cellState{firstRunMs: ev.FirstRunMs, warmup: ev.Warmup}
		s.inflight = 0
	case evRound:
		c := s.cells[ev.Batch]
		if c == nil || ev.Round != len(c.rounds)+1 || len(ev.SamplesMs) == 0 || len(ev.StartsNs) != len(ev.SamplesMs) {
			return fmt.Errorf("timing: %s batch %d: worker reported round %d out of order or without samples", s.model.Name, ev.Batch, ev.Round)
		}
		rd := Round{Attempt: s.attempt(ev.Batch), SamplesMs: ev.SamplesMs, StartsNs: ev.StartsNs, OtherCPU: math.NaN(), Wait: math.NaN(), CanaryMs: math.NaN()}
		if ev.OtherCPU != nil {
			rd.OtherCPU = *ev.OtherCPU
		}
		if ev.Wait != nil {
			rd.Wait = *ev.Wait
		}
		if ev.CanaryMs != nil {
			rd.CanaryMs = *ev.CanaryMs
		}
		c.rounds = append(c.rounds, rd)
		c.addEnergy(ev)
		xs := append([]float64(nil), ev.SamplesMs...)
		sort.Float64s(xs)
		s.perImageMs = quantile(xs, 0.5) / float64(ev.Batch)
	case evFailed:
		if err := known(); err != nil {
			return err
		}
		if s.failedAt == 0 {
			s.failedAt, s.failStatus, s.failMsg = ev.Batch, sweep.Error, ev.Message
			if ev.OOM {
				s.failStatus = sweep.OOM
			}
		}
	case evFatal:
		if s.failedAt == 0 {
			s.failedAt = s.batches[0]
			s.failStatus, s.failMsg = sweep.SessionFailed(ev.Message)
		}
	default:
		return fmt.Errorf("timing: %s: unknown worker event %q", s.model.Name, ev.Kind)
	}
	return nil
}

// attempt is the attempt number of this sweep's rounds of batch b.
func (s *sweepState) attempt(b int) int {
	if p, ok := s.prior[b]; ok {
		return int(p.Attempts) + 1
	}
	return 1
}

func (s *sweepState) base(batch int) Row {
	return Row{
		Model: s.model.Name, Device: s.cfg.Device, Batch: int64(batch), Threads: int64(s.cfg.Session.IntraOpThreads),
		Provider: providerName(s.cfg.Session.Provider), SessionMs: s.sessionMs,
		LatencyMsCILow: math.NaN(), LatencyMsCIHigh: math.NaN(), OtherCPUMax: math.NaN(),
		JoulesPerImage: math.NaN(), EnergySource: s.energySrc,
	}
}

// rows builds one row per batch size, ascending. ended says why the child
// stopped early, and endStatus is the status, for a batch size it never
// finished.
func (s *sweepState) rows(ended, endStatus string) ([]Row, error) {
	var out []Row
	failed, status, msg := s.failedAt, s.failStatus, s.failMsg
	for _, b := range s.batches {
		c := s.cells[b]
		switch {
		case failed != 0 && b > failed:
			r := s.base(b)
			r.Status, r.Error = sweep.Skipped, fmt.Sprintf("skipped: batch %d failed (%s)", failed, status)
			out = append(out, s.keepPrior(r))
		case b == failed && (c == nil || len(c.rounds) == 0):
			r := s.base(b)
			r.Status, r.Error = status, msg
			out = append(out, s.keepPrior(r))
		case b == failed:
			// A Run failed in a later round: the rounds before it were fine,
			// but a batch that cannot be run reliably is reported as failed.
			r := s.base(b)
			r.Status, r.Error = status, fmt.Sprintf("round %d: %s", len(c.rounds)+1, msg)
			out = append(out, s.keepPrior(r))
		case c == nil || len(c.rounds) == 0:
			m := ended
			if s.inflight != 0 {
				m = fmt.Sprintf("%s (batch %d in flight)", ended, s.inflight)
			}
			r := s.base(b)
			r.Status, r.Error = endStatus, m
			failed, status = b, endStatus
			out = append(out, s.keepPrior(r))
		default:
			r, err := s.okRow(b, c)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// keepPrior returns the earlier attempt's row, with a warning, in place of
// a failed re-measurement; otherwise r.
func (s *sweepState) keepPrior(r Row) Row {
	p, ok := s.prior[int(r.Batch)]
	if !ok {
		return r
	}
	w := "re-measurement failed (" + oneLine(r.Error) + "); kept the earlier attempts"
	p.Warnings = append(p.Warnings, w)
	return p
}

// okRow judges a batch size's rounds, the earlier attempts' included.
func (s *sweepState) okRow(b int, c *cellState) (Row, error) {
	r := s.base(b)
	r.Status = sweep.OK
	r.Warmup, r.FirstRunMs = int64(c.warmup), c.firstRunMs
	if c.warmup == 0 && len(c.rounds) > 0 {
		r.FirstRunMs = c.rounds[0].SamplesMs[0] // no warm-up: the first timed run was the first run
	}
	rounds := c.rounds
	p, hasPrior := s.prior[b]
	if hasPrior {
		rounds = append(p.rounds(), rounds...)
		r.FirstRunMs, r.SessionMs = p.FirstRunMs, p.SessionMs
		r.Warmup += p.Warmup
	}
	e, err := Judge(rounds, Rule{MinAgree: min(2, s.cfg.Rounds), MinProcesses: min(2, s.cfg.processes()), CanaryRefMs: s.cfg.CanaryRefMs})
	if err != nil {
		return r, fmt.Errorf("timing: %s batch %d: %w", s.model.Name, b, err)
	}
	r.setRounds(rounds, e)
	s.setEnergy(&r, c, e.Used[len(rounds)-len(c.rounds):], p, hasPrior)
	if len(c.rounds) < s.cfg.Rounds {
		r.Warnings = append(r.Warnings, fmt.Sprintf("only %d of %d rounds measured (the worker stopped)", len(c.rounds), s.cfg.Rounds))
	}
	return r, nil
}

// oneLine keeps the first line of a message.
func oneLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
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
	r.Warnings = st.Warnings
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
