package report_test

import (
	"context"
	"github.com/dnnbench/dnnbench/internal/pdftext"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/diag"
	"github.com/dnnbench/dnnbench/internal/golden"
	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/report"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/analyse/analysetest"
	"github.com/dnnbench/dnnbench/stages/compare"
)

// comparison is a fixed comparison: a faster, a slower, an unchanged and an
// unbounded cell (with a hostile name), a skipped cell and warnings.
func comparison() *compare.Result {
	s := func(n int, m, lo, hi float64) compare.Summary {
		return compare.Summary{N: n, MedianMs: m, LoMs: lo, HiMs: hi}
	}
	return &compare.Result{Base: "cpu", New: "cpu@/tmp/<new>", BaseDevice: "cpu", NewDevice: "cpu", Alpha: 0.05, Confidence: 0.95,
		Cells: []compare.Cell{
			{Model: "mobilenet_v2", Batch: 1, Base: s(60, 12.5, 12.2, 12.9), New: s(60, 8.75, 8.6, 8.9), Ratio: 0.7, RatioLo: 0.67, RatioHi: 0.73, P: 1e-9, Significant: true, Delta: "-30.00%"},
			{Model: "resnet50", Batch: 8, Base: s(30, 250, 245, 256), New: s(31, 300, 290, 310), Ratio: 1.2, RatioLo: 1.13, RatioHi: 1.27, P: 0.0004, Significant: true, Delta: "+20.00%"},
			{Model: "squeezenet", Batch: 1, Base: s(60, 0.5, 0.49, 0.51), New: s(60, 0.505, 0.49, 0.52), Ratio: 1.01, RatioLo: 0.96, RatioHi: 1.06, P: 0.41, Delta: "~"},
			{Model: "edge<cnn>&v2", Batch: 2, Base: s(3, 5, math.Inf(-1), math.Inf(1)), New: s(3, 4.5, math.Inf(-1), math.Inf(1)), Ratio: 0.9, RatioLo: 0, RatioHi: math.Inf(1), P: 1, Delta: "~",
				Warnings: []string{"need >= 6 samples for confidence interval at level 0.95"}},
		},
		Skipped:       []compare.Skipped{{Model: "vgg16", Batch: 64, Reason: "status ok on the base side, oom on the new side; only ok cells are compared"}},
		GeomeanBaseMs: 7.0, GeomeanNewMs: 6.58, GeomeanRatio: 0.94, Significant: 2, Faster: 1, Slower: 1,
		Warnings: []diag.Warning{{Stage: "compare", Device: "cpu", Code: "duplicate-cells", Message: "base cpu: 1 cells were measured more than once"}}}
}

func TestCompareMarkdownGolden(t *testing.T) {
	md := report.CompareMarkdown(comparison(), "Ratio of medians.", "compare.svg")
	golden.Check(t, "testdata/compare.md", md, *update)
	s := string(md)
	for _, want := range []string{
		"| mobilenet\\_v2 | 1 | 12.5 ± 3% | 8.75 ± 2% | 0.700 [0.670, 0.730] | \\-30.00% | p=0.000 n=60 |",
		"| squeezenet | 1 | 0.5 ± 2% | 0.505 ± 3% | 1.010 [0.960, 1.060] | \\~ | p=0.410 n=60 |",
		"| resnet50 | 8 | 250 ± 2% | 300 ± 3% | 1.200 [1.130, 1.270] | \\+20.00% | p=0.000 n=30+31 |",
		"0.900 [0.000, ∞]", "5.00 ± ∞",
		"| **geomean** |  | 7.00 | 6.58 | 0.940 | -6.00% |  |",
		"faster in 1, slower in 1, and not significantly different (\\~) in 2",
		"Not compared: vgg16 batch 64: status ok on the base side, oom",
		"edge\\<cnn\\>\\&v2 batch 2: need \\>= 6 samples",
		"at 97.47% confidence",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("compare.md lacks %q", want)
		}
	}
}

func TestReportCompareSection(t *testing.T) {
	res, err := analyse.Run(context.Background(), analyse.Config{}, analysetest.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	figs, err := plots.Render(res, plots.Options{Epoch: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	cmp := comparison()
	fig, err := plots.Compare(cmp, plots.Options{Epoch: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.New(report.Options{Compare: cmp}, setup(), res, append(figs, fig))
	if err != nil {
		t.Fatal(err)
	}
	out := write(t, rep)
	md := string(out.Markdown)
	sec := strings.Index(md, "### Did it get faster? cpu@/tmp/\\<new\\> vs. cpu")
	t1, s5 := strings.Index(md, "### Table 1."), strings.Index(md, "## 5. Memory")
	if sec < 0 || !(t1 < sec && sec < s5) {
		t.Fatalf("comparison section at %d, want it between Table 1 (%d) and Section 5 (%d)", sec, t1, s5)
	}
	if !strings.Contains(md[sec:s5], "![Figure 7. Ratio of median batch latency") || !strings.Contains(md[sec:s5], "(figures/compare.svg)") {
		t.Errorf("section lacks Figure 7: %s", md[sec:s5])
	}
	h := string(out.HTML)
	if strings.Contains(h, "<new>") || !strings.Contains(h, "cpu@/tmp/&lt;new&gt;") || strings.Count(h, "<svg ") != 9 {
		t.Errorf("HTML: comparison names unescaped, or not 9 inline figures, Figures 5 and 6 included (%d)", strings.Count(h, "<svg "))
	}
	text := strings.ReplaceAll(pdftext.Text(out.PDF), "\n", " ")
	for _, want := range []string{"Did it get faster?", "geomean", "mobilenet_v2"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	// The unbounded interval prints as ∞: the PDF's embedded font has it.
	if !strings.Contains(text, "0.900 [0.000, ∞]") {
		t.Errorf("PDF text lacks the unbounded interval: %s", text)
	}
}
