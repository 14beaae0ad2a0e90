package timing

import (
	"context"
	"testing"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/internal/sweep"
)

func TestRunNoBatches(t *testing.T) {
	res, err := Run(context.Background(), testConfig(t), Inputs{Model: Model{Name: "tiny", Path: "absent.onnx"}})
	if err != nil || res == nil || len(res.Rows) != 0 || len(res.Warnings) != 0 {
		t.Fatalf("no batch sizes: result %+v, err %v; want an empty result", res, err)
	}
}

// TestKeyUnchanged: Key gives the value the pipeline built from the config
// file's timing section before it moved here, so existing cache entries
// still hit; each setting that shapes the measurement changes it.
func TestKeyUnchanged(t *testing.T) {
	fp := map[string]any{"device": "cpu", "cores": 8, "ort": "1.24.1"}
	ct := config.Timing{BatchSizes: []int{1, 8}, Warmup: 10, Runs: 10, MinSeconds: 1.5, Rounds: 3}
	old, err := cache.Key(Schema, "timing", "abc123", 8, ct.Warmup, ct.Runs, ct.MinSeconds, ct.Rounds, fp)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Device: "cpu", Warmup: ct.Warmup, Runs: ct.Runs, MinSeconds: ct.MinSeconds, Rounds: ct.Rounds}
	got, err := Key(cfg, "abc123", 8, fp)
	if err != nil {
		t.Fatal(err)
	}
	if got != old {
		t.Errorf("Key %s, the pipeline's old key %s", got, old)
	}
	for name, c := range map[string]Config{
		"warmup": {Warmup: 11, Runs: 10, MinSeconds: 1.5, Rounds: 3},
		"runs":   {Warmup: 10, Runs: 11, MinSeconds: 1.5, Rounds: 3},
		"min":    {Warmup: 10, Runs: 10, MinSeconds: 2, Rounds: 3},
		"rounds": {Warmup: 10, Runs: 10, MinSeconds: 1.5, Rounds: 1},
	} {
		if k, err := Key(c, "abc123", 8, fp); err != nil || k == got {
			t.Errorf("%s changed: key %s, err %v; want a key other than %s", name, k, err, got)
		}
	}
	if k, err := Key(cfg, "abc123", 16, fp); err != nil || k == got {
		t.Errorf("batch 16: key %s, err %v; want a key other than batch 8's", k, err)
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
