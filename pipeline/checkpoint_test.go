package main

import (
	"reflect"
	"testing"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/stages/accuracy"
)

// TestChunkCheckpointRoundTrip checks that a saved chunk loads back equal,
// counts its images, is ignored under Force and is not found for another
// model file.
func TestChunkCheckpointRoundTrip(t *testing.T) {
	store, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ch := accuracy.Chunk{Crop: "center", Index: 0, Images: 7, Key: "abc"}
	want := accuracy.ChunkResult{Scored: 6, Top1: 4, Top5: 5, Skipped: []string{"x.JPEG: unreadable"}}
	cp := &chunkCheckpoint{Store: store, ModelSHA256: "sha", Runtime: "1.24.1", Device: "cpu"}
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
	forced := &chunkCheckpoint{Store: store, ModelSHA256: "sha", Runtime: "1.24.1", Device: "cpu", Force: true}
	if _, ok, _ := forced.Load(ch); ok {
		t.Error("Load under Force found the chunk")
	}
	other := &chunkCheckpoint{Store: store, ModelSHA256: "other", Runtime: "1.24.1", Device: "cpu"}
	if _, ok, _ := other.Load(ch); ok {
		t.Error("Load for another model file found the chunk")
	}
}
