package main

import (
	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/stages/accuracy"
)

// chunkCheckpoint is an accuracy.Checkpoint that keeps chunk results in the
// cache, keyed by accuracy.ChunkKey.
type chunkCheckpoint struct {
	// Store holds the chunks under ChunkEntries.
	Store *cache.Store
	// ModelSHA256 is the hex SHA-256 of the model file.
	ModelSHA256 string
	// Runtime is the ONNX Runtime version.
	Runtime string
	// Device is the device profile's name.
	Device string
	// Force ignores stored chunks (they are still saved).
	Force bool
	// CachedImages counts the images of the chunks Load found.
	CachedImages int
}

// Load returns the stored result of ch; ok is false when none is stored or
// Force is set. It errors when the store cannot be read.
func (c *chunkCheckpoint) Load(ch accuracy.Chunk) (accuracy.ChunkResult, bool, error) {
	if c.Force {
		return accuracy.ChunkResult{}, false, nil
	}
	key, err := accuracy.ChunkKey(ch, c.ModelSHA256, c.Runtime, c.Device)
	if err != nil {
		return accuracy.ChunkResult{}, false, err
	}
	rows, ok, err := cache.Get[accuracy.ChunkRow](c.Store, accuracy.ChunkEntries, key)
	if err != nil || !ok || len(rows) != 1 {
		return accuracy.ChunkResult{}, false, err
	}
	c.CachedImages += ch.Images
	return accuracy.ChunkResult{Scored: rows[0].Scored, Top1: rows[0].Top1, Top5: rows[0].Top5, Skipped: rows[0].Skipped}, true, nil
}

// Save stores the result of ch; it errors when the store cannot be written.
func (c *chunkCheckpoint) Save(ch accuracy.Chunk, res accuracy.ChunkResult) error {
	key, err := accuracy.ChunkKey(ch, c.ModelSHA256, c.Runtime, c.Device)
	if err != nil {
		return err
	}
	return cache.Put(c.Store, accuracy.ChunkEntries, key, []accuracy.ChunkRow{{Scored: res.Scored, Top1: res.Top1, Top5: res.Top5, Skipped: res.Skipped}})
}
