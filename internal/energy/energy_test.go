package energy

import (
	"bufio"
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/tegrastats"
	"github.com/dnnbench/dnnbench/internal/tegrastats/tegrastatstest"
)

// fakeSysfs writes the powercap tree listed in testdata/name (zone/file,
// a tab, the value) under a temporary root and returns the root.
func fakeSysfs(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	root := t.TempDir()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		file, value, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("%s: %q has no tab", name, line)
		}
		setFile(t, root, file, value)
		n++
	}
	if err := sc.Err(); err != nil || n == 0 {
		t.Fatalf("%s: %d files, %v", name, n, err)
	}
	return root
}

// setFile writes value into zone file (e.g. "intel-rapl:0/energy_uj") under root.
func setFile(t *testing.T, root, file, value string) {
	t.Helper()
	p := filepath.Join(root, powercap, file)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(value+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func addUJ(t *testing.T, root, zone string, uj uint64) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, powercap, zone, "energy_uj"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	setFile(t, root, zone+"/energy_uj", strconv.FormatUint(v+uj, 10))
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestRAPLSumsPackages measures a two-socket server: both packages'
// increases are summed, the DRAM subzones are not added on top.
func TestRAPLSumsPackages(t *testing.T) {
	root := fakeSysfs(t, "rapl-xeon-2s.txt")
	m, err := OpenRAPL(root)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Source(), "rapl: package-0+package-1"; got != want {
		t.Errorf("source %q, want %q", got, want)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	addUJ(t, root, "intel-rapl:0", 12_500_000)
	addUJ(t, root, "intel-rapl:1", 9_250_000)
	addUJ(t, root, "intel-rapl:0:0", 4_000_000) // DRAM: part of neither package figure
	j, err := m.Stop()
	if err != nil || !near(j, 21.75) {
		t.Errorf("Stop = %v J, %v; want 21.75 J (12.5 + 9.25)", j, err)
	}
	if _, err := m.Stop(); err == nil {
		t.Error("a second Stop without Start succeeded")
	}
}

// TestRAPLWrapAround: a counter that passed max_energy_range_uj restarts
// from 0; the increase counts the part before the wrap and after it.
func TestRAPLWrapAround(t *testing.T) {
	for _, c := range []struct {
		fixture string
		max     uint64
	}{{"rapl-xeon-2s.txt", 262143328850}, {"rapl-amd.txt", 65532610987}} {
		t.Run(c.fixture, func(t *testing.T) {
			root := fakeSysfs(t, c.fixture)
			setFile(t, root, "intel-rapl:0/energy_uj", strconv.FormatUint(c.max-1_500_000, 10))
			m, err := OpenRAPL(root)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.Start(); err != nil {
				t.Fatal(err)
			}
			setFile(t, root, "intel-rapl:0/energy_uj", "2250000")
			j, err := m.Stop()
			if err != nil || !near(j, 3.75) {
				t.Errorf("across the wrap: %v J, %v; want 3.75 J (1.5 before, 2.25 after)", j, err)
			}
		})
	}
	if got := wrapDelta(10, 10, 100); got != 0 {
		t.Errorf("unchanged counter: %d", got)
	}
}

// TestRAPLLaptop leaves the platform (psys) zone and the MMIO interface
// out: psys covers the package already.
func TestRAPLLaptop(t *testing.T) {
	root := fakeSysfs(t, "rapl-laptop.txt")
	m, err := OpenRAPL(root)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Source(); got != "rapl: package-0" {
		t.Errorf("source %q, want only package-0", got)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	addUJ(t, root, "intel-rapl:0", 7_000_000)
	addUJ(t, root, "intel-rapl:1", 19_000_000) // psys
	addUJ(t, root, "intel-rapl-mmio:0", 7_000_000)
	if j, err := m.Stop(); err != nil || !near(j, 7) {
		t.Errorf("Stop = %v J, %v; want 7 J", j, err)
	}
}

// TestRAPLErrors: each reason no counter can be used is an error that says
// where and why.
func TestRAPLErrors(t *testing.T) {
	empty := t.TempDir()
	if _, err := OpenRAPL(empty); err == nil || !strings.Contains(err.Error(), "sys/class/powercap does not exist") {
		t.Errorf("no powercap: err %v", err)
	}
	mmio := t.TempDir()
	setFile(t, mmio, "intel-rapl-mmio:0/name", "package-0")
	if _, err := OpenRAPL(mmio); err == nil || !strings.Contains(err.Error(), "no CPU package zone") {
		t.Errorf("only MMIO zone: err %v", err)
	}
	bad := fakeSysfs(t, "rapl-amd.txt")
	setFile(t, bad, "intel-rapl:0/energy_uj", "n/a")
	if _, err := OpenRAPL(bad); err == nil || !strings.Contains(err.Error(), `"n/a" is not a count of microjoules`) {
		t.Errorf("malformed counter: err %v", err)
	}
	over := fakeSysfs(t, "rapl-amd.txt")
	setFile(t, over, "intel-rapl:0/energy_uj", "65532610988")
	if _, err := OpenRAPL(over); err == nil || !strings.Contains(err.Error(), "exceeds max_energy_range_uj") {
		t.Errorf("counter above its range: err %v", err)
	}
	gone := fakeSysfs(t, "rapl-amd.txt")
	if err := os.Remove(filepath.Join(gone, powercap, "intel-rapl:0", "max_energy_range_uj")); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenRAPL(gone); err == nil || !strings.Contains(err.Error(), "max_energy_range_uj") {
		t.Errorf("missing max_energy_range_uj: err %v", err)
	}

	// Since Linux 5.10 energy_uj is mode 0400 root: an ordinary user's read
	// fails with EACCES. (These tests may run as root, whom file modes do not
	// stop, so the error is injected as os.ReadFile returns it.)
	root := fakeSysfs(t, "rapl-xeon-2s.txt")
	denied := filepath.Join(root, powercap, "intel-rapl:0", "energy_uj")
	readFile := func(p string) ([]byte, error) {
		if p == denied {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
		}
		return os.ReadFile(p)
	}
	_, err := openRAPL(root, readFile)
	if err == nil || !strings.Contains(err.Error(), "no readable RAPL counter: "+denied+": permission denied") || !strings.Contains(err.Error(), "run as root") {
		t.Errorf("permission denied: err %v", err)
	}

	// A counter that disappears between Start and Stop fails the interval.
	root = fakeSysfs(t, "rapl-amd.txt")
	m, err := OpenRAPL(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(root, powercap, "intel-rapl:0", "energy_uj")); err != nil {
		t.Fatal(err)
	}
	if j, err := m.Stop(); err == nil {
		t.Errorf("Stop after the counter vanished = %v J, want an error", j)
	}
}

// TestOpenFallsBackToNone: a host without any sensor gets a meter that
// says why and measures NaN, never 0.
func TestOpenFallsBackToNone(t *testing.T) {
	root := t.TempDir()
	m := Open(context.Background(), Options{SysRoot: root, Tegrastats: filepath.Join(root, "no-tegrastats")})
	defer m.Close()
	src := m.Source()
	if !strings.HasPrefix(src, "none: no RAPL counter: ") || !strings.Contains(src, "does not exist") || strings.Contains(src, "tegrastats") {
		t.Errorf("source %q, want the RAPL reason alone", src)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	if j, err := m.Stop(); err != nil || !math.IsNaN(j) {
		t.Errorf("Stop = %v, %v; want NaN", j, err)
	}
	// NVML asked for: the GPU counter or why not, never RAPL instead.
	g := Open(context.Background(), Options{SysRoot: fakeSysfs(t, "rapl-amd.txt"), NVML: true})
	defer g.Close()
	if src := g.Source(); !strings.HasPrefix(src, "nvml: GPU 0") && !strings.HasPrefix(src, "none: no GPU energy counter: nvidia: ") {
		t.Errorf("NVML device: source %q", src)
	}
	// RAPL readable: Open picks it.
	if m := Open(context.Background(), Options{SysRoot: fakeSysfs(t, "rapl-amd.txt")}); m.Source() != "rapl: package-0" {
		t.Errorf("with a readable RAPL tree: source %q", m.Source())
	}
}

// fakeCounter is a recorded sequence of NVML total energy readings.
type fakeCounter struct {
	readings []uint64
	err      error
	closed   bool
}

func (f *fakeCounter) TotalEnergy(int) (uint64, error) {
	if f.err != nil {
		return 0, f.err
	}
	if len(f.readings) == 0 {
		return 0, errors.New("nvidia: GPU 0 total energy: Unknown Error")
	}
	v := f.readings[0]
	f.readings = f.readings[1:]
	return v, nil
}

func (f *fakeCounter) Close() error { f.closed = true; return nil }

// TestGPUMeter turns millijoule counter readings into joules; a GPU that
// does not support the counter and a counter that goes down are errors.
func TestGPUMeter(t *testing.T) {
	// Readings of an A100 at about 250 W read 0.4 s apart: probe, Start, Stop.
	c := &fakeCounter{readings: []uint64{20513890551, 20513990812, 20514091077}}
	m, err := newGPUMeter(c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if m.Source() != "nvml: GPU 0 total energy" {
		t.Errorf("source %q", m.Source())
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	if j, err := m.Stop(); err != nil || !near(j, 100.265) {
		t.Errorf("Stop = %v J, %v; want 100.265 J", j, err)
	}
	if err := m.Close(); err != nil || !c.closed {
		t.Errorf("close: %v, closed %v", err, c.closed)
	}
	old := &fakeCounter{err: errors.New("nvidia: GPU 0 total energy: Not Supported")}
	if _, err := newGPUMeter(old, 0); err == nil || !strings.Contains(err.Error(), "no GPU energy counter: nvidia: GPU 0 total energy: Not Supported") {
		t.Errorf("pre-Volta GPU: err %v", err)
	}
	reload := &fakeCounter{readings: []uint64{9000, 9000, 120}}
	m, err = newGPUMeter(reload, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Stop(); err == nil || !strings.Contains(err.Error(), "went down") {
		t.Errorf("counter reset: err %v", err)
	}
}

// TestInputPower reads the input rail of every recorded board in watts;
// boards that print only per-module rails are errors that name the rails
// looked for and those found.
func TestInputPower(t *testing.T) {
	want := map[string]float64{"nano": 0.9, "nano-iram": 4.52, "tx1": 2.532, "tx2": 1.931, "tx2-lfb-kB": 14.025, "xavier-nx-jp512": 2.763}
	for _, f := range tegrastatstest.Fixtures(t) {
		l, err := tegrastats.Parse(f.Line)
		if err != nil {
			t.Fatal(err)
		}
		r, w, err := inputPower(l)
		if _, ok := want[f.Board]; !ok {
			if err == nil || !strings.Contains(err.Error(), "no POM_5V_IN or VDD_IN input rail among "+f.Rails[0].Name+", ") {
				t.Errorf("%s: %+v, %v; want an error naming the rails", f.Board, r, err)
			}
			continue
		}
		if err != nil || !near(w, want[f.Board]) || r.Name != f.Rails[0].Name {
			t.Errorf("%s: %s %v W, %v; want %s %v W", f.Board, r.Name, w, err, f.Rails[0].Name, want[f.Board])
		}
	}
}

// TestIntegrate: each reading holds until the next; the parts outside the
// interval do not count.
func TestIntegrate(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	s := []powerSample{{at(0), 2}, {at(20), 4}, {at(40), 3}}
	// [10, 50] ms: 2 W × 10 ms + 4 W × 20 ms + 3 W × 10 ms = 0.13 J.
	if j, err := integrate(s, at(10), at(50)); err != nil || !near(j, 0.13) {
		t.Errorf("integrate = %v, %v; want 0.13 J", j, err)
	}
	if j, err := integrate(s[:1], at(5), at(5)); err != nil || j != 0 {
		t.Errorf("empty interval = %v, %v", j, err)
	}
	if _, err := integrate(s[1:], at(10), at(50)); err == nil {
		t.Error("no reading before the interval: no error")
	}
}

// TestTegraMeterProcess runs a stand-in tegrastats printing a recorded TX2
// line under load (14025 mW) and one idle (1931 mW) alternately: any
// interval's energy lies between the two powers times its length.
func TestTegraMeterProcess(t *testing.T) {
	exe := tegrastatstest.StandIn(t, "tegrastats", tegrastatstest.Line(t, "tx2-lfb-kB"), tegrastatstest.Line(t, "tx2"))
	m, err := OpenTegrastats(context.Background(), exe, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Source() != "tegrastats: VDD_IN (board input power)" {
		t.Errorf("source %q", m.Source())
	}
	t0 := time.Now()
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	j, err := m.Stop()
	d := time.Since(t0).Seconds()
	if err != nil || j < 1.931*0.1 || j > 14.025*d {
		t.Errorf("Stop = %v J, %v; want between 1.931 W × 0.1 s and 14.025 W × %.3f s", j, err, d)
	}

	if _, err := OpenTegrastats(context.Background(), filepath.Join(t.TempDir(), "absent"), 10); !errors.Is(err, tegrastats.ErrNotFound) {
		t.Errorf("absent tegrastats: err %v", err)
	}
	// An AGX Orin prints no input rail: opening says so.
	exe2 := tegrastatstest.StandIn(t, "tegrastats", tegrastatstest.Line(t, "agx-orin-jp6"))
	if _, err := OpenTegrastats(context.Background(), exe2, 10); err == nil || !strings.Contains(err.Error(), "no POM_5V_IN or VDD_IN") {
		t.Errorf("AGX Orin: err %v", err)
	}
}

// TestTegraMeterStall: a reading older than five intervals and a second is
// not held over an interval; the meter reports tegrastats stalled.
func TestTegraMeterStall(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := newTegraMeter(func() time.Time { return now }, 20*time.Millisecond)
	done := make(chan struct{})
	m.done = done
	if err := tegrastats.Read(strings.NewReader("RAM 1685/7854MB VDD_IN 1931/1931\n"), m.handle); err != nil {
		t.Fatal(err)
	}
	close(done) // the output ended: tegrastats has exited.
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(50 * time.Millisecond)
	if _, err := m.Stop(); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("after tegrastats exited: err %v", err)
	}
	m2 := newTegraMeter(func() time.Time { return now }, 20*time.Millisecond)
	m2.samples = []powerSample{{now, 5}}
	if err := m2.Start(); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Second)
	if _, err := m2.Stop(); err == nil || !strings.Contains(err.Error(), "printed nothing for 2s") {
		t.Errorf("stalled: err %v", err)
	}
	m3 := newTegraMeter(func() time.Time { return now }, 20*time.Millisecond)
	m3.samples = []powerSample{{now, 5}}
	if err := m3.Start(); err != nil {
		t.Fatal(err)
	}
	m3.samples = append(m3.samples, powerSample{now.Add(10 * time.Millisecond), 7})
	now = now.Add(30 * time.Millisecond)
	if j, err := m3.Stop(); err != nil || !near(j, 5*0.01+7*0.02) {
		t.Errorf("Stop = %v, %v; want 0.19 J", j, err)
	}
}
