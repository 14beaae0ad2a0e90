package energy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/dnnbench/dnnbench/internal/tegrastats"
)

// inputPower returns the board's input power rail of a tegrastats line and
// its current power in watts. Boards that print only per-module rails (AGX
// Xavier, AGX Orin) have no input rail, which is an error naming the rails
// looked for.
func inputPower(l tegrastats.Line) (tegrastats.Rail, float64, error) {
	r, ok := l.InputRail()
	if !ok {
		return tegrastats.Rail{}, 0, fmt.Errorf("tegrastats: no %s input rail among %s (AGX Xavier and AGX Orin print only per-module rails)", strings.Join(tegrastats.InputRails, " or "), railNames(l.Rails))
	}
	return r, float64(r.Now) / 1e3, nil
}

func railNames(rails []tegrastats.Rail) string {
	if len(rails) == 0 {
		return "no rails"
	}
	names := make([]string, len(rails))
	for i, r := range rails {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

// powerSample is one power reading and when it was read.
type powerSample struct {
	at    time.Time
	watts float64
}

// integrate returns the energy, in joules, over [a, b] of the power that
// samples (in time order) describe, each reading holding until the next.
// The first reading must be at or before a.
func integrate(samples []powerSample, a, b time.Time) (float64, error) {
	if len(samples) == 0 || samples[0].at.After(a) {
		return 0, errors.New("energy: no power reading before the interval began")
	}
	var j float64
	for i, s := range samples {
		from, to := s.at, b
		if i+1 < len(samples) {
			to = samples[i+1].at
		}
		from, to = later(from, a), earlier(to, b)
		if to.After(from) {
			j += s.watts * to.Sub(from).Seconds()
		}
	}
	return j, nil
}

func later(x, y time.Time) time.Time {
	if x.After(y) {
		return x
	}
	return y
}

func earlier(x, y time.Time) time.Time {
	if x.Before(y) {
		return x
	}
	return y
}

// tegraMeter runs tegrastats and integrates its input rail over time.
type tegraMeter struct {
	proc     *tegrastats.Process
	done     <-chan struct{} // closed once tegrastats has exited
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	rail    string
	samples []powerSample
	err     error
	start   time.Time
	begun   bool
}

// OpenTegrastats starts exe (default "tegrastats") with the given interval
// in milliseconds (default 20) and waits for its first input-rail reading.
// tegrastats that is not found is an error wrapping tegrastats.ErrNotFound.
func OpenTegrastats(ctx context.Context, exe string, intervalMs int) (Meter, error) {
	if intervalMs < 1 {
		intervalMs = 20
	}
	t := newTegraMeter(time.Now, time.Duration(intervalMs)*time.Millisecond)
	p, err := tegrastats.Start(ctx, exe, t.interval, t.handle)
	if err != nil {
		return nil, fmt.Errorf("energy: %w", err)
	}
	t.proc, t.done = p, p.Done()
	t.mu.Lock()
	err = t.err
	t.mu.Unlock()
	if err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func newTegraMeter(now func() time.Time, interval time.Duration) *tegraMeter {
	return &tegraMeter{now: now, interval: interval}
}

// handle takes one parsed tegrastats line, stamping its reading with the
// time it arrived.
func (t *tegraMeter) handle(l tegrastats.Line, err error) {
	at := t.now()
	var r tegrastats.Rail
	var w float64
	if err == nil {
		r, w, err = inputPower(l)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.err = fmt.Errorf("energy: %w", err)
		return
	}
	t.err, t.rail = nil, r.Name
	t.samples = append(t.samples, powerSample{at: at, watts: w})
	if !t.begun && len(t.samples) > 1 {
		t.samples = t.samples[len(t.samples)-1:] // between intervals only the latest matters
	}
}

// Source is "tegrastats: " and the input rail.
func (t *tegraMeter) Source() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return "tegrastats: " + t.rail + " (board input power)"
}

// Start marks the interval's beginning.
func (t *tegraMeter) Start() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return t.err
	}
	t.start, t.begun = t.now(), true
	return nil
}

// Stop integrates the input rail from Start to now, each reading holding
// until the next. tegrastats that has exited, or printed nothing for five
// intervals and a second, is an error rather than a held-over reading.
func (t *tegraMeter) Stop() (float64, error) {
	end := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.begun {
		return 0, errors.New("energy: tegrastats: Stop without Start")
	}
	t.begun = false
	if t.err != nil {
		return 0, t.err
	}
	if t.exited() {
		return 0, errors.New("energy: tegrastats exited during the interval")
	}
	last := t.samples[len(t.samples)-1].at
	if stall := end.Sub(last); stall > 5*t.interval+time.Second {
		return 0, fmt.Errorf("energy: tegrastats printed nothing for %v", stall.Round(time.Millisecond))
	}
	j, err := integrate(t.samples, t.start, end)
	t.samples = t.samples[len(t.samples)-1:]
	return j, err
}

// exited reports whether tegrastats has exited.
func (t *tegraMeter) exited() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// Close stops tegrastats.
func (t *tegraMeter) Close() error {
	if t.proc != nil {
		return t.proc.Close()
	}
	return nil
}
