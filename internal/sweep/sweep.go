// Package sweep is the harness the timing and memory stages share for a
// per-model sweep over batch sizes in child processes: how a worker is
// started and what every request carries (Worker, Request), the parent's
// prologue (Worker.Prepare) and the worker's (Serve, Request.Init), the order of
// the batch sizes (Batches), the error that stops the pipeline because the
// device is unusable (ErrDevice), the status a row ends in (Ended,
// SessionFailed), the progress the pipeline prints, and the parts of a
// stage's Run inputs and result that every sweep has (Inputs, Result).
package sweep

import (
	"time"

	"github.com/dnnbench/dnnbench/internal/diag"
)

// Row statuses of the timing and memory tables.
const (
	// OK is a completed measurement.
	OK = "ok"
	// OOM is a batch that ran out of memory.
	OOM = "oom"
	// Error is a batch that failed otherwise; the row carries the message.
	Error = "error"
	// Skipped is a batch larger than one that failed.
	Skipped = "skipped"
)

// Cell identifies one row of the timing or memory table: the model file,
// by the name a config gives it and its sha256, the device and the batch
// size.
type Cell struct {
	Model, ModelSHA256, Device string
	Batch                      int64
}

// Progress reports how a model's sweep is going.
type Progress struct {
	// Model is the model being measured; Batch the batch size starting or just done.
	Model string
	Batch int
	// Done of Total batch sizes of this model have a row.
	Done, Total int
	// Elapsed is the time since the sweep started; ETA estimates what is
	// left of this model's sweep from the batch sizes done so far.
	Elapsed, ETA time.Duration
}

// Inputs is what one Run of a sweep stage measures: one model, of the
// stage's type M, at some batch sizes.
type Inputs[M any] struct {
	// Model is the model to measure.
	Model M
	// Batches are the batch sizes to measure: normally those still missing
	// from the cache. Order and repeats do not matter; Run measures each
	// once, smallest first (see Batches).
	Batches []int
	// Progress, if not nil, is called as batch sizes start and once at the
	// end; the stage's Run says when else.
	Progress func(Progress)
}

// Result is what one Run of a sweep stage measured: its rows, of the
// stage's type R, and its warnings.
type Result[R any] struct {
	// Rows holds one row per distinct batch size of Inputs.Batches,
	// ascending; empty when Inputs.Batches was.
	Rows []R
	// Warnings are about the run as a whole; a row's own warnings are in
	// the row.
	Warnings []diag.Warning
}
