package conditions

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadRecordedTree(t *testing.T) {
	c := Read(filepath.Join("testdata", "root"), Settings{IntraOpThreads: 2, Provider: "cpu", ORTVersion: "1.24.1"})
	if c.CPUModel != "AMD EPYC" {
		t.Errorf("cpu model %q, want AMD EPYC", c.CPUModel)
	}
	if strings.Join(c.Governors, ",") != "performance" || c.FreqMHzMin != 2450 || c.FreqMHzMax != 3100 {
		t.Errorf("governors %v, freq %v–%v MHz; want performance, 2450–3100", c.Governors, c.FreqMHzMin, c.FreqMHzMax)
	}
	if c.IntraOpThreads != 2 || c.Provider != "cpu" || c.ORTVersion != "1.24.1" || c.LogicalCPUs < 1 || c.OS == "" {
		t.Errorf("settings not recorded: %+v", c)
	}
	if len(c.Notes) != 0 {
		t.Errorf("notes %q on a complete tree", c.Notes)
	}
}

func TestReadMissingFactsBecomeNotes(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "proc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "proc", "cpuinfo"), []byte("processor\t: 0\nBogoMIPS\t: 50.00\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Read(root, Settings{Provider: "cpu"})
	all := strings.Join(c.Notes, "\n")
	if c.CPUModel != "" || !strings.Contains(all, "no model name") || !strings.Contains(all, "not readable (no cpufreq") {
		t.Errorf("model %q, notes %q", c.CPUModel, all)
	}
}

func TestReadGPUWithoutDriverIsANote(t *testing.T) {
	c := Read(filepath.Join("testdata", "root"), Settings{Provider: "cuda", GPU: true})
	if len(c.GPUs) == 0 && !strings.Contains(strings.Join(c.Notes, " "), "libnvidia-ml.so.1") {
		t.Errorf("no GPU and no note saying why: %+v", c)
	}
}

func TestReadFreqBadValue(t *testing.T) {
	dir := t.TempDir()
	cf := filepath.Join(dir, "cpu0", "cpufreq")
	if err := os.MkdirAll(cf, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cf, "scaling_cur_freq"), []byte("fast\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFreq(dir); err == nil || !strings.Contains(err.Error(), "scaling_cur_freq") {
		t.Errorf("err %v", err)
	}
}
