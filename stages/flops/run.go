package flops

import (
	"context"
	"fmt"

	"github.com/dnnbench/dnnbench/internal/cachekey"
	"github.com/dnnbench/dnnbench/internal/diag"
)

// File is one ONNX model to count.
type File struct {
	// Name labels the file's rows (the config's model name); empty leaves
	// them unlabelled.
	Name string
	// Path is the ONNX file on disk.
	Path string
}

// Inputs are the files one Run counts.
type Inputs struct {
	Files []File
}

// Result is what Run counts: one Row per file, in the order given, with
// the files' per-op rows and the rows' warnings typed.
type Result struct {
	Rows []Row
	// Ops are the per-op rows, file by file, each file's sorted by op type.
	Ops []OpRow
	// Warnings are the rows' Warnings as typed warnings (code
	// "row-warning"), in row order.
	Warnings []diag.Warning
}

// Run reads and counts each file in order, checking ctx before each file
// and, while inferring shapes and counting, before each node. It errors,
// naming the file's path, when ctx is cancelled or a file cannot
// be read or counted (not ONNX, a graph cycle, cfg's batch or a bound dim
// below 1); the counts of earlier files are then not returned.
func Run(ctx context.Context, cfg Config, in Inputs) (*Result, error) {
	res := &Result{}
	for _, f := range in.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := Read(f.Path)
		if err != nil {
			return nil, err
		}
		a, err := analyze(ctx, m, cfg)
		if err != nil {
			return nil, fmt.Errorf("flops: %s: %w", f.Path, err)
		}
		a.Row.Model = f.Name
		for i := range a.Ops {
			a.Ops[i].Model = f.Name
		}
		for _, w := range a.Row.Warnings {
			res.Warnings = append(res.Warnings, diag.Warning{Stage: "flops", Model: f.Name, Code: "row-warning", Message: w})
		}
		res.Rows = append(res.Rows, a.Row)
		res.Ops = append(res.Ops, a.Ops...)
	}
	return res, nil
}

// Key names the cache entry (in Entries and OpsEntries) of one model file's
// rows, from the file's sha256 and size. A cfg other than the default
// batch-1 count with no bound dims is part of the key, so such counts never
// share an entry with the default one. It errors only when a part cannot
// be encoded.
func Key(cfg Config, modelSHA256 string, fileBytes int64) (string, error) {
	if (cfg.Batch == 0 || cfg.Batch == 1) && len(cfg.Dims) == 0 {
		return cachekey.Key(Schema, "flops", modelSHA256, fileBytes)
	}
	return cachekey.Key(Schema, "flops", modelSHA256, fileBytes, cfg.Batch, cfg.Dims)
}
