package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/dnnbench/dnnbench/stages/compare"
)

// CompareMarkdown renders a comparison as a Markdown document of its own
// (compare.md): a heading, the figure linked at figLink ("" for none), a
// benchstat-style table, the cells not compared, warnings and the method.
func CompareMarkdown(res *compare.Result, figTitle, figLink string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Did it get faster? %s vs. %s\n\n", esc(res.New), esc(res.Base))
	if figLink != "" {
		fmt.Fprintf(&b, "![%s](%s)\n\n*%s*\n\n", esc(figTitle), figLink, esc(figTitle))
	}
	b.WriteString(compareBody(res))
	return []byte(b.String())
}

// compareSection is the report's subsection for opt.Compare, with its
// figure (number "7") when drawn.
func compareSection(res *compare.Result, figs map[string]figureView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Did it get faster? %s vs. %s\n\n", esc(res.New), esc(res.Base))
	if _, ok := figs["7"]; ok {
		b.WriteString(figLink(figs, "7"))
		b.WriteByte('\n')
	}
	b.WriteString(compareBody(res))
	return b.String()
}

// compareBody is the headline, the table, the notes and the method.
func compareBody(res *compare.Result) string {
	var b strings.Builder
	n := len(res.Cells)
	same := n - res.Significant
	fmt.Fprintf(&b, "Base: %s; new: %s. Of %d model × batch cells measured on both, the new side is significantly faster in %d, slower in %d, and not significantly different (\\~) in %d",
		esc(res.Base), esc(res.New), n, res.Faster, res.Slower, same)
	if g := res.GeomeanRatio; !math.IsNaN(g) {
		fmt.Fprintf(&b, "; the geometric mean of the ratios of medians, new / base, is %s (%s)", f3(g), pct(g))
	}
	b.WriteString(".\n\n")

	t := table{
		Header: []string{"Model", "Batch", "Base median (ms)", "New median (ms)", "New / base (" + strconv.FormatFloat(100*res.Confidence, 'g', -1, 64) + "% interval)", "vs base", "p-value, n"},
		Align:  []string{"l", "r", "r", "r", "r", "r", "l"},
	}
	for _, c := range res.Cells {
		cmp := benchmath.Comparison{P: c.P, N1: c.Base.N, N2: c.New.N}
		t.Rows = append(t.Rows, []string{esc(c.Model), strconv.FormatInt(c.Batch, 10),
			withRange(c.Base), withRange(c.New),
			f3(c.Ratio) + " [" + f3(c.RatioLo) + ", " + f3(c.RatioHi) + "]",
			esc(c.Delta), esc(cmp.String())})
	}
	t.Rows = append(t.Rows, []string{"**geomean**", "", ms(res.GeomeanBaseMs), ms(res.GeomeanNewMs), f3(res.GeomeanRatio), pct(res.GeomeanRatio), ""})
	b.WriteString(t.String())
	b.WriteString("\nA median is followed by the half-width of its interval as a percentage, as benchstat prints it (∞ when there are too few samples for one). vs base is the change of the median when the Mann–Whitney test finds one (p ≤ " +
		strconv.FormatFloat(res.Alpha, 'g', -1, 64) + "), else \\~.\n\n")

	var notes []string
	for _, c := range res.Cells {
		for _, w := range c.Warnings {
			notes = append(notes, fmt.Sprintf("%s batch %d: %s.", esc(c.Model), c.Batch, esc(w)))
		}
	}
	for _, w := range res.Warnings {
		notes = append(notes, esc(w.Message)+".")
	}
	for _, s := range res.Skipped {
		notes = append(notes, fmt.Sprintf("Not compared: %s batch %d: %s.", esc(s.Model), s.Batch, esc(s.Reason)))
	}
	for _, n := range notes {
		b.WriteString("- " + n + "\n")
	}
	if len(notes) > 0 {
		b.WriteByte('\n')
	}
	b.WriteString("*Method.* Every stored latency sample of each model × batch on each side is used: every timed run of every round and attempt of the timing stage, including rounds its stability rule set aside. " +
		"Medians and their intervals are golang.org/x/perf/benchmath's under no distributional assumption (AssumeNothing: order statistics), and the p-value is its Mann–Whitney U test of base against new, as benchstat computes them. " +
		esc(res.RatioMethod()) + " " +
		"The geometric means are over every compared cell, significant or not. " +
		"A cell measured more than once on one side (other settings or runtime versions in one cache) uses its latest measurement; cells match by model name and batch size.\n")
	return b.String()
}

// withRange is a median in ms with benchstat's ± percentage.
func withRange(s compare.Summary) string {
	return ms(s.MedianMs) + " ± " + benchmath.Summary{Center: s.MedianMs, Lo: s.LoMs, Hi: s.HiMs}.PctRangeString()
}

// ms formats milliseconds with about four significant digits.
func ms(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return "–"
	case x >= 100:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case x >= 10:
		return strconv.FormatFloat(x, 'f', 1, 64)
	case x >= 1:
		return strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// f3 formats a ratio with three decimals; ∞ when unbounded.
func f3(x float64) string {
	switch {
	case math.IsInf(x, 1):
		return "∞"
	case math.IsNaN(x):
		return "–"
	}
	return strconv.FormatFloat(x, 'f', 3, 64)
}

// pct is a ratio's change as a signed percentage.
func pct(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	return fmt.Sprintf("%+.2f%%", 100*(r-1))
}
