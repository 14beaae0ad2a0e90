// Package conditions records the conditions a measurement ran under (CPU
// model, frequency governor and clock, thread counts, execution provider,
// ONNX Runtime version, GPU facts) as data the report can show.
package conditions

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/dnnbench/dnnbench/internal/nvidia"
)

// Conditions describes the machine and settings of one run.
type Conditions struct {
	// OS and Arch are Go's names for the platform, e.g. "linux", "amd64".
	OS   string `json:"os"`
	Arch string `json:"arch"`
	// CPUModel is the CPU's model name from /proc/cpuinfo.
	CPUModel string `json:"cpu_model"`
	// LogicalCPUs is the number of CPUs the process may use.
	LogicalCPUs int `json:"logical_cpus"`
	// Governors lists the distinct cpufreq scaling governors, sorted; empty when unreadable.
	Governors []string `json:"governors"`
	// FreqMHzMin and FreqMHzMax bound the CPUs' current frequencies in MHz
	// (scaling_cur_freq); zero when unreadable.
	FreqMHzMin float64 `json:"freq_mhz_min"`
	FreqMHzMax float64 `json:"freq_mhz_max"`
	// IntraOpThreads and InterOpThreads are the configured thread counts (0 = runtime default).
	IntraOpThreads int `json:"intra_op_threads"`
	InterOpThreads int `json:"inter_op_threads"`
	// Provider is the execution provider: "cpu", "cuda" or "tensorrt".
	Provider string `json:"provider"`
	// ORTVersion is the ONNX Runtime library's version.
	ORTVersion string `json:"ort_version"`
	// GPUs are the NVIDIA GPUs read through NVML (only when the sampler is nvml).
	GPUs []nvidia.GPU `json:"gpus,omitempty"`
	// Peak is the peak FP32 throughput of what runs the model: the GPU
	// when NVML was read, the CPU cores for the CPU provider.
	Peak Peak `json:"peak"`
	// Notes say which facts could not be read and why.
	Notes []string `json:"notes,omitempty"`
}

// Settings are the run's settings that belong in the record.
type Settings struct {
	IntraOpThreads, InterOpThreads int
	Provider, ORTVersion           string
	// GPU asks for NVML facts on GPU GPUIndex.
	GPU      bool
	GPUIndex int
}

// Read gathers the conditions of this machine. root is the filesystem root
// ("/" normally; tests pass a recorded tree). Unreadable facts become Notes.
func Read(root string, s Settings) Conditions {
	c := Conditions{
		OS: runtime.GOOS, Arch: runtime.GOARCH, LogicalCPUs: runtime.NumCPU(),
		IntraOpThreads: s.IntraOpThreads, InterOpThreads: s.InterOpThreads,
		Provider: s.Provider, ORTVersion: s.ORTVersion,
	}
	if m, err := CPUModel(filepath.Join(root, "proc", "cpuinfo")); err != nil {
		c.Notes = append(c.Notes, err.Error())
	} else {
		c.CPUModel = m
	}
	f, err := ReadFreq(filepath.Join(root, "sys", "devices", "system", "cpu"))
	if err != nil {
		c.Notes = append(c.Notes, err.Error())
	}
	c.Governors, c.FreqMHzMin, c.FreqMHzMax = f.Governors, f.MinMHz, f.MaxMHz
	if s.GPU {
		c.GPUs, c.Notes = readGPU(s.GPUIndex, c.Notes)
	}
	c.Peak = readPeak(root, s, c.GPUs)
	return c
}

func readGPU(index int, notes []string) ([]nvidia.GPU, []string) {
	lib, err := nvidia.Open()
	if err != nil {
		return nil, append(notes, err.Error())
	}
	defer lib.Close()
	g, err := lib.GPU(index)
	if err != nil {
		return nil, append(notes, err.Error())
	}
	return []nvidia.GPU{g}, notes
}

// readPeak detects the peak of the GPU read through NVML or, for the CPU
// provider, of the CPU cores ONNX Runtime uses.
func readPeak(root string, s Settings, gpus []nvidia.GPU) Peak {
	switch {
	case s.GPU && len(gpus) > 0:
		return GPUPeak(gpus[0])
	case s.GPU:
		return Peak{Method: "unknown: NVML could not be read (see the notes); set peak_gflops in the device profile"}
	case s.Provider != "" && s.Provider != "cpu":
		return Peak{Method: fmt.Sprintf("unknown: the %s provider's device was not read through NVML (a Jetson has no NVML); set peak_gflops in the device profile", s.Provider)}
	}
	f, err := os.Open(filepath.Join(root, "proc", "cpuinfo"))
	if err != nil {
		return Peak{Method: "unknown: " + err.Error()}
	}
	defer f.Close()
	info, err := ParseCPUInfo(f)
	if err != nil {
		return Peak{Method: "unknown: " + err.Error()}
	}
	maxMHz, _ := MaxFreqMHz(filepath.Join(root, "sys", "devices", "system", "cpu"))
	return CPUPeak(info, s.IntraOpThreads, runtime.NumCPU(), maxMHz)
}

// CPUModel returns the first "model name" (x86) or "Model"/"Hardware" (arm)
// line of a /proc/cpuinfo file.
func CPUModel(cpuinfo string) (string, error) {
	f, err := os.Open(cpuinfo)
	if err != nil {
		return "", fmt.Errorf("conditions: cpu model: %w", err)
	}
	defer f.Close()
	info, err := ParseCPUInfo(f)
	if err != nil && info.Model == "" {
		return "", fmt.Errorf("conditions: cpu model: %w", err)
	}
	if info.Model == "" {
		return "", fmt.Errorf("conditions: cpu model: no model name in %s", cpuinfo)
	}
	return info.Model, nil
}

// Freq is what cpufreq says about the CPUs.
type Freq struct {
	// Governors are the distinct scaling governors, sorted.
	Governors []string
	// MinMHz and MaxMHz bound the current frequencies in MHz.
	MinMHz, MaxMHz float64
}

// ReadFreq reads cpu*/cpufreq/scaling_governor and scaling_cur_freq (kHz)
// under dir (normally /sys/devices/system/cpu). It is an error when no CPU
// exposes cpufreq, as in most virtual machines.
func ReadFreq(dir string) (Freq, error) {
	cpus, _ := filepath.Glob(filepath.Join(dir, "cpu[0-9]*"))
	sort.Strings(cpus)
	var f Freq
	gov := map[string]bool{}
	found := false
	for _, cpu := range cpus {
		cf := filepath.Join(cpu, "cpufreq")
		if b, err := os.ReadFile(filepath.Join(cf, "scaling_governor")); err == nil {
			found = true
			gov[strings.TrimSpace(string(b))] = true
		}
		b, err := os.ReadFile(filepath.Join(cf, "scaling_cur_freq"))
		if err != nil {
			continue
		}
		khz, err := strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
		if err != nil {
			return Freq{}, fmt.Errorf("conditions: %s: %w", filepath.Join(cf, "scaling_cur_freq"), err)
		}
		found = true
		mhz := khz / 1000
		if f.MinMHz == 0 || mhz < f.MinMHz {
			f.MinMHz = mhz
		}
		if mhz > f.MaxMHz {
			f.MaxMHz = mhz
		}
	}
	for g := range gov {
		f.Governors = append(f.Governors, g)
	}
	sort.Strings(f.Governors)
	if !found {
		return f, fmt.Errorf("conditions: cpu frequency and governor not readable (no cpufreq under %s)", dir)
	}
	return f, nil
}
