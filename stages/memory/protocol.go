package memory

import "github.com/dnnbench/dnnbench/internal/sweep"

// request is what the parent sends the worker on stdin: one batch size.
type request struct {
	sweep.Request
	Sampler    string `json:"sampler"`
	GPU        int    `json:"gpu"`
	IntervalMs int    `json:"interval_ms"`
	Runs       int    `json:"runs"`
	Batch      int    `json:"batch"`
}

// Event kinds the worker sends, one JSON line each.
const (
	evResult = "result" // the measurement: Baseline, Static, Peak, Samples
	evFailed = "failed" // inference failed: OOM, Message
	evFatal  = "fatal"  // no session or no sampler: Message, DeviceProblem
)

// event is one line of worker output. Byte counts are absolute readings.
type event struct {
	Kind     string   `json:"kind"`
	Baseline int64    `json:"baseline,omitempty"`
	Static   int64    `json:"static,omitempty"`
	Peak     int64    `json:"peak,omitempty"`
	Samples  int64    `json:"samples,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	OOM      bool     `json:"oom,omitempty"`
	// DeviceProblem marks a fatal error caused by the device (missing
	// provider, library or sampler), not by the model.
	DeviceProblem bool   `json:"device_problem,omitempty"`
	Message       string `json:"message,omitempty"`
}
