// Package memory measures the memory a model needs per batch size on one
// device: a baseline before the session exists, the static allocation after
// session creation, and the peak during inference. Every batch size runs in
// a fresh child process (see Worker; the parent side is Run), because a
// process's peak resident set (VmHWM) cannot be reset.
package memory

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"github.com/dnnbench/dnnbench/internal/sweep"
)

// Recommended defaults.
const (
	// DefaultIntervalMs samples every 5 ms (200 Hz).
	DefaultIntervalMs = 5
	// DefaultRuns is the number of inferences watched for the peak: the
	// first (which allocates) and one in steady state.
	DefaultRuns = 2
)

// Config is what one memory sweep needs. The pipeline fills it from the
// config file and the device profile.
type Config struct {
	// Worker is how the worker process is started, with args "worker
	// memory", and the session it opens; provider option "device_id" also
	// picks the GPU the nvml sampler watches. The worker always sets
	// ArenaGrowOnly.
	sweep.Worker
	// Device is the device profile's name, recorded in every row.
	Device string
	// Sampler is "proc" (CPU resident memory), "nvml" (GPU memory of the
	// process) or "tegrastats" (Jetson shared RAM).
	Sampler string
	// IntervalMs is the sampling interval in milliseconds (default 5; at most
	// 10, i.e. at least 100 Hz).
	IntervalMs int
	// Runs is how many inferences are watched for the peak (default 2).
	Runs int
}

// Model is one model to measure.
type Model struct {
	// Name is the model's name in the config, recorded in every row.
	Name string
	// Path is the ONNX file.
	Path string
}

// WithDefaults fills unset sampling settings with their defaults.
func (c Config) WithDefaults() Config {
	c.IntervalMs = cmp.Or(c.IntervalMs, DefaultIntervalMs)
	c.Runs = cmp.Or(c.Runs, DefaultRuns)
	c.Sampler = cmp.Or(c.Sampler, SamplerProc)
	return c
}

// Validate checks the settings a sweep depends on (after defaults).
func (c Config) Validate() error {
	c = c.WithDefaults()
	errs := c.Worker.Problems()
	switch c.Sampler {
	case SamplerProc, SamplerNVML, SamplerTegrastats:
	default:
		errs = append(errs, fmt.Sprintf("unknown sampler %q (want proc, nvml or tegrastats)", c.Sampler))
	}
	if c.IntervalMs < 1 || c.IntervalMs > 10 {
		errs = append(errs, fmt.Sprintf("interval %d ms must be 1–10 ms (≥ 100 Hz)", c.IntervalMs))
	}
	if c.Runs < 1 {
		errs = append(errs, fmt.Sprintf("runs %d must be ≥ 1", c.Runs))
	}
	if len(errs) > 0 {
		return errors.New("memory: config: " + strings.Join(errs, "; "))
	}
	return nil
}
