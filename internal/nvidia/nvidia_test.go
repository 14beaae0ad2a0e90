package nvidia

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseComputeAppsRecorded(t *testing.T) {
	for _, c := range []struct {
		file string
		want []Process
	}{
		{"compute_apps_k8s.csv", []Process{{11509, 2539 << 20}, {12201, 25 << 20}, {14466, 3713 << 20}}},
		{"compute_apps_wddm.csv", []Process{{1584, -1}, {7500, -1}}},
		{"compute_apps_nounits.csv", []Process{{80613, 92908 << 20}, {80614, 92908 << 20}}},
	} {
		got, err := ParseComputeApps(readFixture(t, c.file))
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if len(got) != len(c.want) {
			t.Fatalf("%s: %v, want %v", c.file, got, c.want)
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: row %d = %v, want %v", c.file, i, got[i], c.want[i])
			}
		}
	}
	if _, err := ParseComputeApps("12, 3 MiB, extra\n"); err == nil {
		t.Error("three fields: want an error")
	}
}

func TestUsedBy(t *testing.T) {
	procs, err := ParseComputeApps(readFixture(t, "compute_apps_k8s.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := UsedBy(procs, 14466); err != nil || n != 3713<<20 {
		t.Errorf("pid 14466: %d, %v", n, err)
	}
	if n, err := UsedBy(procs, 1); err != nil || n != 0 {
		t.Errorf("absent pid: %d, %v; want 0 (no CUDA context yet)", n, err)
	}
	wddm, _ := ParseComputeApps(readFixture(t, "compute_apps_wddm.csv"))
	if _, err := UsedBy(wddm, 7500); err == nil || !strings.Contains(err.Error(), "does not report") {
		t.Errorf("N/A usage: err %v", err)
	}
}

// TestFromNVML converts process records as NVML returns them: the values
// are those of compute_apps_k8s.csv in bytes, plus NVML's not-available marker.
func TestFromNVML(t *testing.T) {
	got := FromNVML([]nvml.ProcessInfo{
		{Pid: 12201, UsedGpuMemory: 26214400},
		{Pid: 11509, UsedGpuMemory: 2662334464},
		{Pid: 7500, UsedGpuMemory: ^uint64(0)},
	})
	want := []Process{{7500, -1}, {11509, 2539 << 20}, {12201, 25 << 20}}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// TestOpenOnThisMachine: without the NVIDIA driver Open fails with
// ErrNoNVML; with it, GPU 0 has a name and a driver version.
func TestOpenOnThisMachine(t *testing.T) {
	lib, err := Open()
	if err != nil {
		if !errors.Is(err, ErrNoNVML) {
			t.Fatalf("err %v, want ErrNoNVML", err)
		}
		return
	}
	defer lib.Close()
	g, err := lib.GPU(0)
	if err != nil || g.Name == "" || g.Driver == "" {
		t.Errorf("GPU 0: %+v, %v", g, err)
	}
}
