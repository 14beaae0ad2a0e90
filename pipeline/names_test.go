package main

import (
	"bytes"
	"fmt"
	"github.com/dnnbench/dnnbench/stages/accuracy"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/models/zoo"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// tinyRun writes a config and runs the given stage on it, returning its
// output directory.
func tinyRun(t *testing.T, dir, cacheDir, name, models, stage string) string {
	t.Helper()
	cfg := filepath.Join(dir, name+".yaml")
	body := fmt.Sprintf("name: %s\nmodels:\n%stiming: {batch_sizes: [1], warmup: 1, runs: 2, min_seconds: 0.01}\nmemory: {batch_sizes: [1]}\nreport: {formats: [md]}\n", name, models)
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if log, err := runArgs(t, "--config", cfg, "--out", out, "--cache", cacheDir, "--quiet", "--stage", stage); err != nil {
		t.Fatalf("%s --stage %s: %v\n%s", name, stage, err, log)
	}
	return filepath.Join(out, name)
}

// column returns the values of one named column of a CSV file.
func column(t *testing.T, path, name string) []string {
	t.Helper()
	recs := readCSV(t, path)
	i := slices.Index(recs[0], name)
	if i < 0 {
		t.Fatalf("%s has no column %q: %v", path, name, recs[0])
	}
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[i])
	}
	return out
}

// TestTwoNamesForOneModelFile gives one zoo model two names: each name gets
// its own timing and memory rows (measured once, since the file is one).
func TestTwoNamesForOneModelFile(t *testing.T) {
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	twoNames := "  - {name: first, arch: squeezenet1_1}\n  - {name: second, arch: squeezenet1_1}\n"
	res := tinyRun(t, dir, cacheDir, "two", twoNames, "timing")
	if got := strings.Join(column(t, filepath.Join(res, "timing.csv"), "model"), ","); got != "first,second" {
		t.Errorf("timing.csv models %s, want first,second", got)
	}
	med := column(t, filepath.Join(res, "timing.csv"), "latency_ms_median")
	if med[0] != med[1] {
		t.Errorf("one file was measured twice (medians %v); want one measurement under both names", med)
	}
	res = tinyRun(t, dir, cacheDir, "two", twoNames, "memory")
	if got := strings.Join(column(t, filepath.Join(res, "memory.csv"), "model"), ","); got != "first,second" {
		t.Errorf("memory.csv models %s, want first,second", got)
	}
}

// TestRenameAcrossConfigsSharingACache measures a model under one name, then
// runs a second config that calls the same file by another name on the same
// cache: the cached rows (this device's and another device's copied into
// the cache) appear under the new name, and the old name is gone.
func TestRenameAcrossConfigsSharingACache(t *testing.T) {
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	oldRes := tinyRun(t, dir, cacheDir, "before", "  - {name: old, arch: squeezenet1_1}\n", "timing")
	oldMed := column(t, filepath.Join(oldRes, "timing.csv"), "latency_ms_median")
	sha := column(t, filepath.Join(oldRes, "models.csv"), "sha256")[0]

	// Rows of another device for the same file, recorded under the old name.
	store, err := cache.Open(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	trow := timing.Row{Model: "old", Device: "jetson", Batch: 1, Runs: 10, LatencyMsMedian: 7, Status: "ok", ModelSHA256: sha}
	if err := cache.Put(store, timing.Entries, fmt.Sprintf("%064d", 1), []timing.Row{trow}); err != nil {
		t.Fatal(err)
	}
	// A row of another file under the new name must not be taken.
	other := timing.Row{Model: "new", Device: "jetson", Batch: 2, Runs: 10, LatencyMsMedian: 9, Status: "ok", ModelSHA256: strings.Repeat("0", 64)}
	if err := cache.Put(store, timing.Entries, fmt.Sprintf("%064d", 2), []timing.Row{other}); err != nil {
		t.Fatal(err)
	}
	mrow := memory.Row{Model: "old", Device: "jetson", Batch: 1, PeakBytes: 1 << 20, Status: "ok", ModelSHA256: sha}
	if err := cache.Put(store, memory.Entries, fmt.Sprintf("%064d", 1), []memory.Row{mrow}); err != nil {
		t.Fatal(err)
	}

	newRes := tinyRun(t, dir, cacheDir, "after", "  - {name: new, arch: squeezenet1_1}\n", "timing")
	path := filepath.Join(newRes, "timing.csv")
	if got := strings.Join(column(t, path, "model"), ","); got != "new,new" {
		t.Errorf("timing.csv models %s, want new,new (cpu and jetson)", got)
	}
	if got := strings.Join(column(t, path, "device"), ","); got != "cpu,jetson" {
		t.Errorf("timing.csv devices %s, want cpu,jetson", got)
	}
	if got := column(t, path, "latency_ms_median"); got[0] != oldMed[0] || got[1] != "7" {
		t.Errorf("medians %v, want the cached %s and the jetson's 7", got, oldMed[0])
	}
	newRes = tinyRun(t, dir, cacheDir, "after", "  - {name: new, arch: squeezenet1_1}\n", "memory")
	if got := strings.Join(column(t, filepath.Join(newRes, "memory.csv"), "model"), ","); got != "new,new" {
		t.Errorf("memory.csv models %s, want new,new (cpu and jetson)", got)
	}
}

// TestAccuracyRowsFollowConfigNames scores one pretrained ONNX file under
// two names, then under a new name from another config on the same cache:
// every name gets its measured row.
func TestAccuracyRowsFollowConfigNames(t *testing.T) {
	dir := t.TempDir()
	g := zoo.NewGraph(3, 16, 16)
	logits := g.Linear(g.Flatten(g.GlobalAvgPool(g.Conv(g.Input(), 8, 3, 1, 1))), 1000, true)
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf, "tiny", logits, 1); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "tiny.onnx")
	if err := os.WriteFile(model, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	val := filepath.Join(dir, "val")
	for i, wnid := range []string{"n01440764", "n01443537"} {
		if err := os.MkdirAll(filepath.Join(val, wnid), 0o755); err != nil {
			t.Fatal(err)
		}
		im := image.NewRGBA(image.Rect(0, 0, 24, 20))
		for p := range im.Pix {
			im.Pix[p] = uint8(40 + 100*i + p%7)
		}
		var jb bytes.Buffer
		if err := jpeg.Encode(&jb, im, nil); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(val, wnid, fmt.Sprintf("img%d.JPEG", i)), jb.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cacheDir := filepath.Join(dir, "cache")
	entry := func(name string) string {
		return fmt.Sprintf("  - {name: %s, onnx: %s, preprocess: {resize: 18, crop: 16}}\n", name, model)
	}
	run := func(cfgName, models string) [][]string {
		cfg := filepath.Join(dir, cfgName+".yaml")
		body := fmt.Sprintf("name: %s\nmodels:\n%saccuracy: {dataset: %s}\n", cfgName, models, val)
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out")
		if log, err := runArgs(t, "--config", cfg, "--out", out, "--cache", cacheDir, "--quiet", "--stage", "accuracy"); err != nil {
			t.Fatalf("%s: %v\n%s", cfgName, err, log)
		}
		return readCSV(t, filepath.Join(out, cfgName, "accuracy.csv"))
	}
	two := run("two", entry("first")+entry("second"))
	if len(two) != 3 || two[1][0] != "first" || two[2][0] != "second" || two[1][3] != "2" || two[2][3] != "2" || two[1][7] != "measured" {
		t.Fatalf("accuracy.csv %v, want measured rows (n=2) for first and second", two)
	}
	// Both names share the file, so they share one cached chunk.
	store, err := cache.Open(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := cache.All[accuracy.ChunkRow](store, accuracy.ChunkEntries)
	if err != nil || len(chunks) != 1 {
		t.Fatalf("cached chunks %v, %v: want one (both names share the file)", chunks, err)
	}
	renamed := run("renamed", entry("third"))
	if len(renamed) != 2 || renamed[1][0] != "third" || renamed[1][3] != "2" || renamed[1][4] != two[1][4] {
		t.Errorf("accuracy.csv after the rename %v, want third with first's result %v", renamed, two[1])
	}
	if chunks, _ = cache.All[accuracy.ChunkRow](store, accuracy.ChunkEntries); len(chunks) != 1 {
		t.Errorf("%d cached chunks after the rename, want the one reused", len(chunks))
	}
}
