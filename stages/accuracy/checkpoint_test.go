package accuracy

import (
	"context"
	"reflect"
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

// TestCacheCheckpointRoundTrip checks that a saved chunk loads back equal,
// counts its images, is ignored under Force and is not found for another
// model file.
func TestCacheCheckpointRoundTrip(t *testing.T) {
	store, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ch := Chunk{Crop: "center", Index: 0, Images: 7, Key: "abc"}
	want := ChunkResult{Scored: 6, Top1: 4, Top5: 5, Skipped: []string{"x.JPEG: unreadable"}}
	cp := &CacheCheckpoint{Store: store, ModelSHA256: "sha", Runtime: "1.24.1", Device: "cpu"}
	if _, ok, err := cp.Load(ch); ok || err != nil {
		t.Fatalf("Load before Save: ok %v, err %v; want not found", ok, err)
	}
	if err := cp.Save(ch, want); err != nil {
		t.Fatal(err)
	}
	got, ok, err := cp.Load(ch)
	if err != nil || !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("Load = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	if cp.CachedImages != 7 {
		t.Errorf("CachedImages = %d, want 7", cp.CachedImages)
	}
	forced := &CacheCheckpoint{Store: store, ModelSHA256: "sha", Runtime: "1.24.1", Device: "cpu", Force: true}
	if _, ok, _ := forced.Load(ch); ok {
		t.Error("Load under Force found the chunk")
	}
	other := &CacheCheckpoint{Store: store, ModelSHA256: "other", Runtime: "1.24.1", Device: "cpu"}
	if _, ok, _ := other.Load(ch); ok {
		t.Error("Load for another model file found the chunk")
	}
}
