package nvidia

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeNVML compiles testdata/fakenvml.c with the cgo C compiler and the
// given -D flags, and returns the shared library's path.
func fakeNVML(t *testing.T, defines ...string) string {
	t.Helper()
	out, err := exec.Command("go", "env", "CC").Output()
	cc := strings.Fields(string(out))
	if err != nil || len(cc) == 0 {
		t.Fatalf("no C compiler (go env CC: %v); cgo needs one to build this package, install gcc", err)
	}
	lib := filepath.Join(t.TempDir(), "libnvidia-ml.so.1")
	args := append(cc[1:], "-shared", "-fPIC", "-o", lib, filepath.Join("testdata", "fakenvml.c"))
	for _, d := range defines {
		args = append(args, "-D"+d)
	}
	if msg, err := exec.Command(cc[0], args...).CombinedOutput(); err != nil {
		t.Fatalf("compiling the fake NVML: %v\n%s", err, msg)
	}
	return lib
}

func openFake(t *testing.T, defines ...string) *Library {
	t.Helper()
	l, err := openNVML(fakeNVML(t, defines...))
	if err != nil {
		t.Fatal(err)
	}
	lib := &Library{lib: l}
	t.Cleanup(func() {
		if err := lib.Close(); err != nil {
			t.Error(err)
		}
	})
	return lib
}

func TestFakeGPU(t *testing.T) {
	lib := openFake(t)
	g, err := lib.GPU(0)
	if err != nil {
		t.Fatal(err)
	}
	want := GPU{Index: 0, Name: "NVIDIA H200", Driver: "550.54.15", SMClockMHz: 1980, MemClockMHz: 3201, MaxSMClockMHz: 1980, MemoryBytes: 150754820096, Cores: 16896}
	if g != want {
		t.Errorf("GPU 0 = %+v, want %+v", g, want)
	}
	if _, err := lib.GPU(1); err == nil || !strings.Contains(err.Error(), "GPU 1: Invalid Argument") {
		t.Errorf("GPU 1: err %v, want NVML's message naming the GPU", err)
	}
	if _, err := lib.Processes(-1); err == nil || !strings.Contains(err.Error(), "negative") {
		t.Errorf("GPU -1: err %v", err)
	}
	if err := lib.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	// The cleanup closes it again: that must do nothing.
}

// TestFakeProcesses reads the process table through each version of
// nvmlDeviceGetComputeRunningProcesses: the _v3 records, the older v1
// records (a different layout), and a table that grows between the size
// query and the read. NVML's not-available marker becomes -1.
func TestFakeProcesses(t *testing.T) {
	three := []Process{{7500, -1}, {11509, 2539 << 20}, {12201, 25 << 20}}
	for _, c := range []struct {
		name    string
		defines []string
		want    []Process
	}{
		{"v3", nil, three},
		{"v1", []string{"V1"}, three},
		{"grow", []string{"GROW"}, append(three, Process{20001, 1 << 20}, Process{20002, 2 << 20}, Process{20003, 3 << 20},
			Process{20004, 4 << 20}, Process{20005, 5 << 20}, Process{20006, 6 << 20})},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := openFake(t, c.defines...).Processes(0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("%v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("row %d = %v, want %v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	absent := filepath.Join(t.TempDir(), libraryName)
	if _, err := openNVML(absent); !errors.Is(err, ErrNoNVML) || !strings.Contains(err.Error(), "install the NVIDIA driver") {
		t.Errorf("absent library: err %v, want ErrNoNVML saying to install the driver", err)
	}
	if _, err := openNVML(fakeNVML(t, "NO_MEMORY_INFO")); err == nil || !strings.Contains(err.Error(), "has no nvmlDeviceGetMemoryInfo") {
		t.Errorf("library without nvmlDeviceGetMemoryInfo: err %v, want one naming it", err)
	}
	// A driver without nvmlDeviceGetNumGpuCores still opens; the core count is 0.
	if g, err := openFake(t, "NO_NUM_CORES").GPU(0); err != nil || g.Cores != 0 || g.Name != "NVIDIA H200" {
		t.Errorf("library without nvmlDeviceGetNumGpuCores: %+v, %v; want the GPU without a core count", g, err)
	}
	if _, err := openNVML(fakeNVML(t, "FAIL_INIT")); err == nil || !strings.Contains(err.Error(), "initialising NVML: Driver Not Loaded") {
		t.Errorf("failing nvmlInit: err %v, want NVML's message", err)
	}
	if _, err := openNVML(filepath.Join("testdata", "fakenvml.c")); !errors.Is(err, ErrNoNVML) || !strings.Contains(err.Error(), "fakenvml.c") {
		t.Errorf("not a shared library: err %v, want dlopen's reason", err)
	}
}

// TestFakeTotalEnergy reads the energy counter through the binding: two
// reads differ by the fake's 350000 mJ step; a GPU that does not support it
// and a driver that lacks the function are errors naming the GPU.
func TestFakeTotalEnergy(t *testing.T) {
	lib := openFake(t)
	a, err := lib.TotalEnergy(0)
	if err != nil || a != 8123456789 {
		t.Fatalf("first read %d, %v; want 8123456789 mJ", a, err)
	}
	if b, err := lib.TotalEnergy(0); err != nil || b-a != 350000 {
		t.Errorf("second read %d, %v; want %d", b, err, a+350000)
	}
	if _, err := lib.TotalEnergy(1); err == nil || !strings.Contains(err.Error(), "GPU 1") {
		t.Errorf("GPU 1: err %v, want one naming it", err)
	}
	for define, want := range map[string]string{
		"ENERGY_NOT_SUPPORTED": "GPU 0 total energy: Not Supported",
		"NO_ENERGY":            "GPU 0 total energy: Function Not Found",
	} {
		if _, err := openFake(t, define).TotalEnergy(0); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", define, err, want)
		}
	}
}

func TestUsedBy(t *testing.T) {
	procs := []Process{{11509, 2539 << 20}, {12201, 25 << 20}, {14466, 3713 << 20}, {14466, 1 << 20}}
	if n, err := UsedBy(procs, 14466); err != nil || n != 3714<<20 {
		t.Errorf("pid 14466: %d, %v; want the sum of its records", n, err)
	}
	if n, err := UsedBy(procs, 1); err != nil || n != 0 {
		t.Errorf("absent pid: %d, %v; want 0 (no CUDA context yet)", n, err)
	}
	wddm := []Process{{1584, -1}, {7500, -1}}
	if _, err := UsedBy(wddm, 7500); err == nil || !strings.Contains(err.Error(), "does not report") {
		t.Errorf("N/A usage: err %v", err)
	}
}

// TestOpenOnThisMachine reads GPU 0 through the driver's NVML. It needs
// the NVIDIA driver and skips, saying so, where there is none.
func TestOpenOnThisMachine(t *testing.T) {
	lib, err := Open()
	if errors.Is(err, ErrNoNVML) {
		t.Skipf("needs the NVIDIA driver: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Close()
	g, err := lib.GPU(0)
	if err != nil || g.Name == "" || g.Driver == "" || g.MemoryBytes == 0 {
		t.Errorf("GPU 0: %+v, %v", g, err)
	}
	// GPUs before Volta answer Not Supported; any other error is a binding fault.
	if a, err := lib.TotalEnergy(0); err == nil {
		if b, err := lib.TotalEnergy(0); err != nil || b < a {
			t.Errorf("total energy went from %d mJ to %d mJ (%v)", a, b, err)
		}
	} else if !strings.Contains(err.Error(), "Not Supported") {
		t.Errorf("total energy: %v", err)
	}
	procs, err := lib.Processes(0)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := UsedBy(procs, os.Getpid()); err != nil || n != 0 {
		t.Errorf("this test holds %d bytes of GPU memory (err %v), want 0: it has no CUDA context", n, err)
	}
}
