package timing

import (
	"github.com/dnnbench/dnnbench/internal/conditions"
	"github.com/dnnbench/dnnbench/internal/sweep"
)

// request is what the parent sends the worker on stdin.
type request struct {
	sweep.Request
	Batches    []int   `json:"batches"`
	Warmup     int     `json:"warmup"`
	Runs       int     `json:"runs"`
	MinSeconds float64 `json:"min_seconds"`
	Rounds     int     `json:"rounds"`
	// Processes is the number of processes the runs and min_seconds of
	// the timed runs are shared among (this worker does its share).
	Processes int  `json:"processes"`
	NVML      bool `json:"nvml"`
	GPU       int  `json:"gpu"`
}

// Event kinds the worker sends, one JSON line each.
const (
	evSession = "session" // session created: SessionMs, Conditions, EnergySource
	evBegin   = "begin"   // warming up Batch
	evReady   = "ready"   // Batch warmed up: FirstRunMs, Warmup
	evRound   = "round"   // one round of Batch timed: Round, SamplesMs, StartsNs, OtherCPU, Wait, CanaryMs, Joules
	evFailed  = "failed"  // Batch failed: OOM, Message (see Worker for what follows)
	evFatal   = "fatal"   // the session could not be made: Message, Provider
)

// event is one line of worker output.
type event struct {
	Kind       string                 `json:"kind"`
	Batch      int                    `json:"batch,omitempty"`
	SessionMs  float64                `json:"session_ms,omitempty"`
	Conditions *conditions.Conditions `json:"conditions,omitempty"`
	FirstRunMs float64                `json:"first_run_ms,omitempty"`
	Warmup     int                    `json:"warmup,omitempty"`
	Round      int                    `json:"round,omitempty"`
	SamplesMs  []float64              `json:"samples_ms,omitempty"`
	StartsNs   []int64                `json:"starts_ns,omitempty"`
	// OtherCPU is other processes' CPU during the round in cores; absent
	// when the host does not say.
	OtherCPU *float64 `json:"other_cpu,omitempty"`
	// Wait is how long the worker's threads waited for a CPU during the
	// round, in thread-seconds per second; absent when the host does not say.
	Wait *float64 `json:"wait,omitempty"`
	// CanaryMs is the host canary's time after the round (see canary);
	// absent without one.
	CanaryMs *float64 `json:"canary_ms,omitempty"`
	// EnergySource names the worker's energy meter (see energy.Meter);
	// Joules is a round's energy over its timed runs, absent without a
	// reading, and EnergyError says why a reading failed.
	EnergySource string   `json:"energy_source,omitempty"`
	Joules       *float64 `json:"joules,omitempty"`
	EnergyError  string   `json:"energy_error,omitempty"`
	OOM          bool     `json:"oom,omitempty"`
	// ProviderMissing marks a fatal error caused by the device, not the model.
	ProviderMissing bool   `json:"provider_missing,omitempty"`
	Message         string `json:"message,omitempty"`
}
