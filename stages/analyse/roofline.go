package analyse

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dnnbench/dnnbench/stages/ceilings"
	"github.com/dnnbench/dnnbench/stages/flops"
)

// RooflineRow places one model on one device at one batch size on the
// device's roofline: analysis/roofline.csv.
type RooflineRow struct {
	Model  string `parquet:"model"`
	Device string `parquet:"device"`
	Batch  int64  `parquet:"batch"`
	// FLOPs is the work of one batch: batch × the model's FLOPs per image.
	FLOPs int64 `parquet:"flops"`
	// Bytes is the memory traffic of one batch: the weight bytes, read once,
	// plus batch × the activation bytes read and written per image.
	Bytes int64 `parquet:"bytes"`
	// Intensity is FLOPs ÷ Bytes, in FLOP per byte.
	Intensity float64 `parquet:"intensity_flop_per_byte"`
	// AchievedGFLOPS is FLOPs ÷ the batch's median latency (ms per image ×
	// batch), in 10⁹ FLOP/s.
	AchievedGFLOPS float64 `parquet:"achieved_gflops"`
	// PeakGFLOPS is the device's compute ceiling (analysis/ceilings.csv).
	PeakGFLOPS float64 `parquet:"peak_gflops"`
	// Efficiency is AchievedGFLOPS ÷ PeakGFLOPS, a fraction (not clipped:
	// above 1 the analysis warns).
	Efficiency float64 `parquet:"efficiency"`
}

// Traffic is what a model's memory traffic is computed from.
type Traffic struct {
	// WeightBytes are the bytes of the model's weights, read once per batch.
	WeightBytes int64
	// IOBytesPerImage are the activation bytes read and written by all
	// nodes for one image.
	IOBytesPerImage int64
}

// Bytes is the traffic of a batch of n images.
func (t Traffic) Bytes(n int64) int64 { return t.WeightBytes + n*t.IOBytesPerImage }

// TrafficRule says how TrafficOf counts a model's bytes; the report prints it.
const TrafficRule = "its weight bytes (the flops stage's weight_bytes: every constant tensor a node reads, counted once), read once per batch, " +
	"plus the batch size times its activation bytes per image (io_bytes_per_image: the bytes each node reads from and writes to activation tensors, " +
	"leaving out folded shape arithmetic and ops whose output shares its input's buffer)"

// TrafficOf reads a model's traffic from its flops row.
func TrafficOf(f flops.Row) Traffic {
	return Traffic{WeightBytes: f.WeightBytes, IOBytesPerImage: f.IOBytesPerImage}
}

// Ridge is a device's ridge point, peak ÷ bandwidth in FLOP per byte: a
// model whose intensity is below it is memory-bound there. ok is false when
// the bandwidth is unknown.
func Ridge(c ceilings.Row) (ridge float64, ok bool) {
	if !(c.BandwidthGBs > 0) || !(c.PeakGFLOPS > 0) {
		return 0, false
	}
	return c.PeakGFLOPS / c.BandwidthGBs, true
}

// MemoryBound reports whether a row is memory-bound under the device's
// ceilings: its intensity is below the ridge point. ok is false when the
// device has no ridge point.
func MemoryBound(r RooflineRow, c ceilings.Row) (bound, ok bool) {
	ridge, ok := Ridge(c)
	if !ok {
		return false, false
	}
	return r.Intensity < ridge, true
}

// roofline builds one row per "ok" timing row whose model has a flops row
// with FLOPs and traffic and whose device has ceilings, sorted by device,
// model and batch. It warns about a device without ceilings, a model
// without bytes and any row whose achieved GFLOP/s exceeds its device's
// peak.
func roofline(in Inputs, warns []Warning) ([]RooflineRow, []Warning) {
	fl := map[string]flops.Row{}
	for _, f := range in.Flops {
		fl[f.Model] = f
	}
	ceil := map[string]ceilings.Row{}
	for _, c := range in.Ceilings {
		ceil[c.Device] = c
	}
	var out []RooflineRow
	noCeiling, noBytes := map[string]bool{}, map[string]bool{}
	for _, t := range in.Timing {
		f, ok := fl[t.Model]
		if t.Status != StatusOK || !ok || f.FLOPs <= 0 || !(t.MsPerImage > 0) {
			continue
		}
		c, ok := ceil[t.Device]
		if !ok || !(c.PeakGFLOPS > 0) {
			noCeiling[t.Device] = true
			continue
		}
		tr := TrafficOf(f)
		if tr.Bytes(t.Batch) <= 0 {
			noBytes[t.Model] = true
			continue
		}
		r := RooflineRow{Model: t.Model, Device: t.Device, Batch: t.Batch, FLOPs: t.Batch * f.FLOPs, Bytes: tr.Bytes(t.Batch), PeakGFLOPS: c.PeakGFLOPS}
		r.Intensity = float64(r.FLOPs) / float64(r.Bytes)
		r.AchievedGFLOPS = float64(f.FLOPs) / (t.MsPerImage / 1e3) / 1e9
		r.Efficiency = r.AchievedGFLOPS / r.PeakGFLOPS
		if r.AchievedGFLOPS > r.PeakGFLOPS {
			warns = append(warns, Warning{Stage: "roofline", Model: t.Model, Device: t.Device, Batch: t.Batch, Code: "above-ceiling",
				Message: fmt.Sprintf("achieved %.1f GFLOP/s is above the device's %s compute ceiling of %.1f GFLOP/s; the FLOP count or the ceiling is off (shown unclipped)", r.AchievedGFLOPS, c.Method, r.PeakGFLOPS)})
		}
		out = append(out, r)
	}
	for _, d := range sortedKeys(noCeiling) {
		warns = append(warns, Warning{Stage: "roofline", Device: d, Code: "no-ceilings",
			Message: "no ceilings for this device (analysis/ceilings.csv): run its timing stage to measure them; its models are left out of the roofline"})
	}
	for _, m := range sortedKeys(noBytes) {
		warns = append(warns, Warning{Stage: "roofline", Model: m, Code: "no-bytes-moved",
			Message: "the flops stage counted no bytes moved (weight_bytes, io_bytes_per_image); the model is left out of the roofline"})
	}
	slices.SortFunc(out, func(a, b RooflineRow) int {
		return cmp.Or(strings.Compare(a.Device, b.Device), strings.Compare(a.Model, b.Model), cmp.Compare(a.Batch, b.Batch))
	})
	return out, warns
}

// BestBatch returns, per device and model, the roofline row of the batch
// size with the highest achieved GFLOP/s (the smallest batch on a tie), in
// the order of rows (which Result keeps sorted).
func BestBatch(rows []RooflineRow) []RooflineRow {
	var out []RooflineRow
	for _, r := range rows {
		n := len(out)
		if n > 0 && out[n-1].Device == r.Device && out[n-1].Model == r.Model {
			if r.AchievedGFLOPS > out[n-1].AchievedGFLOPS {
				out[n-1] = r
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// Observation is the verdict of a finding that goes beyond the paper: it
// states what the data shows rather than testing a claim.
const Observation = "observation"

// findingRoofline names, per device with a ridge point, the models that
// are memory-bound at batch 1 and at their best batch.
func findingRoofline(res *Result) Finding {
	f := Finding{ID: len(paperClaims) + 1,
		Claim:    "Beyond the paper: which models are memory-bound, and on which device.",
		Citation: "roofline model, Williams, Waterman and Patterson, Communications of the ACM 52(4), 2009",
		Test: "a model is memory-bound on a device when its arithmetic intensity (FLOPs ÷ bytes of weights and activations moved) is below the device's ridge point, " +
			"the measured peak GFLOP/s divided by the measured bandwidth in GB/s (analysis/ceilings.csv); tested at batch 1 and at the model's best batch (highest achieved GFLOP/s)",
		Verdict: Observation}
	ceil := map[string]ceilings.Row{}
	for _, c := range res.Ceilings {
		ceil[c.Device] = c
	}
	best := BestBatch(res.Roofline)
	var parts []string
	for _, d := range res.Devices {
		c, ok := ceil[d]
		if !ok {
			continue
		}
		ridge, ok := Ridge(c)
		if !ok {
			parts = append(parts, fmt.Sprintf("%s: no measured bandwidth (ceilings %s), so no ridge point", d, c.Method))
			continue
		}
		var b1, bb []string
		n := 0
		for _, r := range res.Roofline {
			if r.Device == d && r.Batch == 1 {
				n++
				if bound, _ := MemoryBound(r, c); bound {
					b1 = append(b1, r.Model)
				}
			}
		}
		nb := 0
		for _, r := range best {
			if r.Device == d {
				nb++
				if bound, _ := MemoryBound(r, c); bound {
					bb = append(bb, fmt.Sprintf("%s (batch %d)", r.Model, r.Batch))
				}
			}
		}
		parts = append(parts, fmt.Sprintf("%s (ridge %.1f FLOP/byte = %.1f GFLOP/s ÷ %.1f GB/s): memory-bound at batch 1: %d of %d models (%s); at the best batch: %d of %d (%s)",
			d, ridge, c.PeakGFLOPS, c.BandwidthGBs, len(b1), n, listOrNone(b1), len(bb), nb, listOrNone(bb)))
	}
	f.Evidence = evidence(parts, "no device has both ceilings and timing results")
	return f
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// ceilingRows are the ceilings of the devices the analysis found, sorted.
func ceilingRows(in Inputs) []ceilings.Row {
	out := append([]ceilings.Row(nil), in.Ceilings...)
	sort.Slice(out, func(i, j int) bool { return out[i].Device < out[j].Device })
	return out
}
