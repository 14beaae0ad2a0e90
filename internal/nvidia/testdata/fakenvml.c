// fakenvml.c is a stand-in for libnvidia-ml.so.1 with one GPU and three
// compute processes, so the binding's calls, struct layouts and retries can
// be checked on machines without a GPU. The test compiles it with the cgo C
// compiler; -D flags pick variants:
//   V1            only the unversioned nvmlDeviceGetComputeRunningProcesses
//                 (nvmlProcessInfo_v1_t records), as drivers before 470 have
//   GROW          six more processes start between the size query and the read
//   FAIL_INIT     nvmlInit_v2 fails with NVML_ERROR_DRIVER_NOT_LOADED
//   NO_MEMORY_INFO the library lacks nvmlDeviceGetMemoryInfo
//   NO_NUM_CORES  the library lacks nvmlDeviceGetNumGpuCores, as drivers before 520
//   NO_ENERGY     the library lacks nvmlDeviceGetTotalEnergyConsumption, as drivers before 410
//   ENERGY_NOT_SUPPORTED the GPU answers Not Supported, as GPUs before Volta do
#include <stdio.h>

typedef int nvmlReturn_t;
typedef struct { unsigned long long total, free, used; } memory_t;
typedef struct { unsigned int pid; unsigned long long used; unsigned int gi, ci; } info_v3;
typedef struct { unsigned int pid; unsigned long long used; } info_v1;

static int inited;
static int device0;
static unsigned int calls;

nvmlReturn_t nvmlInit_v2(void) {
#ifdef FAIL_INIT
	return 9;
#endif
	inited++;
	return 0;
}

nvmlReturn_t nvmlShutdown(void) {
	if (!inited) return 1;
	inited--;
	return 0;
}

const char *nvmlErrorString(nvmlReturn_t r) {
	switch (r) {
	case 0: return "Success";
	case 1: return "Uninitialized";
	case 2: return "Invalid Argument";
	case 3: return "Not Supported";
	case 7: return "Insufficient Size";
	case 9: return "Driver Not Loaded";
	case 13: return "Function Not Found";
	}
	return "Unknown Error";
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **d) {
	if (!inited) return 1;
	if (i != 0) return 2;
	*d = &device0;
	return 0;
}

nvmlReturn_t nvmlDeviceGetName(void *d, char *buf, unsigned int n) {
	if (d != &device0) return 2;
	snprintf(buf, n, "NVIDIA H200");
	return 0;
}

nvmlReturn_t nvmlSystemGetDriverVersion(char *buf, unsigned int n) {
	snprintf(buf, n, "550.54.15");
	return 0;
}

nvmlReturn_t nvmlDeviceGetClockInfo(void *d, int type, unsigned int *mhz) {
	if (d != &device0) return 2;
	switch (type) {
	case 1: *mhz = 1980; return 0;
	case 2: *mhz = 3201; return 0;
	}
	return 2;
}

#ifndef NO_ENERGY
// The energy counter starts at 8123456789 mJ (a driver loaded for days) and
// each read finds 350000 mJ more: an H200 at 700 W read every half second.
static unsigned long long energy_mj = 8123456789ULL;

nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(void *d, unsigned long long *mj) {
	if (d != &device0) return 2;
#ifdef ENERGY_NOT_SUPPORTED
	return 3;
#endif
	*mj = energy_mj;
	energy_mj += 350000;
	return 0;
}
#endif

#ifndef NO_NUM_CORES
nvmlReturn_t nvmlDeviceGetNumGpuCores(void *d, unsigned int *n) {
	if (d != &device0) return 2;
	*n = 16896;
	return 0;
}
#endif

nvmlReturn_t nvmlDeviceGetMaxClockInfo(void *d, int type, unsigned int *mhz) {
	if (d != &device0) return 2;
	if (type != 1) return 3;
	*mhz = 1980;
	return 0;
}

#ifndef NO_MEMORY_INFO
nvmlReturn_t nvmlDeviceGetMemoryInfo(void *d, memory_t *m) {
	if (d != &device0) return 2;
	m->total = 150754820096ull;
	m->used = 1ull << 30;
	m->free = m->total - m->used;
	return 0;
}
#endif

// procs: the figures of an nvidia-smi listing (25 MiB, 2539 MiB) plus a
// process whose usage the driver does not report (NVML_VALUE_NOT_AVAILABLE).
static const struct { unsigned int pid; unsigned long long used; } procs[] = {
	{12201, 26214400ull}, {11509, 2662334464ull}, {7500, ~0ull},
	{20001, 1048576ull}, {20002, 2097152ull}, {20003, 3145728ull},
	{20004, 4194304ull}, {20005, 5242880ull}, {20006, 6291456ull},
};

static unsigned int running(void) {
#ifdef GROW
	if (calls++ > 0) return 9;
#endif
	return 3;
}

#ifdef V1
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(void *d, unsigned int *count, info_v1 *out) {
#else
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(void *d, unsigned int *count, info_v3 *out) {
#endif
	if (d != &device0) return 2;
	unsigned int n = running();
	if (*count < n) {
		*count = n;
		return 7;
	}
	for (unsigned int i = 0; i < n; i++) {
		out[i].pid = procs[i].pid;
		out[i].used = procs[i].used;
#ifndef V1
		out[i].gi = 0xFFFFFFFF;
		out[i].ci = 0xFFFFFFFF;
#endif
	}
	*count = n;
	return 0;
}
