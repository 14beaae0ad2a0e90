package accuracy

import "github.com/dnnbench/dnnbench/internal/cachekey"

// ChunkRow is one accuracy chunk as cached under ChunkEntries (the
// pipeline's checkpoint keeps them there, keyed by ChunkKey).
type ChunkRow struct {
	Scored  int64    `parquet:"scored"`
	Top1    int64    `parquet:"top1"`
	Top5    int64    `parquet:"top5"`
	Skipped []string `parquet:"skipped,list"`
}

// ChunkKey is the cache key of chunk ch of the model file with hex SHA-256
// modelSHA256, scored with ONNX Runtime version runtime on device; it
// errors only when the key cannot be encoded.
func ChunkKey(ch Chunk, modelSHA256, runtime, device string) (string, error) {
	return cachekey.Key(ChunkSchema, "accuracy", ch.Key, Fingerprint(), modelSHA256, runtime, device)
}
