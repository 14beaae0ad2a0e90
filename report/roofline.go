package report

import (
	"fmt"
	"strings"

	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/ceilings"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// addRooflineColumns appends to a device's Table 1 each model's highest
// achieved GFLOP/s over the batch sizes and its percentage of the peak.
func addRooflineColumns(dt *deviceTable, res *analyse.Result, device string) {
	best := map[string]analyse.RooflineRow{}
	for _, r := range analyse.BestBatch(res.Roofline) {
		if r.Device == device {
			best[esc(r.Model)] = r
		}
	}
	dt.Table.Header = append(dt.Table.Header, "Best GFLOP/s", "% of peak")
	dt.Table.Align = append(dt.Table.Align, "r", "r")
	for i, row := range dt.Table.Rows {
		r, ok := best[row[0]]
		if !ok {
			dt.Table.Rows[i] = append(row, "–", "–")
			continue
		}
		dt.Table.Rows[i] = append(row, fmt.Sprintf("%s (batch %d)", f1(r.AchievedGFLOPS), r.Batch), f1(100*r.Efficiency))
	}
}

// rooflineText introduces Figure 5 with each device's ceilings.
func rooflineText(res *analyse.Result) string {
	if len(res.Ceilings) == 0 {
		return "No device has ceilings (analysis/ceilings.csv): run a device's timing stage to measure them."
	}
	var parts []string
	for _, c := range res.Ceilings {
		p := fmt.Sprintf("%s: compute ceiling %s GFLOP/s (%s)", esc(c.Device), f1(c.PeakGFLOPS), esc(c.Method))
		if ridge, ok := analyse.Ridge(c); ok {
			p += fmt.Sprintf(", memory ceiling %s GB/s, ridge point %s FLOP/byte", f1(c.BandwidthGBs), f1(ridge))
		} else {
			p += ", bandwidth not measured, so no ridge point"
		}
		parts = append(parts, p)
	}
	return "Ceilings (Section 9): " + strings.Join(parts, "; ") + ". Finding 8 (Section 7) names the models that are memory-bound on each device."
}

// rooflineMethod says how the ceilings were measured and the roofline built.
func rooflineMethod() string {
	c := ceilings.Config{}.WithDefaults()
	return fmt.Sprintf("**Roofline.** With the timing stage, each device's ceilings are measured through ONNX Runtime with the device profile's session settings (execution provider, thread counts, graph optimisation), on graphs built by dnnbench: "+
		"a chain of %d MatMuls of %d×%d float32 matrices (%d × 2 × %d³ FLOPs per run) and a chain of %d 3×3 convolutions of %d to %d channels on %d×%d (%d × 2 × 9 × %d² × %d² FLOPs per run), the faster of which sets the compute ceiling, and a chain of %d element-wise Adds of a constant to a vector of %d float32 values (%d MiB per tensor, meant to exceed the last-level cache) for the memory ceiling (each Add reads and writes the vector). "+
		"Each graph runs once untimed, then at least %d times and %.1f s; the ceiling is the work of one run divided by the fastest run. "+
		"The CPU other processes use is read around the timed runs, as in the timing stage; ceilings measured while it exceeded %g cores are used with a warning (Section 8) and measured again by the next run. "+
		"On a GPU the input and output are copied between host and device inside each run, as in the timing stage, so its bandwidth ceiling is a lower bound. "+
		"Where the graphs cannot run, the compute ceiling is the peak detected from the hardware's description (the profile's peak_gflops, else cores × clock × FLOPs per cycle) and no bandwidth is known (method nominal in analysis/ceilings.csv). "+
		"A model's bytes moved at a batch size are %s; its arithmetic intensity is FLOPs divided by those bytes; its achieved GFLOP/s at a batch size is its FLOPs per image divided by the median time per image of Table 1, and its efficiency is that divided by the compute ceiling. "+
		"A model is memory-bound on a device when its intensity is below the ridge point, the compute ceiling divided by the memory ceiling. "+
		"Figures above a ceiling are shown as measured, not clipped; one above the compute ceiling is listed in Section 8. Caches can also lift a model above the memory ceiling, since the bytes counted assume every read and write reaches memory.",
		c.MatMul.Depth, c.MatMul.N, c.MatMul.N, c.MatMul.Depth, c.MatMul.N,
		c.Conv.Depth, c.Conv.C, c.Conv.C, c.Conv.HW, c.Conv.HW, c.Conv.Depth, c.Conv.C, c.Conv.HW, c.Stream.Depth, c.Stream.Elems, c.Stream.Elems*4>>20,
		c.MinRuns, c.MinSeconds, timing.MaxOtherCPU, analyse.TrafficRule)
}
