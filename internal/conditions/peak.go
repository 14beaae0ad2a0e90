package conditions

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dnnbench/dnnbench/internal/nvidia"
)

// Peak is a device's peak FP32 throughput and how it was obtained.
type Peak struct {
	// GFLOPS is the peak in GFLOP/s; 0 when unknown.
	GFLOPS float64 `json:"gflops"`
	// Method says how GFLOPS was obtained, e.g. "detected: 2 cores × 2.20 GHz
	// (cpufreq maximum) × 32 FLOP/cycle (AVX2 FMA …)", or why it is unknown.
	Method string `json:"method"`
}

// CPUInfo is what /proc/cpuinfo says about the CPU.
type CPUInfo struct {
	// Model is the first "model name" (x86) or "Model"/"Hardware" (arm) value.
	Model string
	// Vendor is the first "vendor_id" (x86: GenuineIntel, AuthenticAMD).
	Vendor string
	// LogicalCPUs counts "processor" entries.
	LogicalCPUs int
	// PhysicalCores counts distinct (physical id, core id) pairs, or the
	// logical CPUs where those fields are absent (arm64).
	PhysicalCores int
	// MHz is the first "cpu MHz" value, the current clock; 0 when absent.
	MHz float64
	// Flags are the first CPU's "flags" (x86) or "Features" (arm).
	Flags []string
	// ISA is "x86" when the flags came from a "flags" line, "arm" from a
	// "Features" line, empty when neither was found.
	ISA string
}

// ParseCPUInfo reads a /proc/cpuinfo file.
func ParseCPUInfo(r io.Reader) (CPUInfo, error) {
	var c CPUInfo
	var fallback, phys string
	cores := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			c.LogicalCPUs++
			phys = ""
		case "vendor_id":
			if c.Vendor == "" {
				c.Vendor = v
			}
		case "model name":
			if c.Model == "" {
				c.Model = v
			}
		case "Model", "Hardware":
			if fallback == "" {
				fallback = v
			}
		case "physical id":
			phys = v
		case "core id":
			cores[phys+"/"+v] = true
		case "cpu MHz":
			if c.MHz == 0 {
				mhz, err := strconv.ParseFloat(v, 64)
				if err != nil {
					return c, fmt.Errorf("conditions: cpuinfo: cpu MHz %q: %w", v, err)
				}
				c.MHz = mhz
			}
		case "flags", "Features":
			if c.Flags == nil {
				c.Flags = strings.Fields(v)
				c.ISA = map[string]string{"flags": "x86", "Features": "arm"}[k]
			}
		}
	}
	if err := sc.Err(); err != nil {
		return c, fmt.Errorf("conditions: cpuinfo: %w", err)
	}
	if c.Model == "" {
		c.Model = fallback
	}
	c.PhysicalCores = len(cores)
	if c.PhysicalCores == 0 {
		c.PhysicalCores = c.LogicalCPUs
	}
	if c.LogicalCPUs == 0 {
		return c, fmt.Errorf("conditions: cpuinfo: no processor entries")
	}
	return c, nil
}

// FLOPsPerCycle is the FP32 FLOPs one core can retire per cycle with the
// widest vector unit the cpuinfo flags announce, and that unit's description. The
// unit counts are the common designs' and an assumption for any one CPU:
// CPUs with a single 512-bit FMA unit reach half the AVX-512 figure, and
// AMD's Zen 4 runs AVX-512 on its two 256-bit FMA units, so AMD CPUs are
// given the 256-bit figure.
// It is 0 when no known vector extension is announced.
func FLOPsPerCycle(info CPUInfo) (int, string) {
	has := func(f string) bool { return slices.Contains(info.Flags, f) }
	switch info.ISA {
	case "x86":
		switch {
		case has("avx512f") && info.Vendor == "AuthenticAMD" && has("fma"):
			return 32, "AVX-512 on AMD: 2 × 256-bit FMA units × 8 FP32 lanes × 2"
		case has("avx512f"):
			return 64, "AVX-512 FMA: 2 units × 16 FP32 lanes × 2, assumed"
		case has("avx2") && has("fma"):
			return 32, "AVX2 FMA: 2 units × 8 FP32 lanes × 2"
		case has("avx"):
			return 16, "AVX: 8-lane add + 8-lane multiply"
		case has("sse2"):
			return 8, "SSE2: 4-lane add + 4-lane multiply"
		}
	case "arm":
		if has("asimd") {
			return 16, "NEON FMA: 2 units × 4 FP32 lanes × 2, assumed"
		}
	}
	return 0, ""
}

// MaxFreqMHz returns the highest cpuinfo_max_freq (kHz) under dir (normally
// /sys/devices/system/cpu), in MHz; an error when no CPU exposes it.
func MaxFreqMHz(dir string) (float64, error) {
	paths, _ := filepath.Glob(filepath.Join(dir, "cpu[0-9]*", "cpufreq", "cpuinfo_max_freq"))
	best := 0.0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		khz, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		if err != nil {
			return 0, fmt.Errorf("conditions: %s: %w", p, err)
		}
		best = max(best, khz/1000)
	}
	if best == 0 {
		return 0, fmt.Errorf("conditions: no cpuinfo_max_freq under %s", dir)
	}
	return best, nil
}

// CPUPeak is the peak of the cores ONNX Runtime computes on: threads
// intra-op threads (0 means its default, one per physical core), at most
// the physical cores, since hyper-threads share a core's vector units, and
// at most usable, the CPUs this process may run on (0 = no limit; a
// container's /proc/cpuinfo lists the host's CPUs). maxMHz is the cpufreq
// maximum clock, or 0 to use cpuinfo's current clock.
func CPUPeak(info CPUInfo, threads, usable int, maxMHz float64) Peak {
	perCycle, unit := FLOPsPerCycle(info)
	if perCycle == 0 {
		return Peak{Method: "unknown: /proc/cpuinfo announces no known vector extension (AVX-512, AVX2 with FMA, AVX, SSE2 or NEON); set peak_gflops in the device profile"}
	}
	cores, coresText := info.PhysicalCores, "physical cores (ONNX Runtime's default thread count)"
	if usable > 0 && usable < cores {
		cores, coresText = usable, "cores (the CPUs this process may use)"
	}
	if threads > 0 && threads < cores {
		cores, coresText = threads, "cores (intra-op threads)"
	}
	mhz, clock := maxMHz, "cpufreq maximum"
	if mhz <= 0 {
		mhz, clock = info.MHz, "current clock in /proc/cpuinfo"
	}
	if mhz <= 0 || cores <= 0 {
		return Peak{Method: "unknown: neither cpufreq nor /proc/cpuinfo gives the CPU clock; set peak_gflops in the device profile"}
	}
	g := float64(cores) * mhz / 1000 * float64(perCycle)
	return Peak{GFLOPS: g, Method: fmt.Sprintf("detected: %d %s × %.2f GHz (%s) × %d FLOP/cycle (%s)",
		cores, coresText, mhz/1000, clock, perCycle, unit)}
}

// GPUPeak is an NVIDIA GPU's FP32 peak from NVML: CUDA cores × maximum SM
// clock × 2 (one fused multiply-add per core and cycle).
func GPUPeak(g nvidia.GPU) Peak {
	if g.Cores <= 0 || g.MaxSMClockMHz == 0 {
		return Peak{Method: fmt.Sprintf("unknown: NVML gives no core count or maximum SM clock for %s; set peak_gflops in the device profile", g.Name)}
	}
	ghz := float64(g.MaxSMClockMHz) / 1000
	return Peak{GFLOPS: float64(g.Cores) * ghz * 2, Method: fmt.Sprintf("detected: %d CUDA cores × %.2f GHz (maximum SM clock) × 2 FLOP/cycle (FMA), from NVML for %s",
		g.Cores, ghz, g.Name)}
}
