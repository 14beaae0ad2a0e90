package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/stages/compare"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// putTiming writes one timing entry as the timing stage does: keyed by the
// model file, batch, settings and the device fingerprint.
func putTiming(t *testing.T, store *cache.Store, row timing.Row, fingerprint map[string]any) {
	t.Helper()
	key, err := cache.Key(timing.Schema, "timing", row.ModelSHA256, int(row.Batch), 10, 10, 1.0, 3, fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if err := cache.Put(store, timing.Entries, key, []timing.Row{row}); err != nil {
		t.Fatal(err)
	}
}

// latencies draws n batch latencies around median ms with a right tail,
// from a fixed seed.
func latencies(seed uint64, n int, median float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	out := make([]float64, n)
	for i := range out {
		out[i] = median * (0.97 + 0.06*r.Float64() + 0.1*math.Abs(r.NormFloat64())*r.Float64())
	}
	return out
}

func timingRow(model, device string, batch int64, samples []float64) timing.Row {
	return timing.Row{Model: model, Device: device, Batch: batch, Status: "ok", Stable: true, SamplesMs: samples,
		ModelSHA256: fmt.Sprintf("%064x", len(model)), Runs: int64(len(samples))}
}

// compareCache writes a cache with two device fingerprints: on cpu-4t
// alexnet is 30% faster at batches 1 and 8 and resnet18 unchanged at
// batch 1; resnet18 batch 8 runs out of memory on cpu-4t; vgg16 is timed
// on cpu only.
func compareCache(t *testing.T, dir string) {
	t.Helper()
	store, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	cpu := map[string]any{"device": "cpu", "cpu": "Test CPU", "cores": 2, "ort": "1.24.1", "arch": "amd64"}
	cpu4 := map[string]any{"device": "cpu-4t", "cpu": "Test CPU", "cores": 2, "ort": "1.24.1", "arch": "amd64"}
	putTiming(t, store, timingRow("alexnet", "cpu", 1, latencies(1, 60, 10)), cpu)
	putTiming(t, store, timingRow("alexnet", "cpu", 8, latencies(2, 60, 50)), cpu)
	putTiming(t, store, timingRow("resnet18", "cpu", 1, latencies(3, 60, 20)), cpu)
	putTiming(t, store, timingRow("resnet18", "cpu", 8, latencies(4, 60, 90)), cpu)
	putTiming(t, store, timingRow("vgg16", "cpu", 1, latencies(5, 60, 80)), cpu)
	putTiming(t, store, timingRow("alexnet", "cpu-4t", 1, latencies(11, 60, 7)), cpu4)
	putTiming(t, store, timingRow("alexnet", "cpu-4t", 8, latencies(12, 60, 35)), cpu4)
	putTiming(t, store, timingRow("resnet18", "cpu-4t", 1, latencies(13, 60, 20)), cpu4)
	putTiming(t, store, timing.Row{Model: "resnet18", Device: "cpu-4t", Batch: 8, Status: "oom", ModelSHA256: fmt.Sprintf("%064x", 8)}, cpu4)
}

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	cacheDir, out := filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	compareCache(t, cacheDir)
	log, err := runArgs(t, "compare", "--base", "cpu", "--new", "cpu-4t", "--cache", cacheDir, "--out", out)
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, log)
	}
	if !strings.Contains(log, "# Did it get faster? cpu-4t vs. cpu") || !strings.Contains(log, "| alexnet | 1 |") {
		t.Errorf("printed table:\n%s", log)
	}
	for _, f := range []string{"compare.md", "compare.csv", "compare.svg", "compare.png", "compare.pdf"} {
		if _, err := os.Stat(filepath.Join(out, "compare", f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
	csvPath := filepath.Join(out, "compare", "compare.csv")
	if got := readCSV(t, csvPath)[0]; !slices.Equal(got, compare.Columns) {
		t.Errorf("header %v", got)
	}
	models := strings.Join(column(t, csvPath, "model"), ",")
	batches := strings.Join(column(t, csvPath, "batch"), ",")
	sig := strings.Join(column(t, csvPath, "significant"), ",")
	delta := column(t, csvPath, "delta")
	if models != "alexnet,alexnet,resnet18,(geomean)" || batches != "1,8,1," || sig != "true,true,false," {
		t.Errorf("compare.csv: models %s, batches %s, significant %s", models, batches, sig)
	}
	if !strings.HasPrefix(delta[0], "-") || !strings.HasPrefix(delta[1], "-") || delta[2] != "~" {
		t.Errorf("deltas %q, want alexnet faster twice and resnet18 ~", delta)
	}
	for _, want := range []string{"Not compared: resnet18 batch 8: status ok on the base side, oom on the new side", "Not compared: vgg16 batch 1: not measured on the new side"} {
		if !strings.Contains(log, want) {
			t.Errorf("output lacks %q", want)
		}
	}

	// The same device in two caches: DEVICE@CACHE on both sides.
	other := filepath.Join(dir, "other")
	store, err := cache.Open(other)
	if err != nil {
		t.Fatal(err)
	}
	putTiming(t, store, timingRow("alexnet", "cpu", 1, latencies(21, 60, 13)), map[string]any{"device": "cpu", "ort": "1.30.0"})
	log, err = runArgs(t, "compare", "--base", "cpu@"+cacheDir, "--new", "cpu@"+other, "--out", out)
	if err != nil {
		t.Fatalf("two caches: %v\n%s", err, log)
	}
	if d := column(t, csvPath, "delta"); len(d) != 2 || !strings.HasPrefix(d[0], "+") {
		t.Errorf("two caches: deltas %q, want alexnet batch 1 slower", d)
	}
}

func TestCompareCommandErrors(t *testing.T) {
	dir := t.TempDir()
	cacheDir, out := filepath.Join(dir, "cache"), filepath.Join(dir, "out")
	compareCache(t, cacheDir)
	lone := filepath.Join(dir, "lone")
	store, err := cache.Open(lone)
	if err != nil {
		t.Fatal(err)
	}
	putTiming(t, store, timingRow("mobilenet", "jetson", 1, latencies(9, 20, 5)), map[string]any{"device": "jetson"})
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--base", "cpu", "--new", "gpu"}, `new gpu: no timing rows of device "gpu" in that cache, which has timing rows of "cpu", "cpu-4t"`},
		{[]string{"--base", "cpu", "--new", "jetson@" + lone}, "no model × batch measured on both sides: base cpu has alexnet (batch 1, 8); resnet18 (batch 1, 8); vgg16 (batch 1); new jetson@" + lone + " has mobilenet (batch 1)"},
		{[]string{"--base", "cpu", "--new", "cpu@" + filepath.Join(dir, "nowhere")}, "new cache " + filepath.Join(dir, "nowhere") + " does not exist"},
		{[]string{"--base", "cpu@", "--new", "cpu-4t"}, `base "cpu@": nothing after '@'`},
		{[]string{"--base", "../x", "--new", "cpu-4t"}, `is not a valid device name`},
		{[]string{"--base", "cpu", "--new", "cpu"}, `base and new are both "cpu"`},
		{[]string{"--base", "cpu"}, "want both --base and --new"},
	} {
		_, err := runArgs(t, append([]string{"compare", "--cache", cacheDir, "--out", out}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to contain %q", tc.args, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); err == nil {
		t.Error("a missing cache was created")
	}
}

// TestReportCompare measures a tiny zoo model on cpu, adds a faster cpu-4t
// copy of its rows to the cache, and renders the report with
// report.compare: the report gets the section and the run's compare folder
// its CSV and Markdown.
func TestReportCompare(t *testing.T) {
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	models := "  - {name: squeeze, arch: squeezenet1_1}\n"
	cfg := filepath.Join(dir, "cmp.yaml")
	body := "name: cmp\nmodels:\n" + models + "timing: {batch_sizes: [1], warmup: 1, runs: 12, rounds: 3, min_seconds: 0}\nmemory: {batch_sizes: [1]}\nreport: {formats: [md], compare: {base: cpu, new: cpu-4t}}\n"
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	args := []string{"--config", cfg, "--out", out, "--cache", cacheDir, "--quiet"}
	if log, err := runArgs(t, append(args, "--stage", "timing")...); err != nil {
		t.Fatalf("timing: %v\n%s", err, log)
	}
	store, err := cache.Open(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := cache.All[timing.Row](store, timing.Entries)
	if err != nil || len(rows) != 1 || len(rows[0].SamplesMs) < 12 {
		t.Fatalf("timing rows %d (%v), want one with ≥ 12 samples", len(rows), err)
	}
	fast := rows[0]
	fast.Device, fast.Model = "cpu-4t", "called-otherwise" // found by its file's sha256
	fast.SamplesMs = slices.Clone(fast.SamplesMs)
	for i := range fast.SamplesMs {
		fast.SamplesMs[i] *= 0.5
	}
	putTiming(t, store, fast, map[string]any{"device": "cpu-4t"})
	if log, err := runArgs(t, append(args, "--stage", "report")...); err != nil {
		t.Fatalf("report: %v\n%s", err, log)
	}
	md, err := os.ReadFile(filepath.Join(out, "cmp", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### Did it get faster? cpu-4t vs. cpu", "| squeeze | 1 |", "(figures/compare.svg)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
	csvPath := filepath.Join(out, "cmp", "compare", "compare.csv")
	if got := column(t, csvPath, "ratio"); len(got) != 2 || !strings.HasPrefix(got[0], "0.5") {
		t.Errorf("compare.csv ratios %q, want 0.5 and the geomean", got)
	}
	for _, f := range []string{filepath.Join("compare", "compare.md"), filepath.Join("figures", "compare.svg")} {
		if _, err := os.Stat(filepath.Join(out, "cmp", f)); err != nil {
			t.Errorf("missing %v", err)
		}
	}

	// A report.compare cache that does not exist fails before any work.
	bad := strings.Replace(body, "new: cpu-4t", "new: cpu-4t@"+filepath.Join(dir, "nowhere"), 1)
	if err := os.WriteFile(cfg, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runArgs(t, append(args, "--stage", "report")...); err == nil || !strings.Contains(err.Error(), "report.compare: new cache "+filepath.Join(dir, "nowhere")) {
		t.Errorf("missing compare cache: error %v", err)
	}
}
