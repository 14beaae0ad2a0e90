package analyse

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Verdicts of a re-tested finding.
const (
	Supported    = "supported"
	Contradicted = "contradicted"
	Inconclusive = "inconclusive"
	NotTested    = "not tested"
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

func gflops(v int64) float64 { return float64(v) / 1e9 }

func findings(res *Result) []Finding {
	var acc []ModelRow
	for _, m := range res.Models {
		if m.HasAccuracy {
			acc = append(acc, m)
		}
	}
	tests := [7]func() (test, verdict, evidence string){
		func() (string, string, string) { return findingOps(acc, res.Correlations) },
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

func findingOps(acc []ModelRow, corr []CorrelationRow) (string, string, string) {
	test := "count model pairs where the model with more FLOPs has the lower top-1"
	if len(acc) < 3 {
		return test, NotTested, fmt.Sprintf("only %d models have an accuracy; at least 3 are needed", len(acc))
	}
	pairs, disc := 0, 0
	var bi, bj int
	best := 0.0
	for i := range acc {
		for j := range acc {
			if acc[i].FLOPs >= acc[j].FLOPs {
				continue
			}
			pairs++
			if acc[i].Top1 > acc[j].Top1 {
				disc++
				ratio := float64(acc[j].FLOPs) / math.Max(float64(acc[i].FLOPs), 1)
				if ratio > best {
					best, bi, bj = ratio, i, j
				}
			}
		}
	}
	rho := ""
	for _, c := range corr {
		if c.Device == "" && c.With == "flops" && c.Note == "" {
			rho = fmt.Sprintf("; Spearman ρ(top-1, FLOPs) = %.2f over %d models", c.Rho, c.N)
		}
	}
	if pairs == 0 {
		return test, NotTested, "all models have the same FLOPs"
	}
	if disc == 0 {
		return test, Contradicted, fmt.Sprintf("in all %d pairs the model with more FLOPs is the more accurate%s", pairs, rho)
	}
	a, b := acc[bi], acc[bj]
	return test, Supported, fmt.Sprintf("%d of %d pairs (%.0f%%) have more FLOPs but lower top-1; e.g. %s (%.2f GFLOPs, %.1f%%) beats %s (%.2f GFLOPs, %.1f%%) with %.1f× fewer FLOPs%s",
		disc, pairs, 100*float64(disc)/float64(pairs), a.Model, gflops(a.FLOPs), a.Top1, b.Model, gflops(b.FLOPs), b.Top1, best, rho)
}

func findingLinear(acc []ModelRow) (string, string, string) {
	test := "R² of a straight line of top-1 on GFLOPs and on parameters (supported below 0.5, contradicted at 0.8 or more)"
	var a, f, p []float64
	for _, m := range acc {
		a = append(a, m.Top1)
		f = append(f, float64(m.FLOPs))
		p = append(p, float64(m.Params))
	}
	rf, rp := pearsonR2(f, a), pearsonR2(p, a)
	if math.IsNaN(rf) || math.IsNaN(rp) {
		return test, NotTested, fmt.Sprintf("a line needs at least 3 models with varied accuracy and complexity (have %d)", len(acc))
	}
	ev := fmt.Sprintf("R²(top-1, FLOPs) = %.2f, R²(top-1, params) = %.2f over %d models", rf, rp, len(acc))
	switch {
	case rf < 0.5 && rp < 0.5:
		return test, Supported, ev
	case rf >= 0.8 || rp >= 0.8:
		return test, Contradicted, ev
	}
	return test, Inconclusive, ev
}

func findingDensity(acc []ModelRow) (string, string, string) {
	test := "spread of accuracy density (top-1 per million parameters); supported when the best is at least twice the worst"
	var ms []ModelRow
	for _, m := range acc {
		if m.Params > 0 {
			ms = append(ms, m)
		}
	}
	if len(ms) < 2 {
		return test, NotTested, "fewer than 2 models have an accuracy and parameters"
	}
	sort.SliceStable(ms, func(i, j int) bool {
		if ms[i].Density != ms[j].Density {
			return ms[i].Density > ms[j].Density
		}
		return ms[i].Model < ms[j].Model
	})
	hi, lo := ms[0], ms[len(ms)-1]
	ratio := hi.Density / lo.Density
	ev := fmt.Sprintf("density ranges from %.2f %%/M (%s) to %.2f %%/M (%s), a factor of %.1f", hi.Density, hi.Model, lo.Density, lo.Model, ratio)
	if ratio >= 2 {
		return test, Supported, ev
	}
	return test, Contradicted, ev
}

func findingThroughput(res *Result) (string, string, string) {
	test := "per device, the best top-1 reachable at each speed floor; supported when it falls as the floor rises, i.e. the most accurate model is not the fastest"
	var parts []string
	held, tested := 0, 0
	for _, d := range res.Devices {
		var rs []DeviceModelRow
		for _, r := range res.DeviceModels {
			if r.Device == d && r.HasAccuracy && r.TimingStatus == StatusOK {
				rs = append(rs, r)
			}
		}
		if len(rs) < 2 {
			parts = append(parts, fmt.Sprintf("%s: fewer than 2 timed models with an accuracy", d))
			continue
		}
		tested++
		best, fastest := rs[0], rs[0]
		for _, r := range rs[1:] {
			if r.Top1 > best.Top1 || (r.Top1 == best.Top1 && r.FPS > best.FPS) {
				best = r
			}
			if r.FPS > fastest.FPS || (r.FPS == fastest.FPS && r.Top1 > fastest.Top1) {
				fastest = r
			}
		}
		if fastest.Top1 < best.Top1 {
			held++
		}
		var env []string
		for _, f := range res.Config.FPS {
			top, name := -1.0, ""
			for _, r := range rs {
				if r.FPS >= f && r.Top1 > top {
					top, name = r.Top1, r.Model
				}
			}
			if name == "" {
				env = append(env, fmt.Sprintf("≥ %.0f FPS: none", f))
			} else {
				env = append(env, fmt.Sprintf("≥ %.0f FPS: %.1f%% (%s)", f, top, name))
			}
		}
		parts = append(parts, fmt.Sprintf("%s: most accurate %s (%.1f%%) at %.1f FPS, fastest %s (%.1f%%) at %.1f FPS; %s",
			d, best.Model, best.Top1, best.FPS, fastest.Model, fastest.Top1, fastest.FPS, strings.Join(env, ", ")))
	}
	ev := strings.Join(parts, ". ")
	switch {
	case tested == 0:
		if ev == "" {
			ev = "no timing results"
		}
		return test, NotTested, ev
	case held == tested:
		return test, Supported, ev
	case held == 0:
		return test, Contradicted, ev
	}
	return test, Inconclusive, ev
}

func findingMemoryFit(res *Result) (string, string, string) {
	test := "per device, R² of the Figure 4 line of batch-1 total memory on parameters (supported at 0.9 or more, contradicted below 0.5)"
	var parts []string
	sup, con, tested := 0, 0, 0
	for _, f := range res.MemoryFits {
		if f.Note != "" {
			parts = append(parts, fmt.Sprintf("%s: %s", f.Device, f.Note))
			continue
		}
		tested++
		parts = append(parts, fmt.Sprintf("%s: R² = %.2f over %d models, %.2f bytes per parameter + %.0f MB", f.Device, f.R2, f.N, f.Slope, f.Intercept/1e6))
		switch {
		case f.R2 >= 0.9:
			sup++
		case f.R2 < 0.5:
			con++
		}
	}
	ev := strings.Join(parts, "; ")
	switch {
	case tested == 0:
		if ev == "" {
			ev = "no memory results"
		}
		return test, NotTested, ev
	case sup == tested:
		return test, Supported, ev
	case con == tested:
		return test, Contradicted, ev
	}
	return test, Inconclusive, ev
}

func findingRealTime(res *Result) (string, string, string) {
	test := fmt.Sprintf("share of models reaching %.0f FPS at batch 1 per device; supported when the fastest device has at least 80%% and the slowest under 50%%", RealTimeFPS)
	type share struct {
		device   string
		ok, n    int
		fraction float64
	}
	var shares []share
	for _, d := range res.Devices {
		s := share{device: d}
		for _, r := range res.DeviceModels {
			if r.Device != d || r.TimingStatus == StatusNotRun || r.TimingStatus == StatusSkipped {
				continue
			}
			s.n++
			if r.TimingStatus == StatusOK && r.FPS >= RealTimeFPS {
				s.ok++
			}
		}
		if s.n > 0 {
			s.fraction = float64(s.ok) / float64(s.n)
			shares = append(shares, s)
		}
	}
	if len(shares) == 0 {
		return test, NotTested, "no timing results at batch 1"
	}
	var parts []string
	for _, s := range shares {
		parts = append(parts, fmt.Sprintf("%s: %d of %d models (%.0f%%)", s.device, s.ok, s.n, 100*s.fraction))
	}
	ev := strings.Join(parts, "; ")
	sort.SliceStable(shares, func(i, j int) bool { return shares[i].fraction > shares[j].fraction })
	hi, lo := shares[0], shares[len(shares)-1]
	if len(shares) < 2 {
		return test, Inconclusive, ev + "; only one device, so the high-end/embedded contrast cannot be tested"
	}
	switch {
	case hi.fraction >= 0.8 && lo.fraction < 0.5:
		return test, Supported, ev
	case hi.fraction < 0.5 || lo.fraction >= 0.8:
		return test, Contradicted, ev
	}
	return test, Inconclusive, ev
}

func findingFloor(res *Result) (string, string, string) {
	test := "per device, the smallest batch-1 total memory of any model; supported when it is at least 0.5 GB on every device"
	var parts []string
	sup, tested := 0, 0
	for _, d := range res.Devices {
		var min *DeviceModelRow
		for i, r := range res.DeviceModels {
			if r.Device == d && r.MemoryStatus == StatusOK && (min == nil || r.PeakBytes < min.PeakBytes) {
				min = &res.DeviceModels[i]
			}
		}
		if min == nil {
			parts = append(parts, fmt.Sprintf("%s: no batch-1 memory results", d))
			continue
		}
		tested++
		if min.PeakBytes >= 5e8 {
			sup++
		}
		parts = append(parts, fmt.Sprintf("%s: smallest %.3f GB (%s, %.1f M params, %.0f MB of FP32 weights)", d, float64(min.PeakBytes)/1e9, min.Model, float64(min.Params)/1e6, 4*float64(min.Params)/1e6))
	}
	ev := strings.Join(parts, "; ")
	if tested > 0 {
		ev += ". The paper's floor came from the CUDA context and PyTorch's cached memory, so it is device- and framework-specific"
	}
	switch {
	case tested == 0:
		if ev == "" {
			ev = "no memory results"
		}
		return test, NotTested, ev
	case sup == tested:
		return test, Supported, ev
	case sup == 0:
		return test, Contradicted, ev
	}
	return test, Inconclusive, ev
}
