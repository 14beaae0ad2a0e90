// Package timing measures inference latency per model and batch size on one
// device. Each model runs in a fresh child process (see Worker) so models
// cannot disturb each other; the parent (see Run) turns the child's raw
// samples into rows with medians, percentiles and confidence intervals.
package timing

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/dnnbench/dnnbench/internal/sweep"
)

// Recommended CPU defaults (the paper's 10 warm-up and 10 timed runs, plus a
// minimum duration). See the package README for the time budget behind them.
const (
	DefaultWarmup     = 10
	DefaultRuns       = 10
	DefaultMinSeconds = 1.0
	// DefaultRounds splits each process's share of a batch size's timed runs
	// into two rounds: with two processes a cell has four rounds, of which
	// two can agree while two are hit by outside load, and each round keeps
	// MinRoundRuns runs or more for the same work as three rounds of two.
	DefaultRounds = 2
	// DefaultProcesses times each model in two worker processes: a process
	// can settle in a slow state for its whole life (squeezenet1_1 took
	// 11.1 ms at batch 2 in one process and 7.6 ms in the next, each with
	// three rounds that agreed).
	DefaultProcesses = 2
)

// Config is what one timing sweep needs. The pipeline fills it from the
// config file and the device profile.
type Config struct {
	// Worker is how the worker process is started, with args "worker
	// timing", and the session it opens.
	sweep.Worker
	// Device is the device profile's name, recorded in every row.
	Device string
	// NVML asks the worker to record the GPU's name, clocks and driver
	// through NVML (set it for devices whose memory_sampler is nvml); the GPU
	// is provider option device_id (default 0).
	NVML bool
	// Warmup is the minimum number of warm-up runs per batch size (recommended 10);
	// the first of them is reported apart as the first run. With Warmup and
	// MinSeconds 0 there is no warm-up, and the first timed run is the first run.
	Warmup int
	// Runs is the minimum number of timed runs per batch size (at least 1).
	Runs int
	// MinSeconds is the minimum duration, in seconds, of the warm-up and
	// again of the timed runs, per batch size.
	MinSeconds float64
	// Rounds splits the timed runs and MinSeconds of each batch size into
	// this many interleaved rounds per process (at least 1; recommended
	// DefaultRounds), each with an even share of the runs, at least
	// min(MinRoundRuns, runs), and of MinSeconds.
	Rounds int
	// Processes is how many worker processes time a model (0 is 1;
	// recommended DefaultProcesses). Each warms up in full and does
	// Rounds rounds with ⌈Runs/Processes⌉ runs and MinSeconds/Processes of
	// timed runs; the pipeline calls Run once per process, one process per
	// pass over all the models, passing the earlier processes' rows as
	// Model.Prior. A stable cell needs agreeing
	// rounds from min(2, Processes) of them (see Judge).
	Processes int
	// CanaryRefMs is the run's host canary reference in milliseconds:
	// CanaryReference of every round's canary so far in this run (0 when
	// none). Rounds after which the canary ran more than MaxCanarySlowdown
	// slower are not clean (see Judge). The pipeline updates it as rows
	// arrive (Row.LatestCanaries).
	CanaryRefMs float64
}

// Model is one model to time.
type Model struct {
	// Name is the model's name in the config, recorded in every row.
	Name string
	// Path is the ONNX file.
	Path string
	// Prior are earlier "ok" rows of this model's cells when they are
	// re-measured: their rounds are kept and judged with the new ones.
	Prior []Row
}

// Validate checks the settings a sweep depends on.
func (c Config) Validate() error {
	errs := c.Worker.Problems()
	if c.Warmup < 0 {
		errs = append(errs, fmt.Sprintf("warmup %d must be ≥ 0", c.Warmup))
	}
	if c.Runs < 1 {
		errs = append(errs, fmt.Sprintf("runs %d must be ≥ 1", c.Runs))
	}
	if c.Rounds < 1 {
		errs = append(errs, fmt.Sprintf("rounds %d must be ≥ 1", c.Rounds))
	}
	if c.Processes < 0 {
		errs = append(errs, fmt.Sprintf("processes %d must be ≥ 0 (0 is 1)", c.Processes))
	}
	if c.MinSeconds < 0 || math.IsNaN(c.MinSeconds) || math.IsInf(c.MinSeconds, 0) {
		errs = append(errs, fmt.Sprintf("min_seconds %v must be a finite number ≥ 0", c.MinSeconds))
	}
	if len(errs) > 0 {
		return errors.New("timing: config: " + strings.Join(errs, "; "))
	}
	return nil
}

// minDuration is MinSeconds as a Duration.
func (c Config) minDuration() time.Duration {
	return time.Duration(c.MinSeconds * float64(time.Second))
}

// processes is Processes, at least 1.
func (c Config) processes() int { return max(c.Processes, 1) }
