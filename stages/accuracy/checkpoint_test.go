package accuracy

import (
	"context"
	"testing"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/internal/diag"
)

// runModel calls Run with m, cp and progress and unpacks its Result.
func runModel(ctx context.Context, cfg Config, m Model, cp Checkpoint, progress func(done, total int)) ([]Row, []diag.Warning, error) {
	res, err := Run(ctx, cfg, Inputs{Model: m, Checkpoint: cp, Progress: progress})
	if err != nil {
		return nil, nil, err
	}
	return res.Rows, res.Warnings, nil
}

// TestChunkKeyMatchesThePipelinesFormerKey checks that ChunkKey builds the
// key the pipeline built before the checkpoint moved here, so chunks cached
// then are still found.
func TestChunkKeyMatchesThePipelinesFormerKey(t *testing.T) {
	ch := Chunk{Crop: "center", Index: 3, Images: 100, Key: "0123abcd"}
	old, err := cache.Key(ChunkSchema, "accuracy", ch.Key, Fingerprint(), "feedbeef", "1.24.1", "cpu")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ChunkKey(ch, "feedbeef", "1.24.1", "cpu")
	if err != nil {
		t.Fatal(err)
	}
	if got != old {
		t.Errorf("ChunkKey = %s, want the former key %s", got, old)
	}
	other, _ := ChunkKey(ch, "feedbeef", "1.24.1", "gpu")
	if other == got {
		t.Error("ChunkKey ignores the device")
	}
}
