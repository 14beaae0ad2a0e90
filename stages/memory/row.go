package memory

import "github.com/dnnbench/dnnbench/internal/sweep"

// Row is one model × device × batch memory measurement: the memory stage's table.
// The first nine columns are the stable memory.csv contract.
type Row struct {
	Model  string `parquet:"model"`
	Device string `parquet:"device"`
	Batch  int64  `parquet:"batch"`
	// BaselineBytes is the process (or GPU) memory before the session exists.
	BaselineBytes int64 `parquet:"baseline_bytes"`
	// StaticBytes is the increase over baseline after session creation: the model's allocation.
	StaticBytes int64 `parquet:"static_bytes"`
	// PeakBytes is the peak increase over baseline during inference: the total.
	PeakBytes int64 `parquet:"peak_bytes"`
	// Sampler is "proc", "nvml" or "tegrastats".
	Sampler string `parquet:"sampler"`
	// Status is "ok", "oom", "error" or "skipped".
	Status string `parquet:"status"`
	Error  string `parquet:"error"`
	// ArenaGrowOnly records that the allocator arena grew only as requested.
	ArenaGrowOnly bool `parquet:"arena_grow_only"`
	// Samples is how many readings the sampler took during inference.
	Samples  int64    `parquet:"samples"`
	Warnings []string `parquet:"warnings,list"`
	// ModelSHA256 is the measured ONNX file's hex digest: what the row belongs
	// to, whatever name a config gives that file (not in CSV).
	ModelSHA256 string `parquet:"model_sha256" csv:"-"`
}

// Cell is the model file, device and batch size r is about.
func (r Row) Cell() sweep.Cell {
	return sweep.Cell{Model: r.Model, ModelSHA256: r.ModelSHA256, Device: r.Device, Batch: r.Batch}
}

// SetModel names r's model as a config names its file.
func (r *Row) SetModel(name string) { r.Model = name }

// Schema is the version of this stage's rows and method in cache keys, and
// Entries the cache folder of its rows (see timing.Schema).
// v2: the model file's sha256; v3: warnings a list.
const (
	Schema  = 3
	Entries = "memory-v3"
)
