// Package tegrastats runs NVIDIA Jetson's tegrastats utility and parses
// its lines into the board's RAM in use and its power rails. The memory
// sampler reads the RAM and the energy meter the input rail, from the one
// parser here.
package tegrastats

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

// ErrNotFound reports that the tegrastats executable was not found.
var ErrNotFound = errors.New("tegrastats: not found (it ships with JetPack on NVIDIA Jetson boards)")

// InputRails are the names boards give their input power rail: POM_5V_IN
// (Jetson Nano) and VDD_IN (TX1, TX2, Xavier NX, and Orin NX and Orin Nano
// on JetPack 5 and later, in mW).
var InputRails = []string{"POM_5V_IN", "VDD_IN"}

// Rail is one power rail of a tegrastats line.
type Rail struct {
	// Name is the rail's name as printed, e.g. "VDD_IN" or "GPU".
	Name string
	// Now and Avg are its current and average power, in milliwatts.
	Now, Avg int64
}

// Line is what one tegrastats line says about memory and power.
type Line struct {
	// RAMUsed and RAMTotal are the RAM in use and in all, in bytes
	// (tegrastats prints MB = MiB).
	RAMUsed, RAMTotal int64
	// Rails are the power rails in the order printed.
	Rails []Rail
}

// InputRail returns the board's input rail (POM_5V_IN or VDD_IN); ok is
// false on boards that print only per-module rails (AGX Xavier, AGX Orin).
func (l Line) InputRail() (r Rail, ok bool) {
	for _, r := range l.Rails {
		for _, name := range InputRails {
			if r.Name == name {
				return r, true
			}
		}
	}
	return Rail{}, false
}

// ram matches "RAM used/totalMB".
var ram = regexp.MustCompile(`\bRAM (\d+)/(\d+)MB\b`)

// rail matches a power rail: "POM_5V_IN 900/943" (Nano, TX1), "VDD_IN
// 1931/1931" (TX2), "GPU 0/16" (AGX Xavier) or "VDD_GPU_SOC 2340mW/2340mW"
// (JetPack 5 and later): the name, then the current and average power in
// milliwatts. "RAM 613/3964MB" and "IRAM 0/252kB" are not rails.
var rail = regexp.MustCompile(`\b([A-Z][A-Z0-9_]*) (\d+)(?:mW)?/(\d+)(?:mW)?(?:\s|$)`)

// Parse reads one tegrastats line of any Jetson generation (Nano, TX1,
// TX2, Xavier, Orin; with or without a leading date). A line without
// "RAM used/totalMB", which every generation prints, is an error.
func Parse(line string) (Line, error) {
	m := ram.FindStringSubmatch(line)
	if m == nil {
		return Line{}, fmt.Errorf("tegrastats: no \"RAM <used>/<total>MB\" in %q", truncate(line, 80))
	}
	used, err1 := strconv.ParseInt(m[1], 10, 64)
	total, err2 := strconv.ParseInt(m[2], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return Line{}, fmt.Errorf("tegrastats: RAM: %w", err)
	}
	if used > total {
		return Line{}, fmt.Errorf("tegrastats: RAM used %d MB exceeds total %d MB", used, total)
	}
	l := Line{RAMUsed: used << 20, RAMTotal: total << 20}
	for _, r := range rail.FindAllStringSubmatch(line, -1) {
		now, err1 := strconv.ParseInt(r[2], 10, 64)
		avg, err2 := strconv.ParseInt(r[3], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return Line{}, fmt.Errorf("tegrastats: %s: %w", r[1], err)
		}
		l.Rails = append(l.Rails, Rail{Name: r[1], Now: now, Avg: avg})
	}
	return l, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Read parses the lines of r until it ends, calling handle with each
// line's parse in order.
func Read(r io.Reader, handle func(Line, error)) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		handle(Parse(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("tegrastats: reading its output: %w", err)
	}
	return nil
}

// Process is a running tegrastats whose lines go to a handler.
type Process struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	done   chan struct{}
}

// Start runs exe (default "tegrastats", looked up in PATH) with --interval
// interval and calls handle with each line's parse, from one goroutine. It
// returns once the first line has been handled; tegrastats that is not
// found (an error wrapping ErrNotFound), exits before its first line or
// prints nothing within 5 s is an error.
func Start(ctx context.Context, exe string, interval time.Duration, handle func(Line, error)) (*Process, error) {
	if exe == "" {
		exe = "tegrastats"
	}
	path, err := exec.LookPath(exe)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, path, "--interval", strconv.FormatInt(interval.Milliseconds(), 10))
	out, err := cmd.StdoutPipe()
	if err != nil {
		cancel()
		return nil, fmt.Errorf("tegrastats: %w", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, fmt.Errorf("tegrastats: starting %s: %w", path, err)
	}
	p := &Process{cmd: cmd, cancel: cancel, done: make(chan struct{})}
	first := make(chan struct{})
	var once sync.Once
	go func() {
		defer close(p.done)
		_ = Read(out, func(l Line, err error) {
			handle(l, err)
			once.Do(func() { close(first) })
		})
	}()
	select {
	case <-first:
		return p, nil
	case <-p.done:
		select {
		case <-first:
			return p, nil
		default:
		}
		p.Close()
		return nil, fmt.Errorf("tegrastats: %s exited before its first line", path)
	case <-time.After(5*time.Second + 3*interval):
		p.Close()
		return nil, errors.New("tegrastats: no output within 5 s")
	}
}

// Done is closed once tegrastats has exited and its output is read.
func (p *Process) Done() <-chan struct{} { return p.done }

// Close stops tegrastats and waits for it to exit.
func (p *Process) Close() error {
	p.cancel()
	_ = p.cmd.Wait()
	return nil
}
