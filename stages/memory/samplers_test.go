package memory

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/nvidia"
	"github.com/dnnbench/dnnbench/internal/tegrastats"
	"github.com/dnnbench/dnnbench/internal/tegrastats/tegrastatstest"
)

func TestParseProcStatusRecorded(t *testing.T) {
	for _, c := range []struct {
		file     string
		rss, hwm int64
	}{
		{"proc_self_status.txt", 1748 << 10, 1748 << 10},
		{"proc_status_init.txt", 14704 << 10, 17552 << 10},
	} {
		f, err := os.Open(filepath.Join("testdata", c.file))
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseProcStatus(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if s.RSS != c.rss || s.HWM != c.hwm {
			t.Errorf("%s: rss %d hwm %d, want %d %d", c.file, s.RSS, s.HWM, c.rss, c.hwm)
		}
	}
}

func TestParseProcStatusBad(t *testing.T) {
	for _, text := range []string{
		"Name:\tx\nVmRSS:\t 12 kB\n",           // no VmHWM
		"VmRSS:\t 12 MB\nVmHWM:\t 12 kB\n",     // unit
		"VmRSS:\t twelve kB\nVmHWM:\t 12 kB\n", // number
	} {
		if _, err := ParseProcStatus(strings.NewReader(text)); err == nil {
			t.Errorf("%q: want an error", text)
		}
	}
}

func TestProcSamplerLive(t *testing.T) {
	s, err := OpenSampler(context.Background(), SamplerProc, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before, err := s.Read()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	after, err := s.Read()
	if err != nil {
		t.Fatal(err)
	}
	hwm, ok, err := s.HighWater()
	if err != nil || !ok {
		t.Fatalf("high water: %v %v", ok, err)
	}
	if after-before < 60<<20 || hwm < after {
		t.Errorf("touching 64 MiB: rss %d → %d, hwm %d", before, after, hwm)
	}
	_ = buf[len(buf)-1]
}

// TestTegrastatsSamplerProcess runs a stand-in tegrastats that prints
// recorded Orin lines, so the process handling is exercised for real.
func TestTegrastatsSamplerProcess(t *testing.T) {
	exe := tegrastatstest.StandIn(t, "tegrastats", tegrastatstest.Line(t, "agx-orin-jp6"))
	s, err := openTegrastats(context.Background(), exe, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Stop once the stand-in has printed three more lines, however slow
	// the machine; poll must count only lines printed while it ran.
	stop := make(chan struct{})
	ts := s.(*tegraSampler)
	start := ts.Readings()
	go func() {
		for deadline := time.Now().Add(10 * time.Second); ts.Readings() < start+3 && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		close(stop)
	}()
	peak, n, err := poll(s, time.Millisecond, stop)
	if err != nil {
		t.Fatal(err)
	}
	if peak != 18207<<20 || n < 1 || n > ts.Readings()-start {
		t.Errorf("peak %d over %d readings (%d lines printed meanwhile), want 18207 MiB over the lines printed", peak, n, ts.Readings()-start)
	}
	if _, ok, _ := s.HighWater(); ok {
		t.Error("tegrastats has no high-water mark of its own")
	}
}

// TestTegrastatsSamplerBadLine: a line without RAM is an error until the
// next good line replaces it.
func TestTegrastatsSamplerBadLine(t *testing.T) {
	ts := &tegraSampler{}
	if err := tegrastats.Read(strings.NewReader(tegrastatstest.Line(t, "nano")+"\nSWAP 0/1982MB\n"), ts.handle); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Read(); err == nil || !strings.Contains(err.Error(), "memory: tegrastats: no \"RAM") {
		t.Errorf("after a line without RAM: err %v", err)
	}
	if err := tegrastats.Read(strings.NewReader(tegrastatstest.Line(t, "tx2")+"\n"), ts.handle); err != nil {
		t.Fatal(err)
	}
	if v, err := ts.Read(); err != nil || v != 1685<<20 || ts.Readings() != 2 {
		t.Errorf("after a good line: %d, %v, %d readings; want 1685 MiB, nil, 2", v, err, ts.Readings())
	}
}

func TestTegrastatsMissing(t *testing.T) {
	_, err := openTegrastats(context.Background(), filepath.Join(t.TempDir(), "tegrastats"), 10)
	if err == nil || !strings.Contains(err.Error(), "JetPack") {
		t.Errorf("err %v, want one that says tegrastats comes with JetPack", err)
	}
}

// TestNVMLSamplerOnThisMachine reads the GPU memory this process holds
// through the driver's NVML: it has no CUDA context, so none. It needs the
// NVIDIA driver and skips, saying so, where there is none.
func TestNVMLSamplerOnThisMachine(t *testing.T) {
	s, err := OpenSampler(context.Background(), SamplerNVML, 0, 5)
	if errors.Is(err, nvidia.ErrNoNVML) {
		if !strings.Contains(err.Error(), "memory: nvml sampler") {
			t.Errorf("err %v does not name the sampler", err)
		}
		t.Skipf("needs the NVIDIA driver: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	used, err := s.Read()
	if err != nil || used != 0 {
		t.Errorf("a process without a CUDA context holds %d bytes (err %v), want 0", used, err)
	}
}

// repeatingSampler takes a new reading on every every-th Read and returns
// the latest one otherwise, as tegrastats does when read faster than it
// prints; it closes stop at Read number stopAt.
type repeatingSampler struct {
	reads, taken, every, stopAt int64
	stop                        chan struct{}
}

func (r *repeatingSampler) Read() (int64, error) {
	r.reads++
	if r.reads%r.every == 0 {
		r.taken++
	}
	if r.reads == r.stopAt {
		close(r.stop)
	}
	return r.taken << 20, nil
}

func (r *repeatingSampler) Readings() int64               { return r.taken }
func (*repeatingSampler) HighWater() (int64, bool, error) { return 0, false, nil }
func (*repeatingSampler) Close() error                    { return nil }

// measuring hides Readings: a sampler that measures on every Read.
type measuring struct{ s *repeatingSampler }

func (m measuring) Read() (int64, error)          { return m.s.Read() }
func (measuring) HighWater() (int64, bool, error) { return 0, false, nil }
func (measuring) Close() error                    { return nil }

// TestPollCountsNewReadings: re-reading a sampler's latest value is not a
// new reading, so a sampler read four times per reading it takes reports
// a quarter of the reads; one that measures on each Read reports them all.
func TestPollCountsNewReadings(t *testing.T) {
	r := &repeatingSampler{every: 4, stopAt: 12, stop: make(chan struct{})}
	r.taken = 5 // readings taken before polling starts are not counted
	peak, n, err := poll(r, time.Millisecond, r.stop)
	if err != nil {
		t.Fatal(err)
	}
	if n != r.taken-5 || n >= r.reads || n < 3 {
		t.Errorf("%d readings counted over %d reads; want the %d taken meanwhile", n, r.reads, r.taken-5)
	}
	if peak != r.taken<<20 {
		t.Errorf("peak %d, want the last reading %d", peak, r.taken<<20)
	}
	m := measuring{&repeatingSampler{every: 4, stopAt: 6, stop: make(chan struct{})}}
	if _, n, err := poll(m, time.Millisecond, m.s.stop); err != nil || n != m.s.reads {
		t.Errorf("measuring sampler: %d readings counted over %d reads (err %v), want every read", n, m.s.reads, err)
	}
}

func TestOpenSamplerUnknown(t *testing.T) {
	if _, err := OpenSampler(context.Background(), "smi", 0, 5); err == nil || !strings.Contains(err.Error(), "proc, nvml or tegrastats") {
		t.Errorf("err %v", err)
	}
}
