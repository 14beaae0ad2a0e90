// Package nvidia reads NVIDIA GPU facts and per-process GPU memory through
// NVML (github.com/NVIDIA/go-nvml). NVML is loaded at run time from
// libnvidia-ml.so.1, which the NVIDIA driver installs.
package nvidia

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// ErrNoNVML reports that the NVML library could not be loaded.
var ErrNoNVML = errors.New("nvidia: libnvidia-ml.so.1 not found; install the NVIDIA driver (it ships NVML) or use a device whose memory_sampler is proc or tegrastats")

// notAvailable is NVML_VALUE_NOT_AVAILABLE for 64-bit values.
const notAvailable = ^uint64(0)

// GPU describes one GPU and the conditions it runs under.
type GPU struct {
	// Index is the NVML device index.
	Index int `json:"index"`
	// Name is the product name, e.g. "NVIDIA A100-SXM4-40GB".
	Name string `json:"name"`
	// Driver is the driver version, e.g. "535.129.03".
	Driver string `json:"driver"`
	// SMClockMHz and MemClockMHz are the current clocks in MHz.
	SMClockMHz  uint32 `json:"sm_clock_mhz"`
	MemClockMHz uint32 `json:"mem_clock_mhz"`
	// MaxSMClockMHz is the maximum SM clock in MHz.
	MaxSMClockMHz uint32 `json:"max_sm_clock_mhz"`
	// MemoryBytes is the total device memory in bytes.
	MemoryBytes uint64 `json:"memory_bytes"`
	// Cores is the number of CUDA cores; 0 when the driver does not say.
	Cores int `json:"cuda_cores,omitempty"`
}

// Process is one process's use of a GPU.
type Process struct {
	// PID is the process id.
	PID int
	// UsedBytes is the GPU memory the process holds, in bytes; -1 when the
	// driver does not report it (e.g. under MIG or WDDM).
	UsedBytes int64
}

// Library is an initialised NVML.
type Library struct {
	lib nvml.Interface
}

// Open loads and initialises NVML. It fails with ErrNoNVML when the library
// is absent.
func Open() (*Library, error) {
	lib := nvml.New()
	ret := lib.Init()
	if ret == nvml.ERROR_LIBRARY_NOT_FOUND {
		return nil, ErrNoNVML
	}
	if ret != nvml.SUCCESS {
		return nil, fmt.Errorf("nvidia: initialising NVML: %s", lib.ErrorString(ret))
	}
	return &Library{lib: lib}, nil
}

// Close shuts NVML down.
func (l *Library) Close() error {
	if ret := l.lib.Shutdown(); ret != nvml.SUCCESS {
		return fmt.Errorf("nvidia: shutting NVML down: %s", l.lib.ErrorString(ret))
	}
	return nil
}

func (l *Library) device(index int) (nvml.Device, error) {
	d, ret := l.lib.DeviceGetHandleByIndex(index)
	if ret != nvml.SUCCESS {
		return nil, fmt.Errorf("nvidia: GPU %d: %s", index, l.lib.ErrorString(ret))
	}
	return d, nil
}

// GPU reads the name, driver, clocks and memory size of GPU index.
func (l *Library) GPU(index int) (GPU, error) {
	d, err := l.device(index)
	if err != nil {
		return GPU{}, err
	}
	g := GPU{Index: index}
	var ret nvml.Return
	if g.Name, ret = d.GetName(); ret != nvml.SUCCESS {
		return GPU{}, fmt.Errorf("nvidia: GPU %d name: %s", index, l.lib.ErrorString(ret))
	}
	if g.Driver, ret = l.lib.SystemGetDriverVersion(); ret != nvml.SUCCESS {
		return GPU{}, fmt.Errorf("nvidia: driver version: %s", l.lib.ErrorString(ret))
	}
	// Clocks are optional facts: some boards do not report them.
	g.SMClockMHz, _ = d.GetClockInfo(nvml.CLOCK_SM)
	g.MemClockMHz, _ = d.GetClockInfo(nvml.CLOCK_MEM)
	g.MaxSMClockMHz, _ = d.GetMaxClockInfo(nvml.CLOCK_SM)
	if m, ret := d.GetMemoryInfo(); ret == nvml.SUCCESS {
		g.MemoryBytes = m.Total
	}
	if n, ret := d.GetNumGpuCores(); ret == nvml.SUCCESS {
		g.Cores = n
	}
	return g, nil
}

// Processes lists the compute processes on GPU index.
func (l *Library) Processes(index int) ([]Process, error) {
	d, err := l.device(index)
	if err != nil {
		return nil, err
	}
	infos, ret := d.GetComputeRunningProcesses()
	if ret != nvml.SUCCESS {
		return nil, fmt.Errorf("nvidia: GPU %d processes: %s", index, l.lib.ErrorString(ret))
	}
	return FromNVML(infos), nil
}

// FromNVML converts NVML process records, sorted by PID.
func FromNVML(infos []nvml.ProcessInfo) []Process {
	out := make([]Process, 0, len(infos))
	for _, p := range infos {
		used := int64(-1)
		if p.UsedGpuMemory != notAvailable {
			used = int64(p.UsedGpuMemory)
		}
		out = append(out, Process{PID: int(p.Pid), UsedBytes: used})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// UsedBy returns the GPU memory process pid holds. A process that is not
// listed holds none (it has no CUDA context yet). A listed process whose
// usage is unavailable is an error.
func UsedBy(procs []Process, pid int) (int64, error) {
	var total int64
	for _, p := range procs {
		if p.PID != pid {
			continue
		}
		if p.UsedBytes < 0 {
			return 0, fmt.Errorf("nvidia: the driver does not report per-process memory for pid %d (MIG or WDDM?)", pid)
		}
		total += p.UsedBytes
	}
	return total, nil
}

// ParseComputeApps parses the output of
// `nvidia-smi --query-compute-apps=pid,used_memory --format=csv` (with or
// without header and units); used_memory is in MiB. "[N/A]" becomes -1.
func ParseComputeApps(out string) ([]Process, error) {
	var procs []Process
	for i, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "pid") {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 2 {
			return nil, fmt.Errorf("nvidia: compute-apps line %d: want pid,used_memory, got %q", i+1, line)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(f[0]))
		if err != nil {
			return nil, fmt.Errorf("nvidia: compute-apps line %d: pid: %w", i+1, err)
		}
		mem := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(f[1]), "MiB"))
		used := int64(-1)
		if mem != "[N/A]" && mem != "N/A" {
			mib, err := strconv.ParseInt(mem, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("nvidia: compute-apps line %d: used_memory: %w", i+1, err)
			}
			used = mib << 20
		}
		procs = append(procs, Process{PID: pid, UsedBytes: used})
	}
	sort.Slice(procs, func(i, j int) bool { return procs[i].PID < procs[j].PID })
	return procs, nil
}
