package analyse

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"

	"github.com/dnnbench/dnnbench/internal/sweep"
	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/models"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// Status values of Table 1 and Table 2 cells.
const (
	StatusOK      = sweep.OK
	StatusOOM     = sweep.OOM
	StatusError   = sweep.Error
	StatusSkipped = sweep.Skipped
	StatusNotRun  = "not run"
)

// accuracyRank orders accuracy rows: measured before published, centre crop before ten-crop.
func accuracyRank(r accuracy.Row) int {
	rank := 0
	if r.Source != "measured" {
		rank += 2
	}
	if r.Crop != "center" {
		rank++
	}
	return rank
}

// modelTable joins flops, models and accuracy rows into one row per model.
func modelTable(in Inputs) ([]ModelRow, []Warning) {
	var warns []Warning
	byName := map[string]int{}
	for i, m := range in.Models {
		byName[m.Model] = i
	}
	best := map[string]accuracy.Row{}
	failed := map[string]accuracy.Row{}
	for _, a := range in.Accuracy {
		if a.Status == accuracy.StatusError {
			if cur, ok := failed[a.Model]; !ok || accuracyRank(a) < accuracyRank(cur) {
				failed[a.Model] = a
			}
			continue
		}
		cur, ok := best[a.Model]
		if !ok || accuracyRank(a) < accuracyRank(cur) ||
			(accuracyRank(a) == accuracyRank(cur) && a.Source < cur.Source) {
			best[a.Model] = a
		}
	}
	seen := map[string]bool{}
	var rows []ModelRow
	for _, f := range in.Flops {
		if seen[f.Model] {
			warns = append(warns, Warning{Stage: "analyse", Model: f.Model, Code: "duplicate-row", Message: "flops table has more than one row; the first is used"})
			continue
		}
		seen[f.Model] = true
		r := ModelRow{Model: f.Model, Params: f.Params, MACs: f.MACs, FLOPs: f.FLOPs}
		arch := ""
		if i, ok := byName[f.Model]; ok {
			r.Weights, r.Source, r.SHA256 = in.Models[i].Weights, in.Models[i].Source, in.Models[i].SHA256
			arch = in.Models[i].Arch
		}
		r.Family = models.Family(arch, f.Model)
		if a, ok := best[f.Model]; ok {
			r.HasAccuracy = true
			r.Top1, r.Top5, r.Top1CI95 = a.Top1, a.Top5, a.Top1CI95
			r.AccuracySource = a.Source
			r.AccuracySkipped = a.Skipped
			if f.Params > 0 {
				r.Density = a.Top1 / (float64(f.Params) / 1e6)
			}
		} else if a, ok := failed[f.Model]; ok {
			r.AccuracyError = a.Error
			warns = append(warns, Warning{Stage: "analyse", Model: f.Model, Code: "accuracy-failed", Message: "accuracy measurement failed; left out of accuracy figures and tables"})
		} else {
			warns = append(warns, Warning{Stage: "analyse", Model: f.Model, Code: "no-accuracy", Message: "no accuracy (measured or published); left out of accuracy figures and tables"})
		}
		rows = append(rows, r)
	}
	named := map[string]bool{}
	for _, m := range in.Models {
		named[m.Model] = true
	}
	for _, a := range in.Accuracy {
		named[a.Model] = true
	}
	for _, t := range in.Timing {
		named[t.Model] = true
	}
	for _, m := range in.Memory {
		named[m.Model] = true
	}
	for _, m := range sortedKeys(named) {
		if !seen[m] {
			warns = append(warns, Warning{Stage: "analyse", Model: m, Code: "no-flops-row", Message: "no flops row; left out of the analysis (run the flops stage)"})
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Model < rows[j].Model })
	return rows, warns
}

func devicesAndBatches(in Inputs) (devices []string, tb, mb []int64) {
	dev := map[string]bool{}
	tbs := map[int64]bool{}
	mbs := map[int64]bool{}
	for _, t := range in.Timing {
		dev[t.Device] = true
		tbs[t.Batch] = true
	}
	for _, m := range in.Memory {
		dev[m.Device] = true
		mbs[m.Batch] = true
	}
	return sortedKeys(dev), sortedKeys(tbs), sortedKeys(mbs)
}

type cellKey struct {
	device, model string
	batch         int64
}

func timingIndex(rows []timing.Row) map[cellKey]timing.Row {
	idx := make(map[cellKey]timing.Row, len(rows))
	for _, r := range rows {
		idx[cellKey{r.Device, r.Model, r.Batch}] = r
	}
	return idx
}

func memoryIndex(rows []memory.Row) map[cellKey]memory.Row {
	idx := make(map[cellKey]memory.Row, len(rows))
	for _, r := range rows {
		idx[cellKey{r.Device, r.Model, r.Batch}] = r
	}
	return idx
}

// normStatus maps a stage status to a cell status.
func normStatus(s string) string {
	switch s {
	case StatusOK, StatusOOM, StatusError, StatusSkipped:
		return s
	case "":
		return StatusOK
	}
	return StatusError
}

func deviceModelTable(in Inputs, ms []ModelRow, devices []string) []DeviceModelRow {
	ti := timingIndex(in.Timing)
	mi := memoryIndex(in.Memory)
	var rows []DeviceModelRow
	for _, d := range devices {
		for _, m := range ms {
			r := DeviceModelRow{Device: d, Model: m.Model, HasAccuracy: m.HasAccuracy, Top1: m.Top1,
				Params: m.Params, FLOPs: m.FLOPs, TimingStatus: StatusNotRun, TimingStable: true, MemoryStatus: StatusNotRun, JoulesPerImage: math.NaN()}
			if t, ok := ti[cellKey{d, m.Model, 1}]; ok {
				r.TimingStatus = normStatus(t.Status)
				r.TimingStable = true
				r.EnergySource = t.EnergySource
				if r.TimingStatus == StatusOK && t.JoulesPerImage > 0 {
					r.JoulesPerImage = t.JoulesPerImage
				}
				if r.TimingStatus == StatusOK && t.FPS > 0 {
					r.FPS, r.MsPerImage, r.TimingStable = t.FPS, t.MsPerImage, stable(t)
				} else if r.TimingStatus == StatusOK {
					r.TimingStatus = StatusError
				}
			}
			if mm, ok := mi[cellKey{d, m.Model, 1}]; ok {
				r.MemoryStatus = normStatus(mm.Status)
				if r.MemoryStatus == StatusOK && mm.PeakBytes <= 0 {
					r.MemoryStatus = StatusError
				}
				if r.MemoryStatus == StatusOK {
					r.PeakBytes, r.BaselineBytes = mm.PeakBytes, mm.BaselineBytes
				}
				r.Sampler = mm.Sampler
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// table1 builds ms per image vs batch size from the timing rows' medians
// and 95% intervals (computed by the timing stage from the rounds its
// stability rule kept), with each cell's stability verdict.
func table1(in Inputs, ms []ModelRow, devices []string, batches []int64, warns []Warning) ([]BatchCell, []Warning) {
	ti := timingIndex(in.Timing)
	return batchCells(devices, ms, batches, "timing", ti, func(c *BatchCell, t timing.Row) {
		c.Status, c.Reason = normStatus(t.Status), oneLine(t.Error)
		if c.Status != StatusOK {
			return
		}
		c.Value, c.Lo, c.Hi = t.MsPerImage, t.LatencyMsCILow/float64(c.Batch), t.LatencyMsCIHigh/float64(c.Batch)
		if !(c.Lo > 0) || !(c.Hi > 0) {
			c.Lo, c.Hi = c.Value, c.Value
		}
		c.Stable = stable(t)
		if !c.Stable {
			c.Unstable = oneLine(t.UnstableReason)
		}
		if !(c.Value > 0) {
			c.Status, c.Reason = StatusError, "timing row has no latency"
			c.Value, c.Lo, c.Hi, c.Stable, c.Unstable = 0, 0, 0, true, ""
		}
	}), warns
}

// batchCells returns one cell per device × model × batch, in that order:
// fill sets a cell from the stage's row in rows; a cell without one is
// "not run" (no row of stage in the cache).
func batchCells[R any](devices []string, ms []ModelRow, batches []int64, stage string, rows map[cellKey]R, fill func(c *BatchCell, r R)) []BatchCell {
	var cells []BatchCell
	for _, d := range devices {
		for _, m := range ms {
			for _, b := range batches {
				c := BatchCell{Device: d, Model: m.Model, Batch: b, Status: StatusNotRun, Reason: "no " + stage + " row in the cache", Stable: true}
				if r, ok := rows[cellKey{d, m.Model, b}]; ok {
					fill(&c, r)
				}
				cells = append(cells, c)
			}
		}
	}
	return cells
}

// stable reports whether a timing row passed the stability rule. Rows
// without rounds (written by hand or by other tools) are not judged.
func stable(t timing.Row) bool { return t.Rounds == 0 || t.Stable }

func table2(in Inputs, ms []ModelRow, devices []string, batches []int64) []BatchCell {
	mi := memoryIndex(in.Memory)
	return batchCells(devices, ms, batches, "memory", mi, func(c *BatchCell, r memory.Row) {
		c.Status, c.Reason = normStatus(r.Status), oneLine(r.Error)
		if c.Status == StatusOK && r.PeakBytes <= 0 {
			c.Status, c.Reason = StatusError, noPeak
		}
		if c.Status == StatusOK {
			c.Value = float64(r.PeakBytes)
			c.Lo, c.Hi = c.Value, c.Value
		}
	})
}

// noPeak explains a memory row whose peak is not above the baseline.
const noPeak = "peak memory is not above the baseline: the sampler missed the model's allocation"

// oneLine keeps the first line of an error message, at most 160 bytes.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = strings.ToValidUTF8(s[:160], "") + "…"
	}
	return s
}

// collectWarnings gathers the stages' warnings and the analysis' own, sorted.
func collectWarnings(in Inputs, own []Warning) []Warning {
	ws := append([]Warning(nil), own...)
	for _, r := range in.Flops {
		for _, w := range r.Warnings {
			ws = append(ws, Warning{Stage: "flops", Model: r.Model, Code: "row-warning", Message: w})
		}
		if u := strings.TrimSpace(r.UnknownOps); u != "" {
			ws = append(ws, Warning{Stage: "flops", Model: r.Model, Code: "ops-not-counted", Message: "ops not counted: " + u})
		}
	}
	for _, r := range in.Accuracy {
		for _, w := range r.Warnings {
			ws = append(ws, Warning{Stage: "accuracy", Model: r.Model, Code: "row-warning", Message: w})
		}
		if r.Status == accuracy.StatusError {
			ws = append(ws, Warning{Stage: "accuracy", Model: r.Model, Code: "accuracy-failed", Message: r.Crop + " crop failed: " + strings.TrimSpace(r.Error)})
		} else if r.Skipped > 0 {
			ws = append(ws, Warning{Stage: "accuracy", Model: r.Model, Code: "images-skipped", Message: fmt.Sprintf("%d images could not be read and were skipped", r.Skipped)})
		}
	}
	for _, r := range in.Timing {
		for _, w := range r.Warnings {
			ws = append(ws, Warning{Stage: "timing", Model: r.Model, Device: r.Device, Batch: r.Batch, Code: "row-warning", Message: w})
		}
		if normStatus(r.Status) == StatusError {
			ws = append(ws, Warning{Stage: "timing", Model: r.Model, Device: r.Device, Batch: r.Batch, Code: "timing-error", Message: "error: " + oneLine(r.Error)})
		}
	}
	for _, r := range in.Memory {
		if normStatus(r.Status) == StatusOK && r.PeakBytes <= 0 {
			ws = append(ws, Warning{Stage: "analyse", Model: r.Model, Device: r.Device, Batch: r.Batch, Code: "no-peak", Message: noPeak + "; left out of Figure 4, Table 2 and Table 3"})
		}
		for _, w := range r.Warnings {
			ws = append(ws, Warning{Stage: "memory", Model: r.Model, Device: r.Device, Batch: r.Batch, Code: "row-warning", Message: w})
		}
		if normStatus(r.Status) == StatusError {
			ws = append(ws, Warning{Stage: "memory", Model: r.Model, Device: r.Device, Batch: r.Batch, Code: "memory-error", Message: "error: " + oneLine(r.Error)})
		}
	}
	slices.SortStableFunc(ws, func(a, b Warning) int {
		return cmp.Or(strings.Compare(a.Stage, b.Stage), strings.Compare(a.Model, b.Model), strings.Compare(a.Device, b.Device),
			cmp.Compare(a.Batch, b.Batch), strings.Compare(a.Message, b.Message))
	})
	// Drop exact duplicates.
	out := ws[:0]
	for i, w := range ws {
		if i > 0 && w == ws[i-1] {
			continue
		}
		out = append(out, w)
	}
	return out
}

// mode returns the most frequent value, the smallest on ties; zero when empty.
func mode[T ~string | ~int64](vs []T) T {
	count := map[T]int{}
	for _, v := range vs {
		count[v]++
	}
	var best T
	n := 0
	for v, c := range count {
		if c > n || (c == n && v < best) {
			best, n = v, c
		}
	}
	return best
}

func deviceInfo(in Inputs, devices []string) []DeviceRow {
	var rows []DeviceRow
	for _, d := range devices {
		r := DeviceRow{Device: d}
		var prov, samp []string
		var th, wu, runs, rounds []int64
		var loads, waits, spreads []float64
		for _, t := range in.Timing {
			if t.Device == d {
				r.TimingRows++
				if normStatus(t.Status) == StatusOK {
					prov, th, wu, runs = append(prov, t.Provider), append(th, t.Threads), append(wu, t.Warmup), append(runs, t.Runs)
					rounds = append(rounds, t.Rounds)
					if stable(t) {
						r.StableCells++
					} else {
						r.UnstableCells++
					}
					for _, l := range t.RoundOtherCPU {
						if !math.IsNaN(l) {
							loads = append(loads, l)
						}
					}
					for _, w := range t.RoundWait {
						if !math.IsNaN(w) {
							waits = append(waits, w)
						}
					}
					for i := range t.RoundMedianMs {
						if t.LoadedRound(i) {
							r.LoadedRounds++
						}
					}
					if sp, ok := t.ProcessSpread(); ok {
						spreads = append(spreads, sp)
						if sp <= ReproducibleSpread {
							r.CellsReproduced++
						}
					}
					for _, c := range t.RoundCanaryMs {
						if c > 0 {
							r.RoundsWithCanary++
							if t.CanaryRefMs > 0 && c > t.CanaryRefMs*(1+timing.MaxCanarySlowdown) {
								r.SlowRounds++
							}
						}
					}
				}
			}
		}
		r.Rounds = mode(rounds)
		r.RoundsWithLoad, r.RoundsWithWait = len(loads), len(waits)
		r.OtherCPUMedian, r.OtherCPUMax = medianMax(loads)
		r.WaitMedian, r.WaitMax = medianMax(waits)
		r.CellsTwoProcesses = len(spreads)
		r.ProcessSpreadMedian, r.ProcessSpreadP90 = medianMax(spreads)
		if len(spreads) > 0 {
			r.ProcessSpreadP90 = stat.Quantile(0.9, stat.Empirical, spreads, nil)
		}
		var base []float64
		for _, m := range in.Memory {
			if m.Device == d {
				r.MemoryRows++
				samp = append(samp, m.Sampler)
				if normStatus(m.Status) == StatusOK && m.BaselineBytes > 0 {
					base = append(base, float64(m.BaselineBytes))
				}
			}
		}
		if len(base) > 0 {
			sort.Float64s(base)
			r.BaselineBytes = int64(stat.Quantile(0.5, stat.Empirical, base, nil))
		}
		r.Provider, r.Threads, r.Warmup, r.Runs, r.Sampler = mode(prov), mode(th), mode(wu), mode(runs), mode(samp)
		rows = append(rows, r)
	}
	return rows
}

// CodeNotReproduced is the code of the warning that a device's host did not
// reproduce its own timings.
const CodeNotReproduced = "timing-not-reproduced"

// reproWarnings warns about each device whose host did not reproduce its
// own timings: of at least MinReproCells cells timed by two processes, fewer
// than half within ReproducibleSpread.
func reproWarnings(devices []DeviceRow) []Warning {
	var out []Warning
	for _, d := range devices {
		if d.CellsTwoProcesses < MinReproCells || 2*d.CellsReproduced >= d.CellsTwoProcesses {
			continue
		}
		out = append(out, Warning{Stage: "analyse", Device: d.Device, Code: CodeNotReproduced,
			Message: fmt.Sprintf("the host did not reproduce its own timings: the two processes that timed a cell, a pass apart, agreed within %.0f%% in only %d of %d cells (median %.0f%% apart); differences between models smaller than that are not meaningful here, so compare on a quieter machine",
				100*ReproducibleSpread, d.CellsReproduced, d.CellsTwoProcesses, 100*d.ProcessSpreadMedian)})
	}
	return out
}

// medianMax is the median and the largest of xs (reordered); NaN, NaN when
// xs is empty.
func medianMax(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	sort.Float64s(xs)
	n := len(xs)
	med := xs[n/2]
	if n%2 == 0 {
		med = (xs[n/2-1] + xs[n/2]) / 2
	}
	return med, xs[n-1]
}
