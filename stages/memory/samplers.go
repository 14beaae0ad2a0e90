package memory

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dnnbench/dnnbench/internal/nvidia"
	"github.com/dnnbench/dnnbench/internal/tegrastats"
)

// Sampler names.
const (
	SamplerProc       = "proc"
	SamplerNVML       = "nvml"
	SamplerTegrastats = "tegrastats"
)

// Sampler reads memory in use, in bytes, as seen by one method.
type Sampler interface {
	// Read returns the memory in use now, in bytes.
	Read() (int64, error)
	// HighWater returns the method's own peak since the process started, if
	// it keeps one (VmHWM for proc); ok is false otherwise.
	HighWater() (bytes int64, ok bool, err error)
	// Close releases what the sampler holds.
	Close() error
}

// OpenSampler opens the named sampler for this process. gpu is the GPU
// index the nvml sampler watches; intervalMs is tegrastats' interval.
func OpenSampler(ctx context.Context, name string, gpu, intervalMs int) (Sampler, error) {
	switch name {
	case SamplerProc:
		return procSampler{path: "/proc/self/status"}, nil
	case SamplerNVML:
		return openNVML(gpu)
	case SamplerTegrastats:
		return openTegrastats(ctx, "tegrastats", intervalMs)
	}
	return nil, fmt.Errorf("memory: unknown sampler %q (want proc, nvml or tegrastats)", name)
}

// ProcStatus holds the fields of /proc/<pid>/status the proc sampler uses.
type ProcStatus struct {
	// RSS is VmRSS and HWM is VmHWM (peak RSS), in bytes.
	RSS, HWM int64
}

// ParseProcStatus reads VmRSS and VmHWM (kB) from /proc/<pid>/status text.
func ParseProcStatus(r io.Reader) (ProcStatus, error) {
	var s ProcStatus
	var haveRSS, haveHWM bool
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return s, fmt.Errorf("memory: /proc status: %s: want \"<n> kB\", got %q", k, strings.TrimSpace(v))
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return s, fmt.Errorf("memory: /proc status: %s: %w", k, err)
		}
		if k == "VmRSS" {
			s.RSS, haveRSS = kb<<10, true
		} else {
			s.HWM, haveHWM = kb<<10, true
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("memory: /proc status: %w", err)
	}
	if !haveRSS || !haveHWM {
		return s, errors.New("memory: /proc status: VmRSS or VmHWM missing (not Linux, or a kernel thread?)")
	}
	return s, nil
}

// procSampler reads this process's resident set from /proc/self/status.
type procSampler struct{ path string }

// ResetHighWater sets VmHWM to the current VmRSS by writing "5" to
// /proc/self/clear_refs (Linux ≥ 4.0), so the high-water mark covers only
// what follows, not the transient buffers of loading the model.
func (procSampler) ResetHighWater() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("memory: resetting VmHWM: %w", err)
	}
	return nil
}

func (p procSampler) status() (ProcStatus, error) {
	b, err := os.ReadFile(p.path)
	if err != nil {
		return ProcStatus{}, fmt.Errorf("memory: proc sampler: %w", err)
	}
	return ParseProcStatus(bytes.NewReader(b))
}

func (p procSampler) Read() (int64, error) {
	s, err := p.status()
	return s.RSS, err
}

func (p procSampler) HighWater() (int64, bool, error) {
	s, err := p.status()
	return s.HWM, err == nil, err
}

func (procSampler) Close() error { return nil }

// nvmlSampler reads the GPU memory this process holds on one GPU.
type nvmlSampler struct {
	lib *nvidia.Library
	gpu int
	pid int
}

func openNVML(gpu int) (Sampler, error) {
	lib, err := nvidia.Open()
	if err != nil {
		return nil, fmt.Errorf("memory: nvml sampler: %w", err)
	}
	return &nvmlSampler{lib: lib, gpu: gpu, pid: os.Getpid()}, nil
}

func (n *nvmlSampler) Read() (int64, error) {
	procs, err := n.lib.Processes(n.gpu)
	if err != nil {
		return 0, fmt.Errorf("memory: nvml sampler: %w", err)
	}
	return nvidia.UsedBy(procs, n.pid)
}

func (*nvmlSampler) HighWater() (int64, bool, error) { return 0, false, nil }

func (n *nvmlSampler) Close() error { return n.lib.Close() }

// tegraSampler runs tegrastats and keeps its latest RAM reading. Jetsons
// share RAM between CPU and GPU, so this is system-wide memory in use.
type tegraSampler struct {
	proc   *tegrastats.Process
	mu     sync.Mutex
	latest int64
	lines  int64 // RAM readings parsed so far
	err    error
}

func openTegrastats(ctx context.Context, exe string, intervalMs int) (Sampler, error) {
	if intervalMs < 1 {
		intervalMs = 10
	}
	t := &tegraSampler{}
	p, err := tegrastats.Start(ctx, exe, time.Duration(intervalMs)*time.Millisecond, t.handle)
	if errors.Is(err, tegrastats.ErrNotFound) {
		return nil, fmt.Errorf("memory: tegrastats sampler: %w (use memory_sampler proc elsewhere)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("memory: tegrastats sampler: %w", err)
	}
	t.proc = p
	if _, err := t.Read(); err != nil {
		t.Close()
		return nil, err
	}
	return t, nil
}

// handle takes one parsed tegrastats line.
func (t *tegraSampler) handle(l tegrastats.Line, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.err = fmt.Errorf("memory: %w", err)
		return
	}
	t.latest, t.err = l.RAMUsed, nil
	t.lines++
}

func (t *tegraSampler) Read() (int64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.latest, t.err
}

// Readings returns how many lines tegrastats has printed so far; Read
// returns the latest of them, so repeated Reads are not new readings.
func (t *tegraSampler) Readings() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lines
}

func (*tegraSampler) HighWater() (int64, bool, error) { return 0, false, nil }

func (t *tegraSampler) Close() error { return t.proc.Close() }

// readingCounter is a sampler that takes readings on its own schedule
// (tegrastats prints a line per interval) and whose Read returns the
// latest one, however often it is called.
type readingCounter interface {
	// Readings returns how many readings the sampler has taken so far.
	Readings() int64
}

// poll reads s every interval until stop is closed and reports the highest
// reading and how many new readings it saw: every Read for samplers that
// measure when read, and only the readings taken meanwhile for a
// readingCounter.
func poll(s Sampler, interval time.Duration, stop <-chan struct{}) (peak int64, n int64, err error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	counter, counts := s.(readingCounter)
	var before int64
	if counts {
		before = counter.Readings()
	}
	read := func() {
		v, e := s.Read()
		if e != nil {
			if err == nil {
				err = e
			}
			return
		}
		n++
		peak = max(peak, v)
	}
	read()
	for {
		select {
		case <-stop:
			read()
			if counts {
				n = counter.Readings() - before
			}
			return peak, n, err
		case <-tick.C:
			read()
		}
	}
}
