package compare

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/stages/timing"
)

// recorded reads testdata/samples.csv (see testdata/README.md): real batch
// latencies in ms, by "series/batch".
func recorded(t *testing.T) map[string][]float64 {
	t.Helper()
	f, err := os.Open("testdata/samples.csv")
	if err != nil {
		t.Fatalf("recorded samples: %v (make them with testdata/record.go)", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float64{}
	for _, r := range recs[1:] {
		x, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			t.Fatal(err)
		}
		out[r[0]+"/"+r[1]] = append(out[r[0]+"/"+r[1]], x)
	}
	for _, k := range []string{"small/1", "small/8", "large/1", "large/8"} {
		if len(out[k]) < 100 {
			t.Fatalf("recorded series %s has %d samples, want ≥ 100", k, len(out[k]))
		}
	}
	return out
}

// halves splits samples into the even- and odd-indexed ones: two samples of
// one distribution, measured interleaved.
func halves(xs []float64) (even, odd []float64) {
	for i, x := range xs {
		if i%2 == 0 {
			even = append(even, x)
		} else {
			odd = append(odd, x)
		}
	}
	return even, odd
}

func scaled(xs []float64, k float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * k
	}
	return out
}

func row(model, device string, batch int64, samples []float64) timing.Row {
	return timing.Row{Model: model, Device: device, Batch: batch, Status: "ok", Stable: true, SamplesMs: samples, ModelSHA256: "sha-" + model}
}

func side(label, device string, rows ...timing.Row) Side {
	return Side{Label: label, Device: device, Rows: rows}
}

func only(t *testing.T, res *Result, model string, batch int64) Cell {
	t.Helper()
	for _, c := range res.Cells {
		if c.Model == model && c.Batch == batch {
			return c
		}
	}
	t.Fatalf("no cell %s batch %d in %+v", model, batch, res.Cells)
	return Cell{}
}

func TestKnownShiftsAreSignificantWithTheRightSign(t *testing.T) {
	rec := recorded(t)
	for _, series := range []string{"small/1", "small/8", "large/1", "large/8"} {
		even, odd := halves(rec[series])
		for _, tc := range []struct {
			shift float64
			sign  string
		}{{1.2, "+"}, {0.7, "-"}, {1.5, "+"}} {
			res, err := Run(context.Background(), Config{}, Inputs{Base: side("a", "cpu", row("m", "cpu", 1, even)), New: side("b", "cpu-4t", row("m", "cpu-4t", 1, scaled(odd, tc.shift)))})
			if err != nil {
				t.Fatal(err)
			}
			c := only(t, res, "m", 1)
			if !c.Significant || c.P > 0.05 || !strings.HasPrefix(c.Delta, tc.sign) {
				t.Errorf("%s ×%v: significant %v p=%v delta %q, want significant with sign %s", series, tc.shift, c.Significant, c.P, c.Delta, tc.sign)
			}
			if !(c.RatioLo <= tc.shift && tc.shift <= c.RatioHi) {
				t.Errorf("%s ×%v: ratio %v interval [%v, %v] misses the true shift", series, tc.shift, c.Ratio, c.RatioLo, c.RatioHi)
			}
			if (tc.shift > 1) != (c.RatioLo > 1) || (tc.shift < 1) != (c.RatioHi < 1) {
				t.Errorf("%s ×%v: interval [%v, %v] should exclude 1 on the side of the shift", series, tc.shift, c.RatioLo, c.RatioHi)
			}
			if math.Abs(c.Ratio-c.New.MedianMs/c.Base.MedianMs) > 1e-12 || !(c.RatioLo <= c.Ratio && c.Ratio <= c.RatioHi) {
				t.Errorf("%s ×%v: ratio %v is not new/base medians %v/%v inside [%v, %v]", series, tc.shift, c.Ratio, c.New.MedianMs, c.Base.MedianMs, c.RatioLo, c.RatioHi)
			}
			if c.Base.N != len(even) || c.New.N != len(odd) {
				t.Errorf("%s: n = %d+%d, want every sample %d+%d", series, c.Base.N, c.New.N, len(even), len(odd))
			}
		}
	}
}

func TestIdenticalDistributionsAreNotSignificant(t *testing.T) {
	rec := recorded(t)
	for _, series := range []string{"small/1", "small/8", "large/1", "large/8"} {
		even, odd := halves(rec[series])
		res, err := Run(context.Background(), Config{}, Inputs{Base: side("a", "cpu", row("m", "cpu", 8, even)), New: side("b", "cpu", row("m", "cpu", 8, odd))})
		if err != nil {
			t.Fatal(err)
		}
		c := only(t, res, "m", 8)
		if c.Significant || c.Delta != "~" || c.P <= 0.05 {
			t.Errorf("%s even vs odd samples: delta %q p=%v, want ~", series, c.Delta, c.P)
		}
		if !(c.RatioLo <= 1 && 1 <= c.RatioHi) {
			t.Errorf("%s: ratio interval [%v, %v] excludes 1 for one distribution", series, c.RatioLo, c.RatioHi)
		}
		if res.Significant != 0 || res.Faster != 0 || res.Slower != 0 {
			t.Errorf("%s: counts %d/%d/%d, want none significant", series, res.Significant, res.Faster, res.Slower)
		}
	}
}

// TestRealDifference compares two different networks' real samples: the
// one with an 8× larger hidden layer must come out slower.
func TestRealDifference(t *testing.T) {
	rec := recorded(t)
	res, err := Run(context.Background(), Config{}, Inputs{Base: side("a", "cpu", row("m", "cpu", 8, rec["small/8"])), New: side("b", "cpu", row("m", "cpu", 8, rec["large/8"]))})
	if err != nil {
		t.Fatal(err)
	}
	c := only(t, res, "m", 8)
	if !c.Significant || c.Ratio <= 1 || c.RatioLo <= 1 || !strings.HasPrefix(c.Delta, "+") || res.Slower != 1 {
		t.Errorf("large vs small: %+v, want significantly slower", c)
	}
}

func TestGeomeanByHand(t *testing.T) {
	rec := recorded(t)
	b1, b8, l1 := rec["small/1"], rec["small/8"], rec["large/1"]
	base := side("a", "cpu", row("x", "cpu", 1, b1), row("y", "cpu", 8, b8), row("z", "cpu", 1, l1))
	// new = base × 1.25, × 0.8 and × 1: ratios 1.25, 0.8 and 1, whose
	// geometric mean is (1.25 · 0.8 · 1)^(1/3) = 1 (their arithmetic mean
	// would be 1.0166…).
	nw := side("b", "gpu", row("x", "gpu", 1, scaled(b1, 1.25)), row("y", "gpu", 8, scaled(b8, 0.8)), row("z", "gpu", 1, slices.Clone(l1)))
	res, err := Run(context.Background(), Config{}, Inputs{Base: base, New: nw})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != 3 {
		t.Fatalf("%d cells, want 3", len(res.Cells))
	}
	for i, want := range []float64{1.25, 0.8, 1} {
		if got := res.Cells[i].Ratio; math.Abs(got-want) > 1e-12 {
			t.Errorf("cell %s ratio %v, want %v", res.Cells[i].Model, got, want)
		}
	}
	if math.Abs(res.GeomeanRatio-1) > 1e-12 {
		t.Errorf("geomean of ratios %v, want 1", res.GeomeanRatio)
	}
	// The medians' geomeans: new = base · (1.25 · 0.8 · 1)^(1/3) = base.
	m := func(xs []float64) float64 {
		s := slices.Sorted(slices.Values(xs))
		return (s[len(s)/2-1] + s[len(s)/2]) / 2 // 120 samples: the mean of the middle two
	}
	wantBase := math.Cbrt(m(b1) * m(b8) * m(l1))
	if math.Abs(res.GeomeanBaseMs-wantBase) > 1e-12*wantBase || math.Abs(res.GeomeanNewMs-wantBase) > 1e-9*wantBase {
		t.Errorf("geomean medians base %v new %v, want both %v", res.GeomeanBaseMs, res.GeomeanNewMs, wantBase)
	}
	if res.Significant != 2 || res.Faster != 1 || res.Slower != 1 || res.Cells[2].Delta != "~" {
		t.Errorf("counts significant %d faster %d slower %d, z delta %q; want 2, 1, 1, ~", res.Significant, res.Faster, res.Slower, res.Cells[2].Delta)
	}
	if g := geomean([]float64{2, 8}); g != 4 {
		t.Errorf("geomean(2, 8) = %v, want 4", g)
	}
	if g := geomean([]float64{2, 0}); !math.IsNaN(g) {
		t.Errorf("geomean with a zero = %v, want NaN", g)
	}
}

func TestUnknownDeviceListsTheDevicesFound(t *testing.T) {
	rec := recorded(t)
	base := side("cpu@/tmp/c", "cpu", row("m", "cpu", 1, rec["small/1"]), row("m", "jetson", 1, rec["small/1"]))
	_, err := Run(context.Background(), Config{}, Inputs{Base: base, New: side("gpu@/tmp/c", "gpu", base.Rows...)})
	if err == nil || !strings.Contains(err.Error(), `new gpu@/tmp/c: no timing rows of device "gpu"`) || !strings.Contains(err.Error(), `"cpu", "jetson"`) {
		t.Fatalf("error %v, want it to name the device and list cpu and jetson", err)
	}
	_, err = Run(context.Background(), Config{}, Inputs{Base: side("x", "cpu"), New: base})
	if err == nil || !strings.Contains(err.Error(), "no timing rows at all") {
		t.Fatalf("empty cache: error %v", err)
	}
}

func TestNoOverlap(t *testing.T) {
	rec := recorded(t)
	_, err := Run(context.Background(), Config{}, Inputs{Base: side("a", "cpu", row("resnet50", "cpu", 1, rec["small/1"])), New: side("b", "gpu", row("vgg16", "gpu", 1, rec["small/1"]), row("resnet50", "gpu", 8, rec["small/8"]))})
	if !errors.Is(err, ErrNoOverlap) || !strings.Contains(err.Error(), "resnet50 (batch 1)") || !strings.Contains(err.Error(), "resnet50 (batch 8); vgg16 (batch 1)") {
		t.Fatalf("error %v, want ErrNoOverlap listing each side's cells", err)
	}
}

func TestNothingComparable(t *testing.T) {
	rec := recorded(t)
	_, err := Run(context.Background(), Config{}, Inputs{Base: side("a", "cpu", row("m", "cpu", 1, rec["small/1"])), New: side("b", "gpu", timing.Row{Model: "m", Device: "gpu", Batch: 1, Status: "error", Error: "provider failed"})})
	if err == nil || errors.Is(err, ErrNoOverlap) || !strings.Contains(err.Error(), "can be compared, e.g. m batch 1: status ok on the base side, error on the new side") {
		t.Fatalf("error %v, want the shared cell that cannot be compared and why", err)
	}
}

func TestSkippedAndDuplicateCells(t *testing.T) {
	rec := recorded(t)
	even, odd := halves(rec["small/1"])
	oom := timing.Row{Model: "big", Device: "gpu", Batch: 64, Status: "oom"}
	older := row("m", "cpu", 1, scaled(even, 3))
	older.SampleUnixNs = []int64{100}
	newer := row("m", "cpu", 1, even)
	newer.SampleUnixNs = []int64{200}
	other := row("m", "gpu", 1, odd)
	other.ModelSHA256 = "sha-other"
	other.Stable, other.UnstableReason = false, "rounds disagree by 40%"
	res, err := Run(context.Background(), Config{}, Inputs{Base: side("a", "cpu", newer, older, row("big", "cpu", 64, even), row("only-base", "cpu", 1, even)), New: side("b", "gpu", other, oom, row("only-new", "gpu", 2, odd))})
	if err != nil {
		t.Fatal(err)
	}
	c := only(t, res, "m", 1)
	if c.Significant || c.Base.N != len(even) {
		t.Errorf("duplicate cell used the older measurement: %+v", c)
	}
	if !slices.ContainsFunc(c.Warnings, func(s string) bool { return strings.Contains(s, "different model files") }) {
		t.Errorf("warnings %q, want different model files", c.Warnings)
	}
	if !slices.Contains(c.Warnings, "the new side's cell failed the timing stage's stability rule (rounds disagree by 40%)") || len(c.Warnings) != 2 {
		t.Errorf("warnings %q, want the new side's instability and no other", c.Warnings)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "m batch 1 2 times") || res.Warnings[0].Code != "duplicate-cells" || res.Warnings[0].Device != "cpu" {
		t.Errorf("result warnings %+v, want the duplicate on device cpu", res.Warnings)
	}
	want := []Skipped{
		{"big", 64, "status ok on the base side, oom on the new side; only ok cells are compared"},
		{"only-base", 1, "not measured on the new side"},
		{"only-new", 2, "not measured on the base side"},
	}
	if !slices.Equal(res.Skipped, want) {
		t.Errorf("skipped %+v, want %+v", res.Skipped, want)
	}
}

func TestFewSamplesWarnAndUnboundedInterval(t *testing.T) {
	res, err := Run(context.Background(), Config{}, Inputs{Base: side("a", "cpu", row("m", "cpu", 1, []float64{1, 1.1, 1.2})), New: side("b", "gpu", row("m", "gpu", 1, []float64{2, 2.1, 2.2}))})
	if err != nil {
		t.Fatal(err)
	}
	c := only(t, res, "m", 1)
	if c.Significant || c.Delta != "~" {
		t.Errorf("3+3 samples: delta %q; the U test cannot reach p ≤ 0.05", c.Delta)
	}
	joined := strings.Join(c.Warnings, "|")
	for _, w := range []string{"need >= 6 samples for confidence interval", "need >= 4 samples to detect a difference", "unbounded"} {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings %q, want %q", c.Warnings, w)
		}
	}
	if !math.IsInf(c.RatioHi, 1) || c.RatioLo != 0 {
		t.Errorf("interval [%v, %v], want [0, +Inf]", c.RatioLo, c.RatioHi)
	}
	var buf bytes.Buffer
	if err := res.EncodeCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int { return slices.Index(Columns, name) }
	if got := recs[1][col("ratio_ci_high")]; got != "" {
		t.Errorf("unbounded ratio_ci_high written as %q, want empty", got)
	}
}

func TestCSV(t *testing.T) {
	rec := recorded(t)
	even, odd := halves(rec["small/1"])
	res, err := Run(context.Background(), Config{}, Inputs{Base: side("cpu", "cpu", row("a", "cpu", 1, even), row("b", "cpu", 1, even)), New: side("cpu@other", "cpu", row("a", "cpu", 1, scaled(odd, 0.7)), row("b", "cpu", 1, odd))})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := res.EncodeCSV(&buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], Columns) || len(recs) != 4 {
		t.Fatalf("header %q and %d records, want Columns, 2 cells and the geomean", recs[0], len(recs))
	}
	get := func(r int, name string) string { return recs[r][slices.Index(Columns, name)] }
	if get(1, "model") != "a" || get(1, "significant") != "true" || !strings.HasPrefix(get(1, "delta"), "-") || get(2, "delta") != "~" {
		t.Errorf("rows %q", recs[1:3])
	}
	if get(1, "base") != "cpu" || get(1, "new") != "cpu@other" || get(1, "base_n") != strconv.Itoa(len(even)) {
		t.Errorf("row 1 %q", recs[1])
	}
	r, _ := strconv.ParseFloat(get(1, "ratio"), 64)
	if r != res.Cells[0].Ratio {
		t.Errorf("ratio %v written as %q", res.Cells[0].Ratio, get(1, "ratio"))
	}
	g, _ := strconv.ParseFloat(get(3, "ratio"), 64)
	if get(3, "model") != GeomeanModel || get(3, "batch") != "" || math.Abs(g-math.Sqrt(res.Cells[0].Ratio*res.Cells[1].Ratio)) > 1e-12 {
		t.Errorf("geomean row %q", recs[3])
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []Config{{Alpha: 1.5}, {Alpha: -1}, {Confidence: 1}, {Confidence: math.NaN()}} {
		if _, err := Run(context.Background(), c, Inputs{Base: Side{}, New: Side{}}); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := Inputs{Base: side("a", "cpu", row("m", "cpu", 1, []float64{1, 2, 3})), New: side("b", "cpu", row("m", "cpu", 1, []float64{1, 2, 3}))}
	// Unset settings take their defaults; set ones are kept.
	for _, c := range []struct{ cfg, want Config }{
		{Config{}, Config{Alpha: DefaultAlpha, Confidence: DefaultConfidence}},
		{Config{Alpha: 0.01, Confidence: 0.9}, Config{Alpha: 0.01, Confidence: 0.9}},
	} {
		res, err := Run(context.Background(), c.cfg, in)
		if err != nil {
			t.Fatal(err)
		}
		if res.Alpha != c.want.Alpha || res.Confidence != c.want.Confidence {
			t.Errorf("config %+v ran with alpha %v, confidence %v; want %+v", c.cfg, res.Alpha, res.Confidence, c.want)
		}
	}
	if _, err := Run(ctx, Config{}, in); err != context.Canceled {
		t.Errorf("cancelled context: err = %v, want context.Canceled", err)
	}
}
