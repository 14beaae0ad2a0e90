// Package analyse joins the stage tables into the paper's analysis: accuracy
// density, Pareto fronts, the constraint table (Table 3), the memory fit of
// Figure 4, rank correlations, Tables 1 and 2, and the paper's findings
// re-tested on the measured data.
package analyse

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/dnnbench/dnnbench/internal/diag"

	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/ceilings"
	"github.com/dnnbench/dnnbench/stages/flops"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/models"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// ErrNoModels is returned when no stage table names any model.
var ErrNoModels = errors.New("analyse: no models in the stage tables")

// Inputs are the stage tables, as read from the cache.
type Inputs struct {
	Models   []models.Row
	Flops    []flops.Row
	Ops      []flops.OpRow
	Accuracy []accuracy.Row
	Timing   []timing.Row
	Memory   []memory.Row
	// Ceilings are each device's roofline ceilings.
	Ceilings []ceilings.Row
}

// Config holds the analysis settings.
type Config struct {
	// MemoryGB are Table 3's memory limits, in GB (10^9 bytes); default 0.7, 1.0, 1.4.
	MemoryGB []float64
	// FPS are Table 3's speed floors, in images per second at batch 1; default 15, 30, 60.
	FPS []float64
	// TopN is how many models each Table 3 cell lists; default 5.
	TopN int
}

// WithDefaults returns c with every unset field given its documented default.
func (c Config) WithDefaults() Config {
	if len(c.MemoryGB) == 0 {
		c.MemoryGB = []float64{0.7, 1.0, 1.4}
	}
	if len(c.FPS) == 0 {
		c.FPS = []float64{15, 30, 60}
	}
	if c.TopN == 0 {
		c.TopN = 5
	}
	return c
}

// Validate reports a configuration that cannot be analysed.
func (c Config) Validate() error {
	for _, v := range c.MemoryGB {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("analyse: memory_gb %v: must be a positive number of GB", v)
		}
	}
	for _, v := range c.FPS {
		if !(v > 0) || math.IsInf(v, 0) {
			return fmt.Errorf("analyse: fps %v: must be a positive number of images per second", v)
		}
	}
	if c.TopN < 0 {
		return fmt.Errorf("analyse: top_n %d: must be positive", c.TopN)
	}
	return nil
}

// Result is the whole analysis; every slice is sorted.
type Result struct {
	// Config is the configuration used, with defaults applied.
	Config Config
	// Devices are the devices found in the timing and memory tables, sorted.
	Devices []string
	// DeviceInfo describes how each device was measured, in Devices order.
	DeviceInfo []DeviceRow
	// TimingBatches and MemoryBatches are the batch sizes found, ascending.
	TimingBatches []int64
	MemoryBatches []int64
	// Models has one row per model with a flops row, sorted by name.
	Models []ModelRow
	// DeviceModels has one row per device × model, sorted by device then model.
	DeviceModels []DeviceModelRow
	// Fronts lists the Pareto-optimal models of each device and axis.
	Fronts []FrontRow
	// Constraints is Table 3.
	Constraints []ConstraintRow
	// MemoryFits are Figure 4's fits, one per device.
	MemoryFits []FitRow
	// Correlations are Spearman rank correlations of top-1 accuracy.
	Correlations []CorrelationRow
	// Table1 is ms per image vs batch size; Table2 is memory vs batch size.
	Table1 []BatchCell
	Table2 []BatchCell
	// AccuracyChecks set measured top-1 beside the published figure, for
	// models that have both.
	AccuracyChecks []AccuracyCheckRow
	// Ceilings are the devices' roofline ceilings, sorted by device;
	// Roofline places every "ok" timing row on its device's roofline.
	Ceilings []ceilings.Row
	Roofline []RooflineRow
	// Findings are the paper's seven findings re-tested, then the
	// roofline observation (finding 8).
	Findings []Finding
	// Warnings are collected from every stage and from this analysis.
	Warnings []Warning
}

// ModelRow is one model's device-independent figures.
type ModelRow struct {
	Model  string `parquet:"model"`
	Params int64  `parquet:"params"`
	MACs   int64  `parquet:"macs"`
	FLOPs  int64  `parquet:"flops"`
	// Weights is "random" or "pretrained"; Source is "arch", "onnx" or "url";
	// SHA256 is the ONNX file's digest (all empty when the models table lacks the model).
	Weights string `parquet:"weights"`
	Source  string `parquet:"source"`
	SHA256  string `parquet:"sha256"`
	// HasAccuracy is false when no accuracy row exists; Top1, Top5 and Density are then 0.
	HasAccuracy bool `parquet:"has_accuracy"`
	// Top1 and Top5 are percentages.
	Top1 float64 `parquet:"top1"`
	Top5 float64 `parquet:"top5"`
	// Top1CI95 is the half-width of the 95% interval of a measured Top1, in points (0 for published values).
	Top1CI95 float64 `parquet:"top1_ci95"`
	// AccuracySource is "measured" or "published:<reference>".
	AccuracySource string `parquet:"accuracy_source"`
	// Density is top-1 accuracy per million parameters, in % / M.
	Density float64 `parquet:"top1_per_mparams"`
	// AccuracySkipped counts the images a measured Top1 left out as unreadable.
	AccuracySkipped int64 `parquet:"accuracy_skipped"`
	// AccuracyError says why a measurement failed (too many unreadable
	// images); HasAccuracy is then false unless another row gives one.
	AccuracyError string `parquet:"accuracy_error"`
	// Family is the architecture family (models.Family: "ResNet", "VGG",
	// ..., or "other"), from the zoo arch or the model's name.
	Family string `parquet:"family"`
}

// DeviceModelRow is one model on one device at batch 1.
type DeviceModelRow struct {
	Device      string  `parquet:"device"`
	Model       string  `parquet:"model"`
	HasAccuracy bool    `parquet:"has_accuracy"`
	Top1        float64 `parquet:"top1"`
	Params      int64   `parquet:"params"`
	FLOPs       int64   `parquet:"flops"`
	// FPS is images per second at batch 1 (0 unless TimingStatus is "ok").
	FPS        float64 `parquet:"fps_b1"`
	MsPerImage float64 `parquet:"ms_per_image_b1"`
	// TimingStatus is "ok", "oom", "error", "skipped" or "not run".
	TimingStatus string `parquet:"timing_status"`
	// TimingStable is false when the batch-1 timing row failed the timing
	// stage's stability rule (FPS and ms per image are then marked).
	TimingStable bool `parquet:"timing_stable_b1"`
	// PeakBytes is the total memory at batch 1 above the baseline (0 unless MemoryStatus is "ok").
	PeakBytes int64 `parquet:"peak_bytes_b1"`
	// BaselineBytes is the memory measured before the session existed, at
	// batch 1: the process with ONNX Runtime loaded (proc), the CUDA context
	// (nvml) or the whole board's RAM in use (tegrastats).
	BaselineBytes int64 `parquet:"baseline_bytes_b1"`
	// Sampler is the memory sampler of the batch-1 row: "proc", "nvml" or "tegrastats".
	Sampler      string `parquet:"sampler"`
	MemoryStatus string `parquet:"memory_status"`
	// JoulesPerImage is the batch-1 timing row's energy per image in joules
	// (NaN without a reading or an "ok" row); EnergySource names its sensor,
	// or is "none: " and why.
	JoulesPerImage float64 `parquet:"joules_per_image_b1"`
	EnergySource   string  `parquet:"energy_source"`
}

// DeviceRow summarises how a device was measured: the most common value of
// each setting over its timing and memory rows.
type DeviceRow struct {
	Device   string `parquet:"device"`
	Provider string `parquet:"provider"`
	Threads  int64  `parquet:"threads"`
	Warmup   int64  `parquet:"warmup"`
	Runs     int64  `parquet:"runs"`
	Sampler  string `parquet:"sampler"`
	// BaselineBytes is the median baseline of the device's measured memory
	// rows (see DeviceModelRow.BaselineBytes); 0 when none.
	BaselineBytes int64 `parquet:"baseline_bytes"`
	// TimingRows and MemoryRows count the rows found.
	TimingRows int `parquet:"timing_rows"`
	MemoryRows int `parquet:"memory_rows"`
	// Rounds is the most common number of rounds per timing cell (all
	// attempts); StableCells and UnstableCells count the "ok" timing rows by
	// the stability rule's verdict.
	Rounds        int64 `parquet:"rounds"`
	StableCells   int   `parquet:"stable_cells"`
	UnstableCells int   `parquet:"unstable_cells"`
	// RoundsWithLoad counts the timing rounds with a recorded host load
	// (other processes' CPU); LoadedRounds the rounds timing.Loaded calls
	// loaded. OtherCPUMedian and OtherCPUMax summarise other processes'
	// CPU over those rounds, in cores (NaN when none).
	RoundsWithLoad int     `parquet:"rounds_with_load"`
	LoadedRounds   int     `parquet:"loaded_rounds"`
	OtherCPUMedian float64 `parquet:"other_cpu_cores_median"`
	OtherCPUMax    float64 `parquet:"other_cpu_cores_max"`
	// RoundsWithWait counts the timing rounds with a recorded run-queue
	// wait of the worker's threads; WaitMedian and WaitMax summarise it, in
	// thread-seconds per second (NaN when none).
	RoundsWithWait int     `parquet:"rounds_with_wait"`
	WaitMedian     float64 `parquet:"wait_median"`
	WaitMax        float64 `parquet:"wait_max"`
	// RoundsWithCanary counts the timing rounds with a host canary time;
	// SlowRounds those whose canary took more than 1+timing.MaxCanarySlowdown
	// times the reference their cell was judged against (host slow).
	RoundsWithCanary int `parquet:"rounds_with_canary"`
	SlowRounds       int `parquet:"slow_rounds"`
	// CellsTwoProcesses counts the "ok" timing cells timed by two
	// processes a pass apart; ProcessSpreadMedian and ProcessSpreadP90
	// summarise how far apart those processes' medians lay
	// (timing.Row.ProcessSpread: 0.2 is 20 %; NaN when no cell had two), and
	// CellsReproduced counts the cells within ReproducibleSpread.
	CellsTwoProcesses   int     `parquet:"cells_two_processes"`
	ProcessSpreadMedian float64 `parquet:"process_spread_median"`
	ProcessSpreadP90    float64 `parquet:"process_spread_p90"`
	CellsReproduced     int     `parquet:"cells_reproduced"`
}

// ReproducibleSpread is how far apart a cell's two processes may time it
// and still count as reproduced (see DeviceRow.CellsReproduced).
const ReproducibleSpread = 0.10

// MinReproCells is the fewest two-process cells a device needs before the
// analysis judges whether its host reproduces its timings.
const MinReproCells = 4

// FrontRow is one Pareto-optimal model: no other model is at least as
// accurate and at least as cheap on the axis, and better on one of them.
type FrontRow struct {
	// Device is empty for the device-independent FLOPs axis.
	Device string `parquet:"device"`
	// Axis is "flops" (x in FLOPs), "fps" (x in images/s at batch 1) or "memory" (x in bytes at batch 1).
	Axis  string  `parquet:"axis"`
	Model string  `parquet:"model"`
	X     float64 `parquet:"x"`
	Top1  float64 `parquet:"top1"`
}

// ConstraintRow is one Table 3 entry. A cell no model meets has one row with
// Rank 0, no model and a Note.
type ConstraintRow struct {
	Device   string  `parquet:"device"`
	MemoryGB float64 `parquet:"memory_gb_max"`
	FPS      float64 `parquet:"fps_min"`
	Rank     int     `parquet:"rank"`
	Model    string  `parquet:"model"`
	Top1     float64 `parquet:"top1"`
	// PeakBytes and ModelFPS are the model's batch-1 memory and speed;
	// TimingStable is false when that speed comes from an unstable cell.
	PeakBytes    int64   `parquet:"peak_bytes_b1"`
	ModelFPS     float64 `parquet:"fps_b1"`
	TimingStable bool    `parquet:"timing_stable_b1"`
	Note         string  `parquet:"note"`
}

// FitRow is a least-squares line of total memory at batch 1 on parameters.
type FitRow struct {
	Device string `parquet:"device"`
	N      int    `parquet:"n"`
	// Slope is in bytes per parameter; Intercept in bytes.
	Slope     float64 `parquet:"slope_bytes_per_param"`
	Intercept float64 `parquet:"intercept_bytes"`
	R2        float64 `parquet:"r2"`
	// Note explains a fit that could not be made (then the numbers are 0).
	Note string `parquet:"note"`
}

// CorrelationRow is Spearman's rank correlation of top-1 with another quantity.
type CorrelationRow struct {
	// Device is empty for device-independent quantities.
	Device string `parquet:"device"`
	// With is "flops", "params" or "fps_b1".
	With string  `parquet:"with"`
	N    int     `parquet:"n"`
	Rho  float64 `parquet:"spearman_rho"`
	Note string  `parquet:"note"`
}

// BatchCell is one Table 1 or Table 2 cell: a model on a device at a batch size.
type BatchCell struct {
	Device string `parquet:"device"`
	Model  string `parquet:"model"`
	Batch  int64  `parquet:"batch"`
	// Value is ms per image (Table 1) or peak bytes (Table 2); Lo and Hi bound
	// Table 1's median at 95% confidence (equal to Value when unknown).
	Value float64 `parquet:"value"`
	Lo    float64 `parquet:"lo"`
	Hi    float64 `parquet:"hi"`
	// Status is "ok", "oom", "error", "skipped" or "not run".
	Status string `parquet:"status"`
	// Reason is the error text, or why the cell was not run.
	Reason string `parquet:"reason"`
	// Stable is false for an "ok" Table 1 cell that failed the timing
	// stage's stability rule; Unstable then says why. Table 2 cells are
	// always stable.
	Stable   bool   `parquet:"stable"`
	Unstable string `parquet:"unstable_reason"`
}

// Warning is one warning from a stage or from the analysis.
type Warning = diag.Warning

// Run analyses the stage tables in. It errors when cfg is invalid, a
// table holds a row that makes the analysis meaningless (naming it), no
// table names a model (ErrNoModels), or ctx is cancelled; warnings are in
// the Result.
func Run(ctx context.Context, cfg Config, in Inputs) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkInputs(in); err != nil {
		return nil, err
	}
	res := &Result{Config: cfg}
	var warns []Warning
	res.Models, warns = modelTable(in)
	if len(res.Models) == 0 {
		return nil, ErrNoModels
	}
	res.Devices, res.TimingBatches, res.MemoryBatches = devicesAndBatches(in)
	res.DeviceInfo = deviceInfo(in, res.Devices)
	warns = append(warns, reproWarnings(res.DeviceInfo)...)
	res.DeviceModels = deviceModelTable(in, res.Models, res.Devices)
	res.Table1, warns = table1(in, res.Models, res.Devices, res.TimingBatches, warns)
	res.Table2 = table2(in, res.Models, res.Devices, res.MemoryBatches)
	res.Fronts = fronts(res.Models, res.DeviceModels, res.Devices)
	var err error
	res.Constraints, err = constraintTable(res.DeviceModels, res.Devices, cfg)
	if err != nil {
		return nil, err
	}
	res.AccuracyChecks = accuracyChecks(in.Accuracy)
	res.MemoryFits = memoryFits(res.DeviceModels, res.Devices)
	res.Correlations = correlations(res.Models, res.DeviceModels, res.Devices)
	res.Ceilings = ceilingRows(in)
	res.Roofline, warns = roofline(in, warns)
	res.Findings = append(findings(res), findingRoofline(res))
	res.Warnings = collectWarnings(in, warns)
	return res, nil
}

// checkInputs rejects rows that would make the analysis meaningless.
func checkInputs(in Inputs) error {
	for _, r := range in.Flops {
		if r.Model == "" {
			return errors.New("analyse: flops table has a row without a model name")
		}
		if r.Params < 0 || r.FLOPs < 0 {
			return fmt.Errorf("analyse: flops: %s: negative params or FLOPs; rerun the flops stage with --force", r.Model)
		}
	}
	for _, r := range in.Accuracy {
		if r.Top1 < 0 || r.Top1 > 100 || r.Top5 < 0 || r.Top5 > 100 || math.IsNaN(r.Top1) || math.IsNaN(r.Top5) {
			return fmt.Errorf("analyse: accuracy: %s: top-1 %v / top-5 %v is not a percentage", r.Model, r.Top1, r.Top5)
		}
	}
	for _, r := range in.Timing {
		if r.Batch <= 0 {
			return fmt.Errorf("analyse: timing: %s on %s: batch %d is not positive", r.Model, r.Device, r.Batch)
		}
		if r.Device == "" {
			return fmt.Errorf("analyse: timing: %s batch %d: row has no device", r.Model, r.Batch)
		}
	}
	for _, r := range in.Memory {
		if r.Batch <= 0 {
			return fmt.Errorf("analyse: memory: %s on %s: batch %d is not positive", r.Model, r.Device, r.Batch)
		}
		if r.Device == "" {
			return fmt.Errorf("analyse: memory: %s batch %d: row has no device", r.Model, r.Batch)
		}
	}
	return nil
}

func sortedKeys[K ~string | ~int64](m map[K]bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
