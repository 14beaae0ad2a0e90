// Package ceilings measures a device's two roofline ceilings through ONNX
// Runtime, with the session options the timing stage uses (execution
// provider, thread counts, graph optimisation): peak compute, from a chain
// of large float32 MatMuls (MatMulGraph), and memory bandwidth, from a
// chain of element-wise Adds over vectors far larger than the last-level
// cache (StreamGraph). Both graphs are built in Go. Each ceiling is the
// fastest of several timed runs after an untimed first run: a ceiling is
// what the device can reach, not what it typically does.
//
// On a GPU the input and output are copied between host and device inside
// each run (as in the timing stage), so the bandwidth ceiling there is a
// lower bound.
package ceilings

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/dnnbench/dnnbench/internal/cachekey"
	"github.com/dnnbench/dnnbench/internal/diag"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// Schema is the version of this stage's rows and method in cache keys, and
// Entries the cache folder of its rows (see timing.Schema). v2: the compute
// ceiling is the faster of a MatMul and a Conv chain.
const (
	Schema  = 2
	Entries = "ceilings-v2"
)

// Methods of a Row.
const (
	// MethodMeasured marks ceilings measured by Run.
	MethodMeasured = "measured"
	// MethodNominal marks a peak detected from the hardware's description
	// (cores × clock × FLOPs per cycle, or the profile's peak_gflops) where
	// the runtime could not run; its bandwidth is then unknown (0).
	MethodNominal = "nominal"
)

// Row is one device's ceilings: analysis/ceilings.csv.
type Row struct {
	Device string `parquet:"device"`
	// PeakGFLOPS is the compute ceiling in 10⁹ FLOP/s.
	PeakGFLOPS float64 `parquet:"peak_gflops"`
	// BandwidthGBs is the memory ceiling in 10⁹ bytes/s; 0 when unknown.
	BandwidthGBs float64 `parquet:"bandwidth_gbs"`
	// Method is MethodMeasured or MethodNominal.
	Method string `parquet:"method"`
}

// Config is what Run needs. Zero sizes take the documented defaults.
type Config struct {
	// Device is the device profile's name, recorded in the row.
	Device string
	// Session is the device profile's session settings, as for timing.
	Session onnxrt.Options
	// Dir is where the two graphs are written (created if missing).
	Dir string
	// MatMul and Conv are the compute graphs, the faster of which sets the
	// compute ceiling; default 1024×1024 matrices, depth 4, and 256 channels
	// on 56×56, depth 2 (a VGG/ResNet stage).
	MatMul MatMulGraph
	Conv   ConvGraph
	// Stream is the bandwidth graph; default 2²⁶ elements (256 MiB per
	// tensor), depth 4.
	Stream StreamGraph
	// MinRuns is the minimum number of timed runs per graph; default 5.
	MinRuns int
	// MinSeconds is the minimum duration of the timed runs per graph, in
	// seconds; default 0.5.
	MinSeconds float64
	// OtherCPU reads the CPU seconds other processes have used (see
	// timing.OtherCPU, the default); tests script it.
	OtherCPU func() (seconds float64, ok bool)
}

// Measurement is what a measurement found.
type Measurement struct {
	Row Row
	// OtherCPU is the CPU other processes used during the timed runs, in
	// cores (CPU seconds per wall second), the larger of the two graphs';
	// NaN when the host does not say.
	OtherCPU float64
	// MatMulGFLOPS and ConvGFLOPS are what each compute graph reached; the
	// row's peak is the larger.
	MatMulGFLOPS, ConvGFLOPS float64
}

// Loaded reports whether other processes used more than
// timing.MaxOtherCPU cores during the runs, the load above which the
// timing stage sets a round aside: the ceilings are then likely too low.
func (m Measurement) Loaded() bool { return m.OtherCPU > timing.MaxOtherCPU }

// WithDefaults returns c with every unset field given its default.
func (c Config) WithDefaults() Config {
	if c.MatMul == (MatMulGraph{}) {
		c.MatMul = MatMulGraph{N: 1024, Depth: 4}
	}
	if c.Conv == (ConvGraph{}) {
		c.Conv = ConvGraph{C: 256, HW: 56, Depth: 2}
	}
	if c.Stream == (StreamGraph{}) {
		c.Stream = StreamGraph{Elems: 1 << 26, Depth: 4}
	}
	if c.MinRuns == 0 {
		c.MinRuns = 5
	}
	if c.MinSeconds == 0 {
		c.MinSeconds = 0.5
	}
	if c.OtherCPU == nil {
		c.OtherCPU = timing.OtherCPU
	}
	return c
}

// Validate reports settings Run cannot use.
func (c Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("ceilings: config: no directory for the graphs (Config.Dir)")
	case c.MinRuns < 1:
		return fmt.Errorf("ceilings: config: min runs %d must be at least 1", c.MinRuns)
	case c.MinSeconds < 0 || math.IsNaN(c.MinSeconds) || math.IsInf(c.MinSeconds, 0):
		return fmt.Errorf("ceilings: config: min seconds %v must be a finite number ≥ 0", c.MinSeconds)
	}
	return nil
}

// Key is the cache key of the row Run measures with cfg (defaults
// applied) on a host and runtime described by fingerprint; it errors only
// when the key cannot be encoded.
func Key(cfg Config, fingerprint map[string]any) (string, error) {
	cfg = cfg.WithDefaults()
	return cachekey.Key(Schema, "ceilings", cfg.MatMul, cfg.Conv, cfg.Stream, cfg.MinRuns, cfg.MinSeconds, fingerprint)
}

// Inputs are what Run needs besides its Config.
type Inputs struct {
	// NominalGFLOPS is the device's detected nominal peak in GFLOP/s (0
	// when none was detected): the row's peak when the graphs cannot run.
	NominalGFLOPS float64
}

// Result is what Run found.
type Result struct {
	// Rows holds the device's one row: measured, or nominal (Nominal) when
	// the runtime could not run the graphs.
	Rows []Row
	// Warnings say why the row is nominal, or that it was measured on a
	// loaded host.
	Warnings []diag.Warning
	// Measurement details a measured row; it is zero for a nominal one.
	Measurement Measurement
	// Cacheable reports whether the row may be cached: it was measured on
	// a host that was not loaded (see Measurement.Loaded).
	Cacheable bool
}

// Run measures the device's ceilings. The runtime must be initialised with
// onnxrt.Init. Where the runtime cannot run a graph (for example a missing
// execution provider), the row is the nominal peak in, with a warning; a
// measurement on a loaded host is returned with a warning and not marked
// Cacheable. It errors when cfg is invalid or ctx is cancelled.
func Run(ctx context.Context, cfg Config, in Inputs) (*Result, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, err := measure(ctx, cfg)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil:
		row := Nominal(cfg.Device, in.NominalGFLOPS)
		return &Result{Rows: []Row{row}, Warnings: []diag.Warning{{Stage: "ceilings", Device: cfg.Device, Code: "ceilings-nominal",
			Message: fmt.Sprintf("not measured (%v); the roofline uses the detected peak %.1f GFLOP/s (method nominal) and no bandwidth ceiling", err, row.PeakGFLOPS)}}}, nil
	case m.Loaded():
		return &Result{Rows: []Row{m.Row}, Measurement: m, Warnings: []diag.Warning{{Stage: "ceilings", Device: cfg.Device, Code: "ceilings-loaded",
			Message: fmt.Sprintf("measured while other processes used %.1f cores (more than %g), so the ceilings are likely too low; not cached, the next run measures them again", m.OtherCPU, timing.MaxOtherCPU)}}}, nil
	}
	return &Result{Rows: []Row{m.Row}, Measurement: m, Cacheable: true}, nil
}

// measure measures the device's ceilings and the load other processes put
// on the host meanwhile. An error means the runtime could not run a graph
// here, cfg is invalid or ctx was cancelled.
func measure(ctx context.Context, cfg Config) (Measurement, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return Measurement{}, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return Measurement{}, fmt.Errorf("ceilings: %w", err)
	}
	mm, err := cfg.MatMul.Bytes()
	if err != nil {
		return Measurement{}, err
	}
	st, err := cfg.Stream.Bytes()
	if err != nil {
		return Measurement{}, err
	}
	cv, err := cfg.Conv.Bytes()
	if err != nil {
		return Measurement{}, err
	}
	best, loadMM, err := fastest(ctx, cfg, filepath.Join(cfg.Dir, fmt.Sprintf("matmul-%d-x%d.onnx", cfg.MatMul.N, cfg.MatMul.Depth)), mm)
	if err != nil {
		return Measurement{}, fmt.Errorf("ceilings: %s: compute graph: %w", cfg.Device, err)
	}
	matmul := cfg.MatMul.FLOPs() / best.Seconds() / 1e9
	best, loadCV, err := fastest(ctx, cfg, filepath.Join(cfg.Dir, fmt.Sprintf("conv-%d-%d-x%d.onnx", cfg.Conv.C, cfg.Conv.HW, cfg.Conv.Depth)), cv)
	if err != nil {
		return Measurement{}, fmt.Errorf("ceilings: %s: conv graph: %w", cfg.Device, err)
	}
	conv := cfg.Conv.FLOPs() / best.Seconds() / 1e9
	peak := math.Max(matmul, conv)
	loadMM = math.Max(loadMM, loadCV) // NaN when either is unknown
	best, loadST, err := fastest(ctx, cfg, filepath.Join(cfg.Dir, fmt.Sprintf("stream-%d-x%d.onnx", cfg.Stream.Elems, cfg.Stream.Depth)), st)
	if err != nil {
		return Measurement{}, fmt.Errorf("ceilings: %s: bandwidth graph: %w", cfg.Device, err)
	}
	bw := cfg.Stream.BytesMoved() / best.Seconds() / 1e9
	load := math.NaN()
	if !math.IsNaN(loadMM) && !math.IsNaN(loadST) {
		load = math.Max(loadMM, loadST)
	}
	return Measurement{Row: Row{Device: cfg.Device, PeakGFLOPS: peak, BandwidthGBs: bw, Method: MethodMeasured}, OtherCPU: load,
		MatMulGFLOPS: matmul, ConvGFLOPS: conv}, nil
}

// fastest writes the graph to path, runs it once untimed, then times runs
// until at least MinRuns and MinSeconds, and returns the fastest and the
// cores other processes used meanwhile (NaN when unknown).
func fastest(ctx context.Context, cfg Config, path string, graph []byte) (time.Duration, float64, error) {
	d, t0, c0, ok0, err := timeRuns(ctx, cfg, path, graph)
	if err != nil {
		return 0, 0, err
	}
	c1, ok1 := cfg.OtherCPU()
	load := math.NaN()
	if wall := time.Since(t0).Seconds(); ok0 && ok1 && wall > 0 {
		load = math.Max(0, (c1-c0)/wall)
	}
	return d, load, nil
}

// timeRuns does fastest's runs; it returns the fastest, when the timed
// runs began and the other processes' CPU seconds then.
func timeRuns(ctx context.Context, cfg Config, path string, graph []byte) (best time.Duration, start time.Time, cpu0 float64, ok bool, err error) {
	if err = os.WriteFile(path, graph, 0o644); err != nil {
		return
	}
	sess, err := onnxrt.NewSession(path, cfg.Session)
	if err != nil {
		return
	}
	defer sess.Close()
	b, err := sess.NewBatch(1)
	if err != nil {
		return
	}
	defer b.Close()
	timing.Fill(b.Input())
	if err = b.Run(); err != nil {
		return
	}
	minDur := time.Duration(cfg.MinSeconds * float64(time.Second))
	best = time.Duration(math.MaxInt64)
	cpu0, ok = cfg.OtherCPU()
	start = time.Now()
	for n := 0; n < cfg.MinRuns || time.Since(start) < minDur; n++ {
		if err = ctx.Err(); err != nil {
			return
		}
		t0 := time.Now()
		if err = b.Run(); err != nil {
			return
		}
		best = min(best, time.Since(t0))
	}
	if best <= 0 {
		err = errors.New("a run took no measurable time")
	}
	return
}

// Nominal is the row of a device whose ceilings could not be measured: the
// detected nominal peak in GFLOP/s (0 when none was detected) and an
// unknown bandwidth.
func Nominal(device string, peakGFLOPS float64) Row {
	return Row{Device: device, PeakGFLOPS: peakGFLOPS, Method: MethodNominal}
}

// Merge returns this device's row own (none when own has no device) and
// one row per other device in cached (rows of a cache copied from another
// machine): where a device has several rows (older fingerprints), the
// highest measured peak is kept, so the choice never depends on the order
// rows are read. Rows are sorted by device.
func Merge(own Row, cached []Row) []Row {
	best := map[string]Row{}
	for _, c := range cached {
		if c.Device == own.Device || c.Device == "" {
			continue
		}
		if b, ok := best[c.Device]; !ok || c.PeakGFLOPS > b.PeakGFLOPS || (c.PeakGFLOPS == b.PeakGFLOPS && c.BandwidthGBs > b.BandwidthGBs) {
			best[c.Device] = c
		}
	}
	var out []Row
	if own.Device != "" {
		out = append(out, own)
	}
	for _, c := range best {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Row) int { return strings.Compare(a.Device, b.Device) })
	return out
}
