package memory

import (
	"context"
	"errors"
	"testing"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/internal/sweep"
	"github.com/dnnbench/dnnbench/internal/testmodel"
)

// TestRunCheckpointErrorStops: a Checkpoint that fails stops the run after
// the first row, and Run returns its error and no result.
func TestRunCheckpointErrorStops(t *testing.T) {
	cfg := testConfig(t)
	m := Model{Name: "tiny", Path: writeModel(t, testmodel.Spec{})}
	boom := errors.New("disk full")
	n := 0
	res, err := Run(context.Background(), cfg, Inputs{Inputs: sweep.Inputs[Model]{Model: m, Batches: []int{1, 2}},
		Checkpoint: func(Row) error { n++; return boom }})
	if !errors.Is(err, boom) || n != 1 || res != nil {
		t.Fatalf("err %v after %d rows, result %v; want the checkpoint's error after 1 row and no result", err, n, res)
	}
}

func TestRunNoBatches(t *testing.T) {
	res, err := Run(context.Background(), testConfig(t), Inputs{Inputs: sweep.Inputs[Model]{Model: Model{Name: "tiny", Path: "absent.onnx"}}})
	if err != nil || res == nil || len(res.Rows) != 0 || len(res.Warnings) != 0 {
		t.Fatalf("no batch sizes: result %+v, err %v; want an empty result", res, err)
	}
}

// TestKeyUnchanged: Key gives the value the pipeline built before it moved
// here (the default sampling settings in that order), so existing cache
// entries still hit; a setting that shapes the method changes it.
func TestKeyUnchanged(t *testing.T) {
	fp := map[string]any{"device": "cpu", "cores": 8, "ort": "1.24.1"}
	cfg := Config{Device: "cpu", Sampler: SamplerProc}
	got, err := Key(cfg, "abc123", 16, fp)
	if err != nil {
		t.Fatal(err)
	}
	d := Config{Sampler: SamplerProc}.WithDefaults()
	old, err := cache.Key(Schema, "memory", "abc123", 16, d.Runs, d.IntervalMs, fp)
	if err != nil {
		t.Fatal(err)
	}
	if got != old {
		t.Errorf("Key %s, the pipeline's old key %s", got, old)
	}
	cfg.IntervalMs = 2
	if other, err := Key(cfg, "abc123", 16, fp); err != nil || other == got {
		t.Errorf("interval 2 ms: key %s, err %v; want a key other than %s", other, err, got)
	}
	if _, err := Key(cfg, "abc123", 16, map[string]any{"bad": func() {}}); err == nil {
		t.Error("a fingerprint JSON cannot encode gave no error")
	}
}

func TestRowCellAndSetModel(t *testing.T) {
	r := Row{Model: "a", Device: "jetson", Batch: 4, ModelSHA256: "abc"}
	r.SetModel("b")
	want := sweep.Cell{Model: "b", ModelSHA256: "abc", Device: "jetson", Batch: 4}
	if got := r.Cell(); got != want {
		t.Errorf("Cell %+v, want %+v", got, want)
	}
}

// TestWithDefaults: unset sampling settings take their defaults and set
// ones are kept.
func TestWithDefaults(t *testing.T) {
	got := Config{}.WithDefaults()
	if got.IntervalMs != DefaultIntervalMs || got.Runs != DefaultRuns || got.Sampler != SamplerProc {
		t.Errorf("defaults: interval %d ms, runs %d, sampler %q; want %d, %d, %q", got.IntervalMs, got.Runs, got.Sampler, DefaultIntervalMs, DefaultRuns, SamplerProc)
	}
	set := Config{IntervalMs: 7, Runs: 3, Sampler: SamplerNVML}
	if got := set.WithDefaults(); got.IntervalMs != 7 || got.Runs != 3 || got.Sampler != SamplerNVML {
		t.Errorf("set values changed: %+v", got)
	}
}
