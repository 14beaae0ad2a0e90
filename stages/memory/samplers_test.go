package memory

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/nvidia"
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

// tegraLines reads testdata/tegrastats.txt: board, used MB, total MB, line.
func tegraLines(t *testing.T) [][4]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "tegrastats.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][4]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		p := strings.SplitN(sc.Text(), "\t", 4)
		if len(p) != 4 {
			t.Fatalf("bad fixture line %q", sc.Text())
		}
		out = append(out, [4]string(p))
	}
	if len(out) < 5 {
		t.Fatalf("only %d tegrastats fixtures", len(out))
	}
	return out
}

func TestParseTegrastatsRecorded(t *testing.T) {
	for _, c := range tegraLines(t) {
		used, _ := strconv.ParseInt(c[1], 10, 64)
		total, _ := strconv.ParseInt(c[2], 10, 64)
		got, err := ParseTegrastats(c[3])
		if err != nil {
			t.Errorf("%s: %v", c[0], err)
			continue
		}
		if got.Used != used<<20 || got.Total != total<<20 {
			t.Errorf("%s: used %d total %d, want %d MiB %d MiB", c[0], got.Used, got.Total, used, total)
		}
	}
	for _, bad := range []string{"", "SWAP 0/1982MB (cached 0MB)", "RAM 5000/4000MB (lfb 1x4MB)", "IRAM 0/252kB(lfb 252kB)"} {
		if _, err := ParseTegrastats(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

// TestTegrastatsSamplerProcess runs a stand-in tegrastats that prints
// recorded Orin lines, so the process handling is exercised for real.
func TestTegrastatsSamplerProcess(t *testing.T) {
	lines := tegraLines(t)
	dir := t.TempDir()
	script := "#!/bin/sh\n[ \"$1\" = --interval ] || { echo \"usage: --interval N\" >&2; exit 2; }\n" +
		"while true; do echo '" + lines[len(lines)-1][3] + "'; sleep 0.01; done\n"
	exe := filepath.Join(dir, "tegrastats")
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := openTegrastats(context.Background(), exe, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stop := make(chan struct{})
	time.AfterFunc(50*time.Millisecond, func() { close(stop) })
	peak, n, err := poll(s, 5*time.Millisecond, stop)
	if err != nil {
		t.Fatal(err)
	}
	if peak != 18207<<20 || n < 2 {
		t.Errorf("peak %d over %d readings, want 18207 MiB over ≥ 2", peak, n)
	}
	if _, ok, _ := s.HighWater(); ok {
		t.Error("tegrastats has no high-water mark of its own")
	}
}

func TestTegrastatsMissing(t *testing.T) {
	_, err := openTegrastats(context.Background(), filepath.Join(t.TempDir(), "tegrastats"), 10)
	if err == nil || !strings.Contains(err.Error(), "JetPack") {
		t.Errorf("err %v, want one that says tegrastats comes with JetPack", err)
	}
}

// TestNVMLSamplerOnThisMachine checks the nvml sampler up to the point a
// GPU is needed: without libnvidia-ml it fails with ErrNoNVML; with it, the
// process (which has no CUDA context) holds no GPU memory.
func TestNVMLSamplerOnThisMachine(t *testing.T) {
	s, err := OpenSampler(context.Background(), SamplerNVML, 0, 5)
	if err != nil {
		if !errors.Is(err, nvidia.ErrNoNVML) || !strings.Contains(err.Error(), "libnvidia-ml.so.1") {
			t.Fatalf("err %v, want ErrNoNVML naming libnvidia-ml.so.1", err)
		}
		return
	}
	defer s.Close()
	used, err := s.Read()
	if err != nil || used != 0 {
		t.Errorf("a process without a CUDA context holds %d bytes (err %v), want 0", used, err)
	}
}

func TestOpenSamplerUnknown(t *testing.T) {
	if _, err := OpenSampler(context.Background(), "smi", 0, 5); err == nil || !strings.Contains(err.Error(), "proc, nvml or tegrastats") {
		t.Errorf("err %v", err)
	}
}
