package timing

import (
	"math"

	"github.com/dnnbench/dnnbench/internal/sweep"
)

// Row is one model × device × batch timing: the timing stage's table.
// The first fifteen columns are the stable timing.csv contract, then stable
// and its reason.
type Row struct {
	Model   string `parquet:"model"`
	Device  string `parquet:"device"`
	Batch   int64  `parquet:"batch"`
	Threads int64  `parquet:"threads"`
	// Warmup and Runs are the counts actually performed: Runs counts every
	// timed run of every round and attempt, used or not.
	Warmup          int64   `parquet:"warmup"`
	Runs            int64   `parquet:"runs"`
	LatencyMsMedian float64 `parquet:"latency_ms_median"`
	LatencyMsP90    float64 `parquet:"latency_ms_p90"`
	LatencyMsP99    float64 `parquet:"latency_ms_p99"`
	LatencyMsMin    float64 `parquet:"latency_ms_min"`
	LatencyMsMean   float64 `parquet:"latency_ms_mean"`
	// MsPerImage is the median batch latency divided by the batch size.
	MsPerImage float64 `parquet:"ms_per_image"`
	// FPS is images per second at the median latency.
	FPS float64 `parquet:"fps"`
	// Status is "ok", "oom", "error" or "skipped".
	Status string `parquet:"status"`
	Error  string `parquet:"error"`
	// Stable is the stability rule's verdict on an "ok" row (see Judge);
	// UnstableReason says why it failed.
	Stable         bool   `parquet:"stable"`
	UnstableReason string `parquet:"unstable_reason"`
	// LatencyMsCILow and LatencyMsCIHigh bound the median at 95% confidence.
	LatencyMsCILow  float64 `parquet:"latency_ms_ci_low"`
	LatencyMsCIHigh float64 `parquet:"latency_ms_ci_high"`
	// Rounds counts the rounds over all attempts; RoundsUsed those the
	// statistics above pool; Attempts is 1 plus the re-measurements.
	Rounds     int64 `parquet:"rounds"`
	RoundsUsed int64 `parquet:"rounds_used"`
	Attempts   int64 `parquet:"attempts"`
	// OtherCPUMax is the most CPU other processes used during a round, in
	// cores (NaN when the host does not say).
	OtherCPUMax float64 `parquet:"other_cpu_cores_max"`
	// SessionMs is session creation time; FirstRunMs the first Run at this batch.
	SessionMs  float64 `parquet:"session_ms"`
	FirstRunMs float64 `parquet:"first_run_ms"`
	// Provider is the execution provider used, e.g. "cpu", "cuda".
	Provider string `parquet:"provider"`
	// Warnings are the cell's warnings (large spread, few samples).
	Warnings []string `parquet:"warnings,list"`
	// JoulesPerImage is the energy of the timed runs per image, in joules,
	// from the rounds the latency estimate uses (see setEnergy); NaN where no
	// sensor was read. EnergySource names the sensor, or is "none: " and why.
	JoulesPerImage float64 `parquet:"joules_per_image"`
	EnergySource   string  `parquet:"energy_source"`
	// ModelSHA256 is the measured ONNX file's hex digest: what the row belongs
	// to, whatever name a config gives that file (not in CSV).
	ModelSHA256 string `parquet:"model_sha256" csv:"-"`
	// SamplesMs holds every timed batch latency in milliseconds, in the order
	// measured; SampleRound the index (from 0) of each sample's round, and
	// SampleUnixNs its start as Unix nanoseconds (not in CSV).
	SamplesMs    []float64 `parquet:"samples_ms,list" csv:"-"`
	SampleRound  []int64   `parquet:"sample_round,list" csv:"-"`
	SampleUnixNs []int64   `parquet:"sample_unix_ns,list" csv:"-"`
	// Per round, indexed by round: its attempt, median in milliseconds and
	// other processes' CPU in cores (NaN when not recorded); UsedRounds are
	// the indices of the rounds the statistics pool (not in CSV).
	RoundAttempt  []int64   `parquet:"round_attempt,list" csv:"-"`
	RoundMedianMs []float64 `parquet:"round_median_ms,list" csv:"-"`
	RoundOtherCPU []float64 `parquet:"round_other_cpu_cores,list" csv:"-"`
	// RoundWait is how long the worker's threads waited for a CPU in each
	// round, in thread-seconds per second (NaN when not recorded).
	RoundWait  []float64 `parquet:"round_wait,list" csv:"-"`
	UsedRounds []int64   `parquet:"used_rounds,list" csv:"-"`
	// RoundCanaryMs is each round's host canary time in milliseconds (NaN
	// when not recorded), and CanaryRefMs the reference the verdict judged
	// them against (NaN when none; see Judge).
	RoundCanaryMs []float64 `parquet:"round_canary_ms,list" csv:"-"`
	CanaryRefMs   float64   `parquet:"canary_ref_ms" csv:"-"`
}

// rounds rebuilds a row's rounds from its lists (for a re-measurement that
// pools earlier attempts with new ones).
func (r Row) rounds() []Round {
	out := make([]Round, len(r.RoundAttempt))
	for i := range out {
		out[i] = Round{Attempt: int(r.RoundAttempt[i]), OtherCPU: math.NaN(), Wait: math.NaN(), CanaryMs: math.NaN()}
		if i < len(r.RoundOtherCPU) {
			out[i].OtherCPU = r.RoundOtherCPU[i]
		}
		if i < len(r.RoundWait) {
			out[i].Wait = r.RoundWait[i]
		}
		if i < len(r.RoundCanaryMs) {
			out[i].CanaryMs = r.RoundCanaryMs[i]
		}
	}
	for i, x := range r.SamplesMs {
		if i >= len(r.SampleRound) || r.SampleRound[i] < 0 || int(r.SampleRound[i]) >= len(out) {
			continue
		}
		k := r.SampleRound[i]
		out[k].SamplesMs = append(out[k].SamplesMs, x)
		if i < len(r.SampleUnixNs) {
			out[k].StartsNs = append(out[k].StartsNs, r.SampleUnixNs[i])
		}
	}
	kept := out[:0]
	for _, rd := range out {
		if len(rd.SamplesMs) > 0 {
			kept = append(kept, rd)
		}
	}
	return kept
}

// setRounds writes rounds and their judgement into the row's lists and
// statistics.
func (r *Row) setRounds(rounds []Round, e Estimate) {
	r.SamplesMs, r.SampleRound, r.SampleUnixNs = nil, nil, nil
	r.RoundAttempt, r.RoundMedianMs, r.RoundOtherCPU, r.RoundWait, r.UsedRounds, r.RoundCanaryMs = nil, nil, nil, nil, nil, nil
	r.CanaryRefMs = math.NaN()
	if !math.IsInf(e.CanaryRefMs, 1) {
		r.CanaryRefMs = e.CanaryRefMs
	}
	r.Rounds, r.RoundsUsed, r.Attempts, r.OtherCPUMax = int64(len(rounds)), 0, 0, math.NaN()
	for i, rd := range rounds {
		r.SamplesMs = append(r.SamplesMs, rd.SamplesMs...)
		for j := range rd.SamplesMs {
			r.SampleRound = append(r.SampleRound, int64(i))
			var ts int64
			if j < len(rd.StartsNs) {
				ts = rd.StartsNs[j]
			}
			r.SampleUnixNs = append(r.SampleUnixNs, ts)
		}
		r.RoundAttempt = append(r.RoundAttempt, int64(rd.Attempt))
		r.RoundMedianMs = append(r.RoundMedianMs, e.Medians[i])
		r.RoundOtherCPU = append(r.RoundOtherCPU, rd.OtherCPU)
		r.RoundWait = append(r.RoundWait, rd.Wait)
		r.RoundCanaryMs = append(r.RoundCanaryMs, rd.CanaryMs)
		if e.Used[i] {
			r.UsedRounds = append(r.UsedRounds, int64(i))
			r.RoundsUsed++
		}
		r.Attempts = max(r.Attempts, int64(rd.Attempt))
		if !math.IsNaN(rd.OtherCPU) && (math.IsNaN(r.OtherCPUMax) || rd.OtherCPU > r.OtherCPUMax) {
			r.OtherCPUMax = rd.OtherCPU
		}
	}
	r.Runs = int64(len(r.SamplesMs))
	r.Stable, r.UnstableReason = e.Stable, e.Reason
	fill(r, e.Stats)
}

// Cell is the model file, device and batch size r is about.
func (r Row) Cell() sweep.Cell {
	return sweep.Cell{Model: r.Model, ModelSHA256: r.ModelSHA256, Device: r.Device, Batch: r.Batch}
}

// SetModel names r's model as a config names its file.
func (r *Row) SetModel(name string) { r.Model = name }

// Schema is the version of this stage's rows and method in cache keys, and
// Entries the cache folder of its rows: bump Schema when the rows or the
// method change, so cached entries are recomputed, and the folder when the
// row layout changes, so old rows are never read back or merged.
// v2: the model file's sha256; v3: rounds, host load, stability verdict;
// v4: joules per image, energy source; v5: warnings a list; v6: loaded
// rounds above 0.25 cores (was 0.5); v7: the host canary in the rule;
// v8: the worker's run-queue wait in the rule, the lowest agreeing group,
// rounds of at least three runs.
const (
	Schema  = 8
	Entries = "timing-v6"
)

// LoadedRound reports whether round i (from 0) of the row was loaded (see
// Loaded).
func (r Row) LoadedRound(i int) bool {
	other, wait := math.NaN(), math.NaN()
	if i < len(r.RoundOtherCPU) {
		other = r.RoundOtherCPU[i]
	}
	if i < len(r.RoundWait) {
		wait = r.RoundWait[i]
	}
	return Loaded(other, wait)
}
