package analyse

import (
	"fmt"
	"math"
	"strings"
)

// Finding is one of the paper's findings with the verdict of this data.
type Finding struct {
	ID    int    `parquet:"id"`
	Claim string `parquet:"claim"`
	// Citation locates the claim in the paper.
	Citation string `parquet:"citation"`
	// Test says how the claim is tested here.
	Test     string `parquet:"test"`
	Verdict  string `parquet:"verdict"`
	Evidence string `parquet:"evidence"`
}

// PaperCitation is the paper whose findings are re-tested.
const PaperCitation = "Bianco, Cadene, Celona, Napoletano, \"Benchmark Analysis of Representative Deep Neural Network Architectures\", IEEE Access 6:64270–64277, 2018, doi:10.1109/ACCESS.2018.2877890"

// paperClaims are the seven findings listed in the paper's conclusion
// (Sec. V), paraphrased; the figure or table each cites is kept.
var paperClaims = [7]struct{ claim, where string }{
	{"Recognition accuracy does not increase as the number of operations increases: some models with relatively few operations reach very high accuracy.", "Sec. V, Figs. 1a–b"},
	{"There is no linear relationship between model complexity and accuracy.", "Sec. V, Figs. 1a–b"},
	{"Not all models use their parameters with the same efficiency.", "Sec. V, Figs. 2a–b"},
	{"The desired throughput places an upper bound on the achievable accuracy.", "Sec. V, Figs. 3a–b"},
	{"Model complexity can be used to reliably estimate the total memory use.", "Sec. V, Fig. 4"},
	{"Almost all models reach real-time performance on a high-end GPU, while only a few do on an embedded system.", "Sec. V, Tables 1a–b"},
	{"Even models of very low complexity need a minimum of about 0.6 GB of GPU memory.", "Sec. V, Table 2"},
}

// RealTimeFPS is the speed counted as real time in finding 6, in images per second.
const RealTimeFPS = 30.0

// Samplers of the memory stage, which also tell the kind of device: a
// desktop or server NVIDIA GPU (nvml), a Jetson (tegrastats) or the host (proc).
const (
	samplerNVML       = "nvml"
	samplerTegrastats = "tegrastats"
)

// paperFloorBytes is the threshold of finding 7: the paper's floor of about
// 0.6 GB, less a margin for a smaller context on newer drivers.
const paperFloorBytes = 5e8

func gflops(v int64) float64 { return float64(v) / 1e9 }

func findings(res *Result) []Finding {
	var acc []ModelRow
	for _, m := range res.Models {
		if m.HasAccuracy {
			acc = append(acc, m)
		}
	}
	tests := [7]func() (test, verdict, evidence string){
		func() (string, string, string) { return findingOps(acc) },
		func() (string, string, string) { return findingLinear(acc) },
		func() (string, string, string) { return findingDensity(acc) },
		func() (string, string, string) { return findingThroughput(res) },
		func() (string, string, string) { return findingMemoryFit(res) },
		func() (string, string, string) { return findingRealTime(res) },
		func() (string, string, string) { return findingFloor(res) },
	}
	out := make([]Finding, 0, len(tests))
	for i, t := range tests {
		test, verdict, ev := t()
		switch i + 1 {
		case 4:
			ev += unstableNote(res, true)
		case 6:
			ev += unstableNote(res, false)
		}
		out = append(out, Finding{ID: i + 1, Claim: paperClaims[i].claim,
			Citation: "Bianco et al. 2018, " + paperClaims[i].where, Test: test, Verdict: verdict, Evidence: ev})
	}
	return out
}

// unstableNote names the batch-1 timing cells that failed the stability
// rule among those a speed finding uses (those with an accuracy, or all).
func unstableNote(res *Result, withAccuracy bool) string {
	var names []string
	for _, r := range res.DeviceModels {
		if r.TimingStatus == StatusOK && !r.TimingStable && (r.HasAccuracy || !withAccuracy) {
			names = append(names, r.Model+" on "+r.Device)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(" (the speeds of %d model(s) come from batch-1 timing cells that failed the stability rule, marked † in Table 1: %s)", len(names), strings.Join(names, ", "))
}

// tooFew says why a bootstrap gave no estimate for n models of what.
func tooFew(n int, what string) string {
	if n < minModels {
		return fmt.Sprintf("%d models %s; at least %d are needed", n, what, minModels)
	}
	return fmt.Sprintf("%d models %s, but the statistic is undefined: the values do not vary (in most resamples)", n, what)
}

// findingOps tests finding 1 by the rank correlation of accuracy with operations.
func findingOps(acc []ModelRow) (string, string, string) {
	r := rule{threshold: 0.5, below: true}
	test := fmt.Sprintf("Spearman ρ of top-1 with FLOPs; the claim holds when ρ < %.1f, i.e. more operations at most moderately go with more accuracy", r.threshold)
	var top1, fl []float64
	for _, m := range acc {
		top1, fl = append(top1, m.Top1), append(fl, float64(m.FLOPs))
	}
	e, ok := bootstrap(len(acc), func(idx []int) float64 { return spearman(pick(fl, idx), pick(top1, idx)) })
	if !ok {
		return test, NotEnoughData, tooFew(len(acc), "have an accuracy")
	}
	ev := "ρ = " + e.String()
	// The pair that shows the claim's second half best: the largest FLOPs
	// ratio at which the cheaper model is the more accurate.
	pairs, disc, best := 0, 0, 0.0
	var bi, bj int
	for i := range acc {
		for j := range acc {
			if acc[i].FLOPs >= acc[j].FLOPs {
				continue
			}
			pairs++
			if acc[i].Top1 > acc[j].Top1 {
				disc++
				if ratio := float64(acc[j].FLOPs) / math.Max(float64(acc[i].FLOPs), 1); ratio > best {
					best, bi, bj = ratio, i, j
				}
			}
		}
	}
	ev += fmt.Sprintf("; in %d of %d pairs the model with more FLOPs has the lower top-1", disc, pairs)
	if disc > 0 {
		a, b := acc[bi], acc[bj]
		ev += fmt.Sprintf(", e.g. %s (%.2f GFLOPs, %.1f%%) beats %s (%.2f GFLOPs, %.1f%%) with %.1f× fewer FLOPs",
			a.Model, gflops(a.FLOPs), a.Top1, b.Model, gflops(b.FLOPs), b.Top1, best)
	}
	return test, r.verdict(e), ev
}

// findingLinear tests finding 2 by how much of the accuracy a straight line explains.
func findingLinear(acc []ModelRow) (string, string, string) {
	r := rule{threshold: 0.5, below: true}
	test := fmt.Sprintf("the larger R² of straight lines of top-1 on FLOPs and on parameters; the claim holds when R² < %.1f, i.e. no line explains half the spread of accuracy", r.threshold)
	var a, f, p []float64
	for _, m := range acc {
		a, f, p = append(a, m.Top1), append(f, float64(m.FLOPs)), append(p, float64(m.Params))
	}
	stat := func(idx []int) float64 {
		y := pick(a, idx)
		return math.Max(pearsonR2(pick(f, idx), y), pearsonR2(pick(p, idx), y))
	}
	e, ok := bootstrap(len(acc), stat)
	if !ok {
		return test, NotEnoughData, tooFew(len(acc), "have an accuracy")
	}
	ev := fmt.Sprintf("R² = %s; R²(top-1, FLOPs) = %.2f, R²(top-1, params) = %.2f", e, pearsonR2(f, a), pearsonR2(p, a))
	return test, r.verdict(e), ev
}

// findingDensity tests finding 3: with one efficiency, accuracy would rise
// with parameters and no model would be beaten by a smaller one.
func findingDensity(acc []ModelRow) (string, string, string) {
	r := rule{threshold: 0.1}
	test := fmt.Sprintf("share of models that a model with fewer parameters beats in top-1 by more than the measurement uncertainty (1 point, or the sum of both 95%% half-widths if larger); the claim holds when the share is at least %.1f", r.threshold)
	var ms []ModelRow
	for _, m := range acc {
		if m.Params > 0 {
			ms = append(ms, m)
		}
	}
	beats := func(a, b ModelRow) bool {
		return a.Params < b.Params && a.Top1 > b.Top1+math.Max(1, a.Top1CI95+b.Top1CI95)
	}
	stat := func(idx []int) float64 {
		n := 0
		for _, i := range idx {
			for _, j := range idx {
				if beats(ms[j], ms[i]) {
					n++
					break
				}
			}
		}
		return float64(n) / float64(len(idx))
	}
	e, ok := bootstrap(len(ms), stat)
	if !ok {
		return test, NotEnoughData, tooFew(len(ms), "have an accuracy and parameters")
	}
	var beaten []string
	for _, b := range ms {
		for _, a := range ms {
			if beats(a, b) {
				beaten = append(beaten, fmt.Sprintf("%s by %s", b.Model, a.Model))
				break
			}
		}
	}
	hi, lo := ms[0], ms[0]
	for _, m := range ms {
		if m.Density > hi.Density {
			hi = m
		}
		if m.Density < lo.Density {
			lo = m
		}
	}
	ev := "share = " + e.String()
	if len(beaten) > 0 {
		ev += "; beaten: " + strings.Join(beaten, ", ")
	}
	ev += fmt.Sprintf("; accuracy density ranges from %.2f %%/M (%s) to %.2f %%/M (%s)", hi.Density, hi.Model, lo.Density, lo.Model)
	return test, r.verdict(e), ev
}

// deviceRows returns the device-model rows of device d that keep is true for.
func deviceRows(res *Result, d string, keep func(DeviceModelRow) bool) []DeviceModelRow {
	var rs []DeviceModelRow
	for _, r := range res.DeviceModels {
		if r.Device == d && keep(r) {
			rs = append(rs, r)
		}
	}
	return rs
}

// findingThroughput tests finding 4: a speed floor bounds accuracy when the
// faster models are the less accurate ones.
func findingThroughput(res *Result) (string, string, string) {
	r := rule{threshold: 0, below: true}
	test := "per device, Spearman ρ of top-1 with images/s at batch 1; the claim holds when ρ < 0, i.e. faster models are less accurate"
	var parts, vs []string
	for _, d := range res.Devices {
		rs := deviceRows(res, d, func(r DeviceModelRow) bool { return r.HasAccuracy && r.TimingStatus == StatusOK })
		var top1, fps []float64
		for _, r := range rs {
			top1, fps = append(top1, r.Top1), append(fps, r.FPS)
		}
		e, ok := bootstrap(len(rs), func(idx []int) float64 { return spearman(pick(fps, idx), pick(top1, idx)) })
		if !ok {
			parts = append(parts, fmt.Sprintf("%s: not enough data: %s", d, tooFew(len(rs), "were timed at batch 1 and have an accuracy")))
			continue
		}
		v := r.verdict(e)
		vs = append(vs, v)
		var env []string
		for _, f := range res.Config.FPS {
			top, name := -1.0, ""
			for _, r := range rs {
				if r.FPS >= f && r.Top1 > top {
					top, name = r.Top1, r.Model
				}
			}
			if name == "" {
				env = append(env, fmt.Sprintf("≥ %.0f images/s: none", f))
			} else {
				env = append(env, fmt.Sprintf("≥ %.0f images/s: %.1f%% (%s)", f, top, name))
			}
		}
		parts = append(parts, fmt.Sprintf("%s: ρ = %s, %s; best top-1 %s", d, e, v, strings.Join(env, ", ")))
	}
	return test, combine(vs), evidence(parts, "no timing results")
}

func evidence(parts []string, none string) string {
	if len(parts) == 0 {
		return none
	}
	return strings.Join(parts, "; ")
}

// findingMemoryFit tests finding 5 by the R² of the Figure 4 line.
func findingMemoryFit(res *Result) (string, string, string) {
	r := rule{threshold: 0.9}
	test := fmt.Sprintf("per device, R² of the Figure 4 line of batch-1 total memory on parameters; the claim holds when R² ≥ %.1f", r.threshold)
	var parts, vs []string
	for _, d := range res.Devices {
		rs := deviceRows(res, d, func(r DeviceModelRow) bool { return r.MemoryStatus == StatusOK })
		var x, y []float64
		for _, r := range rs {
			x, y = append(x, float64(r.Params)), append(y, float64(r.PeakBytes))
		}
		e, ok := bootstrap(len(rs), func(idx []int) float64 { return pearsonR2(pick(x, idx), pick(y, idx)) })
		if !ok {
			if len(rs) > 0 {
				parts = append(parts, fmt.Sprintf("%s: not enough data: %s", d, tooFew(len(rs), "have a batch-1 memory measurement")))
			}
			continue
		}
		v := r.verdict(e)
		vs = append(vs, v)
		fit := linearFit(d, x, y)
		parts = append(parts, fmt.Sprintf("%s: R² = %s, %s; %.2f bytes per parameter + %.0f MB", d, e, v, fit.Slope, fit.Intercept/1e6))
	}
	return test, combine(vs), evidence(parts, "no memory results")
}

// findingRealTime tests finding 6 on the shares of models reaching real time
// on NVIDIA GPUs (nvml sampler) and on Jetsons (tegrastats sampler).
func findingRealTime(res *Result) (string, string, string) {
	high, low := rule{threshold: 0.8}, rule{threshold: 0.5, below: true}
	test := fmt.Sprintf("share of models reaching %.0f images/s at batch 1, with its Wilson interval; the claim holds when the share is at least %.1f on every high-end GPU (memory sampler nvml) and below %.1f on every embedded board (sampler tegrastats)",
		RealTimeFPS, high.threshold, low.threshold)
	var parts, hv, lv []string
	for _, d := range res.DeviceInfo {
		rs := deviceRows(res, d.Device, func(r DeviceModelRow) bool {
			return r.TimingStatus != StatusNotRun && r.TimingStatus != StatusSkipped
		})
		if len(rs) == 0 {
			continue
		}
		ok := 0
		for _, r := range rs {
			if r.TimingStatus == StatusOK && r.FPS >= RealTimeFPS {
				ok++
			}
		}
		e := wilson(ok, len(rs))
		part := fmt.Sprintf("%s: %d of %d models, share %s", d.Device, ok, len(rs), e)
		switch d.Sampler {
		case samplerNVML:
			v := high.verdict(e)
			hv = append(hv, v)
			part += ", high-end GPU: " + v
		case samplerTegrastats:
			v := low.verdict(e)
			lv = append(lv, v)
			part += ", embedded board: " + v
		default:
			part += ", neither a GPU nor a board (memory sampler " + orNone(d.Sampler) + "), not used"
		}
		parts = append(parts, part)
	}
	ev := evidence(parts, "no timing results at batch 1")
	switch {
	case len(hv) == 0 && len(lv) == 0:
		return test, NotEnoughData, ev + "; the test needs a high-end GPU and an embedded board"
	case len(hv) == 0:
		return test, NotEnoughData, ev + "; no high-end GPU to contrast with"
	case len(lv) == 0:
		return test, NotEnoughData, ev + "; no embedded board to contrast with"
	}
	return test, combine(append(hv, lv...)), ev
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// findingFloor tests finding 7 on the paper's definition of GPU memory: all
// the process holds on the GPU, CUDA context included. Only the nvml sampler
// measures that (its baseline is the context); the other samplers measure
// other quantities, so their devices are not comparable.
func findingFloor(res *Result) (string, string, string) {
	r := rule{threshold: paperFloorBytes}
	test := fmt.Sprintf("per NVIDIA GPU (memory sampler nvml), the smallest batch-1 GPU memory of any model counted as the paper did: the CUDA context (the baseline) plus the model's total above it; the claim holds when it is at least %.1f GB. One reading per model, so no interval", r.threshold/1e9)
	var parts, vs []string
	for _, d := range res.Devices {
		rs := deviceRows(res, d, func(r DeviceModelRow) bool { return r.MemoryStatus == StatusOK })
		if len(rs) == 0 {
			continue
		}
		sampler := rs[0].Sampler
		if sampler != samplerNVML {
			why := "it measures the process's resident host memory, not GPU memory"
			if sampler == samplerTegrastats {
				why = "it measures the board's shared RAM system-wide, where the CUDA context cannot be told apart from other processes"
			} else if sampler != "proc" {
				why = "its memory sampler (" + orNone(sampler) + ") does not measure per-process GPU memory"
			}
			parts = append(parts, fmt.Sprintf("%s: not comparable: %s", d, why))
			continue
		}
		min := rs[0]
		for _, r := range rs[1:] {
			if r.BaselineBytes+r.PeakBytes < min.BaselineBytes+min.PeakBytes {
				min = r
			}
		}
		total := float64(min.BaselineBytes + min.PeakBytes)
		v := r.verdict(estimate{value: total, lo: total, hi: total})
		vs = append(vs, v)
		parts = append(parts, fmt.Sprintf("%s: smallest %.3f GB (%s, %.1f M params: CUDA context %.3f GB + model %.3f GB), %s",
			d, total/1e9, min.Model, float64(min.Params)/1e6, float64(min.BaselineBytes)/1e9, float64(min.PeakBytes)/1e9, v))
	}
	ev := evidence(parts, "no memory results")
	if len(vs) == 0 {
		if len(parts) == 0 {
			return test, NotEnoughData, ev
		}
		return test, NotComparable, ev
	}
	return test, combine(vs), ev + ". The paper's floor also held PyTorch's cached memory, so it is framework-specific"
}
