package energy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"time"
)

// errNoTegrastats reports that the tegrastats executable was not found.
var errNoTegrastats = errors.New("energy: tegrastats not found (it ships with JetPack on NVIDIA Jetson boards)")

// inputRail matches a board's input power rail in a tegrastats line:
// "POM_5V_IN 2557/2557" (Nano, TX1), "VDD_IN 2290/2290" (TX2, Xavier NX)
// or "VDD_IN 4740mW/4740mW" (Orin, JetPack 5 and later): the current and
// the average power in milliwatts.
var inputRail = regexp.MustCompile(`\b(POM_5V_IN|VDD_IN) (\d+)(?:mW)?/(\d+)(?:mW)?\b`)

// TegraPower is the input rail of one tegrastats line.
type TegraPower struct {
	// Rail is the rail's name, "POM_5V_IN" or "VDD_IN".
	Rail string
	// Watts is its current power.
	Watts float64
}

// ParseTegraPower reads the board's input power from one tegrastats line.
// Boards that print only per-module rails (AGX Xavier, AGX Orin) have no
// input rail, which is an error naming the rails looked for.
func ParseTegraPower(line string) (TegraPower, error) {
	m := inputRail.FindStringSubmatch(line)
	if m == nil {
		return TegraPower{}, fmt.Errorf("energy: tegrastats: no POM_5V_IN or VDD_IN input rail in %q (AGX Xavier and AGX Orin print only per-module rails)", truncate(line, 80))
	}
	mw, err := strconv.ParseInt(m[2], 10, 64)
	if err != nil {
		return TegraPower{}, fmt.Errorf("energy: tegrastats: %s: %w", m[1], err)
	}
	return TegraPower{Rail: m[1], Watts: float64(mw) / 1e3}, nil
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
	cmd      *exec.Cmd
	cancel   context.CancelFunc
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	rail    string
	samples []powerSample
	err     error
	start   time.Time
	begun   bool
	have    chan struct{}
	once    sync.Once
	done    chan struct{}
}

// OpenTegrastats starts exe (default "tegrastats") with the given interval
// in milliseconds (default 20) and waits for its first input-rail reading.
func OpenTegrastats(ctx context.Context, exe string, intervalMs int) (Meter, error) {
	if exe == "" {
		exe = "tegrastats"
	}
	path, err := exec.LookPath(exe)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errNoTegrastats, err)
	}
	if intervalMs < 1 {
		intervalMs = 20
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, path, "--interval", strconv.Itoa(intervalMs))
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("energy: tegrastats: %w", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("energy: tegrastats: starting %s: %w", path, err)
	}
	t := newTegraMeter(time.Now, time.Duration(intervalMs)*time.Millisecond)
	t.cmd, t.cancel = cmd, cancel
	go t.read(out)
	select {
	case <-t.have:
	case <-t.done:
	case <-time.After(5*time.Second + 3*t.interval):
		t.Close()
		return nil, errors.New("energy: tegrastats: no output within 5 s")
	}
	t.mu.Lock()
	err = t.err
	if len(t.samples) == 0 && err == nil {
		err = errors.New("energy: tegrastats exited before its first line")
	}
	t.mu.Unlock()
	if err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

func newTegraMeter(now func() time.Time, interval time.Duration) *tegraMeter {
	return &tegraMeter{now: now, interval: interval, have: make(chan struct{}), done: make(chan struct{})}
}

// read parses tegrastats lines until r ends, stamping each reading with
// the time it was read.
func (t *tegraMeter) read(r io.Reader) {
	defer close(t.done)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		p, err := ParseTegraPower(sc.Text())
		at := t.now()
		t.mu.Lock()
		if err != nil {
			t.err = err
		} else {
			t.err, t.rail = nil, p.Rail
			t.samples = append(t.samples, powerSample{at: at, watts: p.Watts})
			if !t.begun && len(t.samples) > 1 {
				t.samples = t.samples[len(t.samples)-1:] // between intervals only the latest matters
			}
		}
		t.mu.Unlock()
		t.once.Do(func() { close(t.have) })
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
	select {
	case <-t.done:
		return 0, errors.New("energy: tegrastats exited during the interval")
	default:
	}
	last := t.samples[len(t.samples)-1].at
	if stall := end.Sub(last); stall > 5*t.interval+time.Second {
		return 0, fmt.Errorf("energy: tegrastats printed nothing for %v", stall.Round(time.Millisecond))
	}
	j, err := integrate(t.samples, t.start, end)
	t.samples = t.samples[len(t.samples)-1:]
	return j, err
}

// Close stops tegrastats.
func (t *tegraMeter) Close() error {
	if t.cancel != nil {
		t.cancel()
		_ = t.cmd.Wait()
	}
	return nil
}
