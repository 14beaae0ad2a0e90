package accuracy

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/testmodel"
	"github.com/dnnbench/dnnbench/stages/accuracy/dataset"
)

func TestMemAvailable(t *testing.T) {
	in := "MemTotal:       24000000 kB\nMemFree:  1 kB\nMemAvailable:   22000000 kB\n"
	if got := memAvailable([]byte(in)); got != 22000000*1024 {
		t.Errorf("MemAvailable = %d", got)
	}
	if got := memAvailable([]byte("MemTotal: 5 kB\n")); got != 0 {
		t.Errorf("no MemAvailable line: %d, want 0", got)
	}
}

func TestCheckWorkers(t *testing.T) {
	lim := Limits{Cores: 2, MemAvailable: 1 << 30}
	if _, err := checkWorkers(100000, 6, lim); err == nil || !strings.Contains(err.Error(), "set accuracy.workers to at most 8") {
		t.Errorf("100000 workers on 2 cores: %v, want the limit 8 named", err)
	}
	if n, err := checkWorkers(8, 6, lim); err != nil || n != 6 {
		t.Errorf("8 workers for 6 images: %d %v, want 6 (never more than the images)", n, err)
	}
	if n, err := checkWorkers(0, 100, lim); err != nil || n < 1 {
		t.Errorf("default workers: %d %v", n, err)
	}
}

func TestCheckBatch(t *testing.T) {
	lim := Limits{Cores: 2, MemAvailable: 8e9}
	centre := batchNeed{width: 224, height: 224, nout: 1001, workers: 2, crops: 1}
	if err := centre.check(32, lim); err != nil {
		t.Errorf("batch 32 in 8 GB: %v", err)
	}
	ten := batchNeed{width: 224, height: 224, nout: 1001, workers: 2, crops: 10}
	err := ten.check(4096, lim)
	if err == nil || !strings.Contains(err.Error(), "set accuracy.batch_size to at most") || !strings.Contains(err.Error(), "8.00 GB available") {
		t.Fatalf("batch 4096 in 8 GB: %v, want the largest batch that fits named", err)
	}
	// The batch it names fits, one more does not.
	var fits int
	if _, err := fmtSscanf(err.Error(), &fits); err != nil {
		t.Fatal(err)
	}
	if ten.check(fits, lim) != nil || ten.check(fits+1, lim) == nil {
		t.Errorf("named batch %d is not the largest that fits", fits)
	}
	// ResNet-50's activations (about 3 MB an image) make batch 4096 need
	// about 13 GB: refused in 22 GB, where the buffers alone would pass.
	r50 := batchNeed{width: 224, height: 224, nout: 1001, workers: 2, crops: 1, activation: 3.1e6}
	big := Limits{Cores: 2, MemAvailable: 22e9}
	if err := (batchNeed{width: 224, height: 224, nout: 1001, workers: 2, crops: 1}).check(4096, big); err != nil {
		t.Errorf("buffers of batch 4096 in 22 GB: %v", err)
	}
	if err := r50.check(4096, big); err == nil || !strings.Contains(err.Error(), "buffers and activations") {
		t.Errorf("resnet50 batch 4096 in 22 GB: %v, want it refused counting activations", err)
	}
	fixed := ten
	fixed.fixed = true
	if err := fixed.check(4096, lim); err == nil || strings.Contains(err.Error(), "batch_size") || !strings.Contains(err.Error(), "batch is fixed") {
		t.Errorf("fixed batch 4096 in 8 GB: %v, want advice that does not name batch_size", err)
	}
	if err := centre.check(1<<30, Limits{}); err != nil {
		t.Errorf("unknown memory must not bound: %v", err)
	}
}

// fmtSscanf reads the batch named by checkBatch's message.
func fmtSscanf(msg string, n *int) (int, error) {
	_, rest, _ := strings.Cut(msg, "at most ")
	return fmt.Sscan(rest, n)
}

// TestRunBounds: oversized settings on a 12-image dataset are refused with
// the limit named (workers) or capped at what the images need (batch), and
// a faked small memory refuses a batch that does not fit.
func TestRunBounds(t *testing.T) {
	classes := loadClasses(t)
	lib := libraryPath(t)
	modelPath := filepath.Join(t.TempDir(), "colour.onnx")
	buildColourModel(t, modelPath, classes.Len())
	dir := buildDataset(t, dataset.ImageFolder, testImages(), classes)
	m := Model{Name: "colour", Path: modelPath, Weights: "pretrained", Preprocess: testPreprocess}
	run := func(cfg Config) ([]Row, error) {
		cfg.Dataset, cfg.Library, cfg.MaxSkippedPercent = dir, lib, 100
		rows, _, err := runModel(context.Background(), cfg, m, nil, nil)
		return rows, err
	}
	if _, err := run(Config{Workers: 100000, Limits: Limits{Cores: 2}}); err == nil || !strings.Contains(err.Error(), "at most 8") {
		t.Errorf("workers 100000: %v, want the limit named", err)
	}
	rows, err := run(Config{BatchSize: 100000, Crops: []string{CropTen}, Limits: Limits{Cores: 2, MemAvailable: 1e9}})
	if err != nil || len(rows) != 1 || rows[0].N != 9 {
		t.Errorf("batch 100000 on 12 images: rows %+v, error %v; want it capped at the 120 inputs the images need", rows, err)
	}
	_, err = run(Config{BatchSize: 64, Limits: Limits{Cores: 2, MemAvailable: 4e5}})
	if err == nil || !strings.Contains(err.Error(), "set accuracy.batch_size to at most") {
		t.Errorf("batch 64 in a faked 400 kB: %v, want the largest batch that fits named", err)
	}
}

// TestRunOutOfMemoryNamesTheFix: ONNX Runtime failing to allocate for a
// batch is an error that says to lower accuracy.batch_size, not a crash.
func TestRunOutOfMemoryNamesTheFix(t *testing.T) {
	classes := loadClasses(t)
	lib := libraryPath(t)
	modelPath := filepath.Join(t.TempDir(), "huge.onnx")
	if err := testmodel.Write(modelPath, testmodel.Spec{Size: 32, Fail: testmodel.HugeAllocation, Limit: 2}); err != nil {
		t.Fatal(err)
	}
	dir := buildDataset(t, dataset.ImageFolder, testImages(), classes)
	m := Model{Name: "huge", Path: modelPath, Weights: "pretrained", Preprocess: testPreprocess}
	cfg := Config{Dataset: dir, Library: lib, BatchSize: 8, MaxSkippedPercent: 100}
	_, _, err := runModel(context.Background(), cfg, m, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "inference at batch 8 ran out of memory; lower accuracy.batch_size") {
		t.Errorf("4 TiB request at batch 8: %v, want the fix named", err)
	}
	cfg.BatchSize = 2
	if _, _, err := runModel(context.Background(), cfg, m, nil, nil); err != nil {
		t.Errorf("batch 2 (within the model's limit): %v", err)
	}
}
