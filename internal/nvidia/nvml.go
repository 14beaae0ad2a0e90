package nvidia

// A small binding of the NVML functions this package uses. libnvidia-ml is
// opened with dlopen at run time, so the program builds and runs where the
// NVIDIA driver is absent, and the types below are declared here instead of
// including the whole nvml.h (whose deprecated declarations make every cgo
// build of a full binding print warnings).

/*
#cgo linux LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;

// nvmlMemory_t as in nvml.h: bytes.
typedef struct {
	unsigned long long total;
	unsigned long long free;
	unsigned long long used;
} nvmlMemory_t;

// nvmlProcessInfo_t of nvmlDeviceGetComputeRunningProcesses_v3 and _v2.
typedef struct {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId;
	unsigned int computeInstanceId;
} nvmlProcessInfo_t;

// nvmlProcessInfo_v1_t of the unversioned nvmlDeviceGetComputeRunningProcesses.
typedef struct {
	unsigned int pid;
	unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;

enum {
	dnnSuccess = 0,
	dnnInsufficientSize = 7,
	dnnNotFound = 13, // NVML_ERROR_FUNCTION_NOT_FOUND
	dnnErrorMemory = 20,
	dnnNameSize = 96,   // NVML_DEVICE_NAME_V2_BUFFER_SIZE
	dnnDriverSize = 80, // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE
	dnnClockSM = 1,     // NVML_CLOCK_SM
	dnnClockMem = 2,    // NVML_CLOCK_MEM
};

typedef struct {
	void *handle;
	nvmlReturn_t (*init)(void);
	nvmlReturn_t (*shutdown)(void);
	const char *(*errorString)(nvmlReturn_t);
	nvmlReturn_t (*handleByIndex)(unsigned int, nvmlDevice_t *);
	nvmlReturn_t (*name)(nvmlDevice_t, char *, unsigned int);
	nvmlReturn_t (*driverVersion)(char *, unsigned int);
	nvmlReturn_t (*clockInfo)(nvmlDevice_t, int, unsigned int *);
	nvmlReturn_t (*maxClockInfo)(nvmlDevice_t, int, unsigned int *);
	nvmlReturn_t (*memoryInfo)(nvmlDevice_t, nvmlMemory_t *);
	nvmlReturn_t (*processes)(nvmlDevice_t, unsigned int *, void *);
	int processesV1; // processes fills nvmlProcessInfo_v1_t records
	nvmlReturn_t (*numCores)(nvmlDevice_t, unsigned int *); // optional: NULL before driver 520
	nvmlReturn_t (*totalEnergy)(nvmlDevice_t, unsigned long long *); // optional: NULL before driver 410
} dnnNVML;

// dnn_sym returns the first of the two symbols the library has.
static void *dnn_sym(void *h, const char *name, const char *fallback) {
	void *p = dlsym(h, name);
	if (p == NULL && fallback != NULL) {
		p = dlsym(h, fallback);
	}
	return p;
}

// dnn_load resolves every function into n. It returns NULL, or the name of
// the first function the library lacks.
static const char *dnn_load(dnnNVML *n) {
	void *h = n->handle;
	if (!(n->init = dnn_sym(h, "nvmlInit_v2", "nvmlInit"))) return "nvmlInit_v2";
	if (!(n->shutdown = dnn_sym(h, "nvmlShutdown", NULL))) return "nvmlShutdown";
	if (!(n->errorString = dnn_sym(h, "nvmlErrorString", NULL))) return "nvmlErrorString";
	if (!(n->handleByIndex = dnn_sym(h, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"))) return "nvmlDeviceGetHandleByIndex_v2";
	if (!(n->name = dnn_sym(h, "nvmlDeviceGetName", NULL))) return "nvmlDeviceGetName";
	if (!(n->driverVersion = dnn_sym(h, "nvmlSystemGetDriverVersion", NULL))) return "nvmlSystemGetDriverVersion";
	if (!(n->clockInfo = dnn_sym(h, "nvmlDeviceGetClockInfo", NULL))) return "nvmlDeviceGetClockInfo";
	if (!(n->maxClockInfo = dnn_sym(h, "nvmlDeviceGetMaxClockInfo", NULL))) return "nvmlDeviceGetMaxClockInfo";
	if (!(n->memoryInfo = dnn_sym(h, "nvmlDeviceGetMemoryInfo", NULL))) return "nvmlDeviceGetMemoryInfo";
	n->processes = dnn_sym(h, "nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetComputeRunningProcesses_v2");
	if (n->processes == NULL) {
		n->processes = dlsym(h, "nvmlDeviceGetComputeRunningProcesses");
		n->processesV1 = 1;
	}
	if (n->processes == NULL) return "nvmlDeviceGetComputeRunningProcesses_v3";
	n->numCores = dlsym(h, "nvmlDeviceGetNumGpuCores");
	n->totalEnergy = dlsym(h, "nvmlDeviceGetTotalEnergyConsumption");
	return NULL;
}

static dnnNVML *dnn_open(const char *path, const char **err) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		*err = dlerror();
		return NULL;
	}
	dnnNVML *n = calloc(1, sizeof *n);
	if (n == NULL) {
		dlclose(h);
		*err = "out of memory";
		return NULL;
	}
	n->handle = h;
	return n;
}

static void dnn_close(dnnNVML *n) {
	dlclose(n->handle);
	free(n);
}

static nvmlReturn_t dnn_init(dnnNVML *n) { return n->init(); }
static nvmlReturn_t dnn_shutdown(dnnNVML *n) { return n->shutdown(); }
static const char *dnn_error_string(dnnNVML *n, nvmlReturn_t r) { return n->errorString(r); }
static nvmlReturn_t dnn_handle(dnnNVML *n, unsigned int i, nvmlDevice_t *d) { return n->handleByIndex(i, d); }
static nvmlReturn_t dnn_name(dnnNVML *n, nvmlDevice_t d, char *buf) { return n->name(d, buf, dnnNameSize); }
static nvmlReturn_t dnn_driver(dnnNVML *n, char *buf) { return n->driverVersion(buf, dnnDriverSize); }
static nvmlReturn_t dnn_clock(dnnNVML *n, nvmlDevice_t d, int t, unsigned int *mhz) { return n->clockInfo(d, t, mhz); }
static nvmlReturn_t dnn_max_clock(dnnNVML *n, nvmlDevice_t d, int t, unsigned int *mhz) { return n->maxClockInfo(d, t, mhz); }
static nvmlReturn_t dnn_memory(dnnNVML *n, nvmlDevice_t d, nvmlMemory_t *m) { return n->memoryInfo(d, m); }
static nvmlReturn_t dnn_num_cores(dnnNVML *n, nvmlDevice_t d, unsigned int *c) {
	return n->numCores == NULL ? dnnNotFound : n->numCores(d, c);
}
static nvmlReturn_t dnn_total_energy(dnnNVML *n, nvmlDevice_t d, unsigned long long *mj) {
	return n->totalEnergy == NULL ? dnnNotFound : n->totalEnergy(d, mj);
}

// dnn_processes lists compute processes into out (room for *count), in the
// _v3 layout whichever version the library has.
static nvmlReturn_t dnn_processes(dnnNVML *n, nvmlDevice_t d, unsigned int *count, nvmlProcessInfo_t *out) {
	if (!n->processesV1) {
		return n->processes(d, count, out);
	}
	nvmlProcessInfo_v1_t *v1 = NULL;
	if (*count > 0) {
		v1 = calloc(*count, sizeof *v1);
		if (v1 == NULL) return dnnErrorMemory;
	}
	nvmlReturn_t r = n->processes(d, count, v1);
	if (r == dnnSuccess) {
		for (unsigned int i = 0; i < *count; i++) {
			out[i].pid = v1[i].pid;
			out[i].usedGpuMemory = v1[i].usedGpuMemory;
			out[i].gpuInstanceId = ~0u;
			out[i].computeInstanceId = ~0u;
		}
	}
	free(v1);
	return r;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// libraryName is the NVML library the NVIDIA driver installs.
const libraryName = "libnvidia-ml.so.1"

// processInfo is NVML's nvmlProcessInfo_t.
type processInfo = C.nvmlProcessInfo_t

// nvml is an opened, initialised NVML library.
type nvml struct {
	n *C.dnnNVML
}

// openNVML loads the NVML library at path (a file name is searched for as
// dlopen does) and initialises it.
func openNVML(path string) (*nvml, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var cerr *C.char
	n := C.dnn_open(cpath, &cerr)
	if n == nil {
		return nil, fmt.Errorf("%w (%s)", ErrNoNVML, C.GoString(cerr))
	}
	if missing := C.dnn_load(n); missing != nil {
		C.dnn_close(n)
		return nil, fmt.Errorf("nvidia: %s has no %s; update the NVIDIA driver (it ships NVML)", path, C.GoString(missing))
	}
	l := &nvml{n: n}
	if ret := C.dnn_init(n); ret != C.dnnSuccess {
		err := fmt.Errorf("nvidia: initialising NVML: %s", l.errorString(ret))
		C.dnn_close(n)
		return nil, err
	}
	return l, nil
}

// close shuts NVML down and unloads the library; closing again does nothing.
func (l *nvml) close() error {
	if l.n == nil {
		return nil
	}
	ret := C.dnn_shutdown(l.n)
	var err error
	if ret != C.dnnSuccess {
		err = fmt.Errorf("nvidia: shutting NVML down: %s", l.errorString(ret))
	}
	C.dnn_close(l.n)
	l.n = nil
	return err
}

func (l *nvml) errorString(ret C.nvmlReturn_t) string {
	if s := C.dnn_error_string(l.n, ret); s != nil {
		return C.GoString(s)
	}
	return fmt.Sprintf("NVML error %d", int(ret))
}

func (l *nvml) device(index int) (C.nvmlDevice_t, error) {
	var d C.nvmlDevice_t
	if index < 0 {
		return d, fmt.Errorf("nvidia: GPU %d: index must not be negative", index)
	}
	if ret := C.dnn_handle(l.n, C.uint(index), &d); ret != C.dnnSuccess {
		return d, fmt.Errorf("nvidia: GPU %d: %s", index, l.errorString(ret))
	}
	return d, nil
}

func (l *nvml) gpu(index int) (GPU, error) {
	d, err := l.device(index)
	if err != nil {
		return GPU{}, err
	}
	g := GPU{Index: index}
	var buf [max(C.dnnNameSize, C.dnnDriverSize)]C.char
	if ret := C.dnn_name(l.n, d, &buf[0]); ret != C.dnnSuccess {
		return GPU{}, fmt.Errorf("nvidia: GPU %d name: %s", index, l.errorString(ret))
	}
	g.Name = C.GoString(&buf[0])
	if ret := C.dnn_driver(l.n, &buf[0]); ret != C.dnnSuccess {
		return GPU{}, fmt.Errorf("nvidia: driver version: %s", l.errorString(ret))
	}
	g.Driver = C.GoString(&buf[0])
	// Clocks and memory size are optional facts: some boards do not report them.
	var mhz C.uint
	if C.dnn_clock(l.n, d, C.dnnClockSM, &mhz) == C.dnnSuccess {
		g.SMClockMHz = uint32(mhz)
	}
	if C.dnn_clock(l.n, d, C.dnnClockMem, &mhz) == C.dnnSuccess {
		g.MemClockMHz = uint32(mhz)
	}
	if C.dnn_max_clock(l.n, d, C.dnnClockSM, &mhz) == C.dnnSuccess {
		g.MaxSMClockMHz = uint32(mhz)
	}
	var m C.nvmlMemory_t
	if C.dnn_memory(l.n, d, &m) == C.dnnSuccess {
		g.MemoryBytes = uint64(m.total)
	}
	// The core count gives the detected peak; drivers before 520 lack it.
	var cores C.uint
	if C.dnn_num_cores(l.n, d, &cores) == C.dnnSuccess {
		g.Cores = int(cores)
	}
	return g, nil
}

// totalEnergy reads GPU index's energy counter: millijoules since the
// driver was loaded.
func (l *nvml) totalEnergy(index int) (uint64, error) {
	d, err := l.device(index)
	if err != nil {
		return 0, err
	}
	var mj C.ulonglong
	if ret := C.dnn_total_energy(l.n, d, &mj); ret != C.dnnSuccess {
		return 0, fmt.Errorf("nvidia: GPU %d total energy: %s", index, l.errorString(ret))
	}
	return uint64(mj), nil
}

// processes lists the compute processes on GPU index. NVML says how many
// records it has when the buffer is too small; processes that start between
// the calls make it ask again, a bounded number of times.
func (l *nvml) processes(index int) ([]processInfo, error) {
	d, err := l.device(index)
	if err != nil {
		return nil, err
	}
	var count C.uint
	ret := C.dnn_processes(l.n, d, &count, nil)
	for try := 0; ret == C.dnnInsufficientSize && try < 8; try++ {
		count += 4 // room for processes that start meanwhile
		buf := make([]processInfo, count)
		ret = C.dnn_processes(l.n, d, &count, &buf[0])
		if ret == C.dnnSuccess {
			return buf[:count], nil
		}
	}
	if ret != C.dnnSuccess {
		return nil, fmt.Errorf("nvidia: GPU %d processes: %s", index, l.errorString(ret))
	}
	return nil, nil
}

// fromNVML converts NVML process records, sorted by PID.
func fromNVML(infos []processInfo) []Process {
	out := make([]Process, 0, len(infos))
	for _, p := range infos {
		used := int64(-1)
		if uint64(p.usedGpuMemory) != notAvailable {
			used = int64(p.usedGpuMemory)
		}
		out = append(out, Process{PID: int(p.pid), UsedBytes: used})
	}
	sortProcesses(out)
	return out
}
