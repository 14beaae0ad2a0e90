package conditions

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/nvidia"
)

func parseFile(t *testing.T, path string) CPUInfo {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := ParseCPUInfo(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return info
}

func TestParseCPUInfoSamples(t *testing.T) {
	for _, c := range []struct {
		file, isa, model  string
		logical, physical int
		mhz               float64
		perCycle          int
	}{
		// Recorded on a development machine (2 vCPUs, AVX-512 on AMD: two
		// 256-bit FMA units).
		{"root/proc/cpuinfo", "x86", "AMD EPYC", 2, 2, 2095.997, 32},
		// Recorded on another development machine (2 vCPUs, Intel AVX-512).
		{"cpuinfo/xeon-vm-avx512.txt", "x86", "Intel(R) Xeon(R) Processor", 2, 2, 2000, 64},
		// Two sockets × 6 cores × 2 hyper-threads, AVX2 and FMA.
		{"cpuinfo/xeon-e5-2620v3-2socket.txt", "x86", "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz", 24, 12, 1200.073, 32},
		// arm64: no core ids and no clock in cpuinfo.
		{"cpuinfo/jetson-orin-a78ae.txt", "arm", "ARMv8 Processor rev 1 (v8l)", 6, 6, 0, 16},
	} {
		info := parseFile(t, filepath.Join("testdata", c.file))
		if info.Model != c.model || info.LogicalCPUs != c.logical || info.PhysicalCores != c.physical || info.MHz != c.mhz {
			t.Errorf("%s: got %q, %d logical, %d physical, %v MHz; want %q, %d, %d, %v",
				c.file, info.Model, info.LogicalCPUs, info.PhysicalCores, info.MHz, c.model, c.logical, c.physical, c.mhz)
		}
		if n, _ := FLOPsPerCycle(info); n != c.perCycle || info.ISA != c.isa {
			t.Errorf("%s: %d FLOP/cycle on %q, want %d on %q", c.file, n, info.ISA, c.perCycle, c.isa)
		}
	}
}

func TestParseCPUInfoEmpty(t *testing.T) {
	if _, err := ParseCPUInfo(strings.NewReader("BogoMIPS\t: 50.00\n")); err == nil || !strings.Contains(err.Error(), "no processor") {
		t.Errorf("err %v, want one saying there is no processor entry", err)
	}
}

func TestCPUPeak(t *testing.T) {
	xeon := parseFile(t, filepath.Join("testdata", "cpuinfo", "xeon-e5-2620v3-2socket.txt"))
	for _, c := range []struct {
		name            string
		threads, usable int
		maxMHz          float64
		want            float64
		method          string
	}{
		// Default threads: one per physical core (12), at the cpufreq maximum.
		{"default", 0, 0, 3200, 12 * 3.2 * 32, "detected: 12 physical cores (ONNX Runtime's default thread count) × 3.20 GHz (cpufreq maximum) × 32 FLOP/cycle (AVX2 FMA"},
		// Two threads use two cores.
		{"two threads", 2, 0, 3200, 2 * 3.2 * 32, "detected: 2 cores (intra-op threads)"},
		// 24 threads on 12 cores: hyper-threads add no vector units.
		{"hyper-threads", 24, 0, 3200, 12 * 3.2 * 32, "12 physical cores"},
		// No cpufreq: the current clock from cpuinfo, labelled as such.
		// A container allowed 4 of the host's CPUs computes on 4 cores.
		{"container", 0, 4, 3200, 4 * 3.2 * 32, "detected: 4 cores (the CPUs this process may use)"},
		{"no cpufreq", 2, 0, 0, 2 * 1.200073 * 32, "1.20 GHz (current clock in /proc/cpuinfo)"},
	} {
		p := CPUPeak(xeon, c.threads, c.usable, c.maxMHz)
		if math.Abs(p.GFLOPS-c.want) > 1e-6 || !strings.Contains(p.Method, c.method) {
			t.Errorf("%s: %v GFLOP/s %q; want %v and %q", c.name, p.GFLOPS, p.Method, c.want, c.method)
		}
	}
	orin := parseFile(t, filepath.Join("testdata", "cpuinfo", "jetson-orin-a78ae.txt"))
	if p := CPUPeak(orin, 0, 0, 0); p.GFLOPS != 0 || !strings.Contains(p.Method, "unknown: neither cpufreq nor /proc/cpuinfo gives the CPU clock") {
		t.Errorf("arm64 without a clock: %+v", p)
	}
	if p := CPUPeak(orin, 0, 0, 2201.6); math.Abs(p.GFLOPS-6*2.2016*16) > 1e-6 || !strings.Contains(p.Method, "NEON") {
		t.Errorf("arm64 with cpufreq: %+v", p)
	}
	if p := CPUPeak(CPUInfo{LogicalCPUs: 1, PhysicalCores: 1, MHz: 1000, ISA: "x86", Flags: []string{"fpu"}}, 0, 0, 0); p.GFLOPS != 0 || !strings.Contains(p.Method, "peak_gflops") {
		t.Errorf("unknown vector unit: %+v", p)
	}
}

func TestGPUPeak(t *testing.T) {
	p := GPUPeak(nvidia.GPU{Name: "NVIDIA H100 80GB HBM3", Cores: 16896, MaxSMClockMHz: 1980})
	if math.Abs(p.GFLOPS-16896*1.98*2) > 1e-6 || !strings.Contains(p.Method, "16896 CUDA cores × 1.98 GHz") {
		t.Errorf("%+v", p)
	}
	if p := GPUPeak(nvidia.GPU{Name: "old", MaxSMClockMHz: 1500}); p.GFLOPS != 0 || !strings.Contains(p.Method, "unknown: NVML gives no core count") {
		t.Errorf("no core count: %+v", p)
	}
}

func TestReadDetectsPeak(t *testing.T) {
	// The recorded tree: 2 physical cores, cpuinfo_max_freq 3.5 GHz, AVX-512 on AMD (32 FLOP/cycle);
	// fewer cores if this test may use only one CPU.
	c := Read(filepath.Join("testdata", "root"), Settings{IntraOpThreads: 0, Provider: "cpu"})
	if want := float64(min(2, runtime.NumCPU())) * 3.5 * 32; c.Peak.GFLOPS != want || !strings.Contains(c.Peak.Method, "3.50 GHz (cpufreq maximum)") {
		t.Errorf("peak %+v, want %v GFLOP/s from the cpufreq maximum", c.Peak, want)
	}
	// A GPU provider without NVML has no CPU peak passed off as its own.
	c = Read(filepath.Join("testdata", "root"), Settings{Provider: "cuda"})
	if c.Peak.GFLOPS != 0 || !strings.Contains(c.Peak.Method, "not read through NVML") {
		t.Errorf("cuda without NVML: %+v", c.Peak)
	}
}
