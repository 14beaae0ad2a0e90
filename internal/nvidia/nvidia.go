// Package nvidia reads NVIDIA GPU facts and per-process GPU memory through
// NVML, the NVIDIA Management Library. NVML is loaded at run time from
// libnvidia-ml.so.1, which the NVIDIA driver installs, through a small cgo
// binding of only the functions used here.
package nvidia

import (
	"errors"
	"fmt"
	"sort"
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
	lib *nvml
}

// Open loads libnvidia-ml.so.1 and initialises NVML. It fails with an error
// wrapping ErrNoNVML when the library is absent.
func Open() (*Library, error) {
	lib, err := openNVML(libraryName)
	if err != nil {
		return nil, err
	}
	return &Library{lib: lib}, nil
}

// Close shuts NVML down.
func (l *Library) Close() error { return l.lib.close() }

// GPU reads the name, driver, clocks and memory size of GPU index.
func (l *Library) GPU(index int) (GPU, error) { return l.lib.gpu(index) }

// TotalEnergy reads GPU index's total energy counter, in millijoules since
// the driver was loaded (nvmlDeviceGetTotalEnergyConsumption: Volta and
// later GPUs; older ones answer "Not Supported").
func (l *Library) TotalEnergy(index int) (uint64, error) { return l.lib.totalEnergy(index) }

// Processes lists the compute processes on GPU index, sorted by PID.
func (l *Library) Processes(index int) ([]Process, error) {
	infos, err := l.lib.processes(index)
	if err != nil {
		return nil, err
	}
	return fromNVML(infos), nil
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

func sortProcesses(p []Process) {
	sort.Slice(p, func(i, j int) bool { return p[i].PID < p[j].PID })
}
