package accuracy

import (
	"github.com/dnnbench/dnnbench/cache"
)

// ChunkRow is one accuracy chunk as cached under ChunkEntries.
type ChunkRow struct {
	Scored  int64    `parquet:"scored"`
	Top1    int64    `parquet:"top1"`
	Top5    int64    `parquet:"top5"`
	Skipped []string `parquet:"skipped,list"`
}

// CacheCheckpoint is a Checkpoint that keeps chunk results in a cache
// store, keyed by ChunkKey.
type CacheCheckpoint struct {
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

// ChunkKey is the cache key of chunk ch of the model file with hex SHA-256
// modelSHA256, scored with ONNX Runtime version runtime on device; it
// errors only when the key cannot be encoded.
func ChunkKey(ch Chunk, modelSHA256, runtime, device string) (string, error) {
	return cache.Key(ChunkSchema, "accuracy", ch.Key, Fingerprint(), modelSHA256, runtime, device)
}

// Load returns the stored result of ch; ok is false when none is stored or
// Force is set. It errors when the store cannot be read.
func (c *CacheCheckpoint) Load(ch Chunk) (ChunkResult, bool, error) {
	if c.Force {
		return ChunkResult{}, false, nil
	}
	key, err := ChunkKey(ch, c.ModelSHA256, c.Runtime, c.Device)
	if err != nil {
		return ChunkResult{}, false, err
	}
	rows, ok, err := cache.Get[ChunkRow](c.Store, ChunkEntries, key)
	if err != nil || !ok || len(rows) != 1 {
		return ChunkResult{}, false, err
	}
	c.CachedImages += ch.Images
	return ChunkResult{Scored: rows[0].Scored, Top1: rows[0].Top1, Top5: rows[0].Top5, Skipped: rows[0].Skipped}, true, nil
}

// Save stores the result of ch; it errors when the store cannot be written.
func (c *CacheCheckpoint) Save(ch Chunk, res ChunkResult) error {
	key, err := ChunkKey(ch, c.ModelSHA256, c.Runtime, c.Device)
	if err != nil {
		return err
	}
	return cache.Put(c.Store, ChunkEntries, key, []ChunkRow{{Scored: res.Scored, Top1: res.Top1, Top5: res.Top5, Skipped: res.Skipped}})
}
