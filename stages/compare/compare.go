// Package compare answers "did it get faster?" for two sets of timing rows,
// as benchstat does for Go benchmarks: for every model × batch measured on
// both sides it compares all stored latency samples with
// golang.org/x/perf/benchmath under no distributional assumption (medians
// with confidence intervals, the Mann–Whitney U test) and summarises the
// ratios of medians by their geometric mean.
package compare

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/dnnbench/dnnbench/internal/diag"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// Defaults of Config.
const (
	// DefaultAlpha is benchstat's significance level.
	DefaultAlpha = 0.05
	// DefaultConfidence is the confidence of every interval.
	DefaultConfidence = 0.95
)

// Side is one side of a comparison: the timing rows of one device.
type Side struct {
	// Label names the side in tables and messages, e.g. "cpu@/data/cache".
	Label string
	// Device is the device whose rows are compared (timing.Row.Device).
	Device string
	// Rows are the timing rows available to this side, of any device: the
	// devices found are listed when Device has none.
	Rows []timing.Row
}

// Config sets the comparison's statistics.
type Config struct {
	// Alpha is the Mann–Whitney significance level; default DefaultAlpha.
	Alpha float64
	// Confidence is the confidence of the medians' and the ratios'
	// intervals, in (0, 1); default DefaultConfidence.
	Confidence float64
}

func (c Config) validate() error {
	if !(c.Alpha > 0 && c.Alpha < 1) {
		return fmt.Errorf("compare: alpha %v must be between 0 and 1", c.Alpha)
	}
	if !(c.Confidence > 0 && c.Confidence < 1) {
		return fmt.Errorf("compare: confidence %v must be between 0 and 1", c.Confidence)
	}
	return nil
}

// Summary is one side's median latency of a cell with its interval.
type Summary struct {
	// N is the number of samples.
	N int
	// MedianMs is the median batch latency in milliseconds; LoMs and HiMs
	// bound it at Result.Confidence (±Inf when there are too few samples).
	MedianMs, LoMs, HiMs float64
}

// Cell is the comparison of one model × batch.
type Cell struct {
	Model string
	Batch int64
	// Base and New summarise each side's samples.
	Base, New Summary
	// Ratio is New.MedianMs / Base.MedianMs: below 1 is faster. RatioLo and
	// RatioHi bound it at Result.Confidence (see Result.RatioMethod).
	Ratio, RatioLo, RatioHi float64
	// P is the Mann–Whitney U test's p-value for "both sides' samples come
	// from one distribution".
	P float64
	// Significant is P ≤ Result.Alpha.
	Significant bool
	// Delta is benchstat's change of the median, e.g. "-16.67%", or "~"
	// when the difference is not significant.
	Delta string
	// Warnings are benchmath's and the matching's, e.g. too few samples or
	// different model files.
	Warnings []string
}

// Skipped is a model × batch that could not be compared.
type Skipped struct {
	Model  string
	Batch  int64
	Reason string
}

// Result is a whole comparison.
type Result struct {
	// Base and New are the sides' labels; BaseDevice and NewDevice their devices.
	Base, New             string
	BaseDevice, NewDevice string
	// Alpha and Confidence are the settings used.
	Alpha, Confidence float64
	// Cells are the compared model × batch cells, by model then batch.
	Cells []Cell
	// Skipped are cells on one side only or not "ok" on both, by model then batch.
	Skipped []Skipped
	// GeomeanBaseMs and GeomeanNewMs are the geometric means of the sides'
	// medians over Cells, in milliseconds; GeomeanRatio that of the ratios
	// (NaN when a value is not positive, with a warning).
	GeomeanBaseMs, GeomeanNewMs, GeomeanRatio float64
	// Significant counts the cells with a significant difference; Faster
	// and Slower split them by the sign of the change.
	Significant, Faster, Slower int
	// Warnings concern the whole comparison; a cell's own are in Cell.Warnings.
	Warnings []diag.Warning
}

// RatioMethod says how a ratio's interval is obtained, in one sentence for
// the report.
func (r *Result) RatioMethod() string {
	return fmt.Sprintf("The interval of a ratio divides the new median's interval by the base median's, each taken at %.2f%% confidence, so that both hold together with probability at least %g%%.",
		100*math.Sqrt(r.Confidence), 100*r.Confidence)
}

// ErrNoOverlap is returned when the sides share no model × batch.
var ErrNoOverlap = errors.New("compare: no model × batch measured on both sides")

// Inputs are the two sides Run compares.
type Inputs struct {
	// Base is the reference side; New is compared against it.
	Base, New Side
}

// Run compares in.New against in.Base. It errors when cfg is invalid, a
// side's device has no timing rows (naming the devices found), the sides
// share no model × batch that can be compared, or ctx is cancelled.
func Run(ctx context.Context, cfg Config, in Inputs) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	base, new := in.Base, in.New
	cfg.Alpha = cmp.Or(cfg.Alpha, DefaultAlpha)
	cfg.Confidence = cmp.Or(cfg.Confidence, DefaultConfidence)
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	res := &Result{Base: base.Label, New: new.Label, BaseDevice: base.Device, NewDevice: new.Device,
		Alpha: cfg.Alpha, Confidence: cfg.Confidence}
	bCells, err := cells("base", base, res)
	if err != nil {
		return nil, err
	}
	nCells, err := cells("new", new, res)
	if err != nil {
		return nil, err
	}
	keys := make([]cellKey, 0, len(bCells)+len(nCells))
	for k := range bCells {
		keys = append(keys, k)
	}
	for k := range nCells {
		if _, ok := bCells[k]; !ok {
			keys = append(keys, k)
		}
	}
	sortKeys(keys)
	thr := benchmath.Thresholds{CompareAlpha: cfg.Alpha}
	// shared is the first cell on both sides that could not be compared.
	var shared *Skipped
	for _, k := range keys {
		b, inBase := bCells[k]
		n, inNew := nCells[k]
		reason := ""
		switch {
		case !inBase:
			reason = "not measured on the base side"
		case !inNew:
			reason = "not measured on the new side"
		case b.Status != "ok" || n.Status != "ok":
			reason = fmt.Sprintf("status %s on the base side, %s on the new side; only ok cells are compared", b.Status, n.Status)
		case len(b.SamplesMs) == 0 || len(n.SamplesMs) == 0:
			reason = fmt.Sprintf("%d base and %d new samples stored; both sides need samples", len(b.SamplesMs), len(n.SamplesMs))
		}
		if reason != "" {
			sk := Skipped{Model: k.model, Batch: k.batch, Reason: reason}
			res.Skipped = append(res.Skipped, sk)
			if inBase && inNew && shared == nil {
				shared = &sk
			}
			continue
		}
		c := compareCell(b, n, &thr, cfg.Confidence)
		c.Model, c.Batch = k.model, k.batch
		if b.ModelSHA256 != "" && n.ModelSHA256 != "" && b.ModelSHA256 != n.ModelSHA256 {
			c.Warnings = append(c.Warnings, fmt.Sprintf("different model files (sha256 %.12s… on the base side, %.12s… on the new side)", b.ModelSHA256, n.ModelSHA256))
		}
		for _, r := range []struct {
			which string
			row   timing.Row
		}{{"base", b}, {"new", n}} {
			if !r.row.Stable {
				c.Warnings = append(c.Warnings, fmt.Sprintf("the %s side's cell failed the timing stage's stability rule (%s)", r.which, r.row.UnstableReason))
			}
		}
		res.Cells = append(res.Cells, c)
	}
	if len(res.Cells) == 0 && shared != nil {
		return nil, fmt.Errorf("compare: no model × batch measured on both sides can be compared, e.g. %s batch %d: %s",
			shared.Model, shared.Batch, shared.Reason)
	}
	if len(res.Cells) == 0 {
		return nil, fmt.Errorf("%w: base %s has %s; new %s has %s",
			ErrNoOverlap, base.Label, describe(bCells), new.Label, describe(nCells))
	}
	res.summarise()
	return res, nil
}

type cellKey struct {
	model string
	batch int64
}

// cells returns a side's rows of its device by model × batch. Several rows
// of one cell (measured with other settings or runtime versions) give the
// most recently measured one and a warning.
func cells(which string, s Side, res *Result) (map[cellKey]timing.Row, error) {
	out := map[cellKey]timing.Row{}
	dups := map[cellKey]int{}
	devices := map[string]bool{}
	for _, r := range s.Rows {
		devices[r.Device] = true
		if r.Device != s.Device {
			continue
		}
		k := cellKey{r.Model, r.Batch}
		if old, ok := out[k]; ok {
			dups[k]++
			if lastStart(r) <= lastStart(old) {
				continue
			}
		}
		out[k] = r
	}
	if len(out) == 0 {
		found := make([]string, 0, len(devices))
		for d := range devices {
			found = append(found, fmt.Sprintf("%q", d))
		}
		slices.Sort(found)
		have := "no timing rows at all"
		if len(found) > 0 {
			have = "timing rows of " + strings.Join(found, ", ")
		}
		return nil, fmt.Errorf("compare: %s %s: no timing rows of device %q in that cache, which has %s; name one of those devices, or run the timing stage with --device %s",
			which, s.Label, s.Device, have, s.Device)
	}
	if len(dups) > 0 {
		keys := make([]cellKey, 0, len(dups))
		for k := range dups {
			keys = append(keys, k)
		}
		sortKeys(keys)
		k := keys[0]
		res.Warnings = append(res.Warnings, diag.Warning{Stage: "compare", Device: s.Device, Code: "duplicate-cells",
			Message: fmt.Sprintf("%s %s: %d cells were measured more than once (other settings or runtime versions), e.g. %s batch %d %d times; each uses its latest measurement",
				which, s.Label, len(keys), k.model, k.batch, dups[k]+1)})
	}
	return out, nil
}

// sortKeys sorts cells by model, then batch.
func sortKeys(keys []cellKey) {
	slices.SortFunc(keys, func(a, b cellKey) int {
		return cmp.Or(strings.Compare(a.model, b.model), cmp.Compare(a.batch, b.batch))
	})
}

// lastStart is when a row's last sample started (Unix ns; 0 when not recorded).
func lastStart(r timing.Row) int64 {
	var t int64
	for _, x := range r.SampleUnixNs {
		t = max(t, x)
	}
	return t
}

// describe lists a side's models and batch sizes for the no-overlap error.
func describe(m map[cellKey]timing.Row) string {
	batches := map[string][]int64{}
	for k := range m {
		batches[k.model] = append(batches[k.model], k.batch)
	}
	names := make([]string, 0, len(batches))
	for name := range batches {
		names = append(names, name)
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, name := range names {
		b := batches[name]
		slices.Sort(b)
		s := make([]string, len(b))
		for i, x := range b {
			s[i] = fmt.Sprint(x)
		}
		parts = append(parts, fmt.Sprintf("%s (batch %s)", name, strings.Join(s, ", ")))
	}
	return strings.Join(parts, "; ")
}

// compareCell compares one cell's samples as benchstat does: each side's
// median and interval under benchmath.AssumeNothing, and the Mann–Whitney
// U test of base against new.
func compareCell(base, new timing.Row, thr *benchmath.Thresholds, confidence float64) Cell {
	bs := benchmath.NewSample(slices.Clone(base.SamplesMs), thr)
	ns := benchmath.NewSample(slices.Clone(new.SamplesMs), thr)
	a := benchmath.AssumeNothing
	bsum, nsum := a.Summary(bs, confidence), a.Summary(ns, confidence)
	cmpr := a.Compare(bs, ns)
	c := Cell{
		Base: Summary{N: len(bs.Values), MedianMs: bsum.Center, LoMs: bsum.Lo, HiMs: bsum.Hi},
		New:  Summary{N: len(ns.Values), MedianMs: nsum.Center, LoMs: nsum.Lo, HiMs: nsum.Hi},
		P:    cmpr.P,
		// FormatDelta answers "~" exactly when P > alpha.
		Significant: !(cmpr.P > cmpr.Alpha),
		Delta:       cmpr.FormatDelta(bsum.Center, nsum.Center),
	}
	c.Ratio = ratio(nsum.Center, bsum.Center)
	// Both sides' intervals at √confidence hold together with probability
	// at least confidence (the samples are independent), and then the
	// ratio lies between the extreme quotients of their bounds.
	wb, wn := a.Summary(bs, math.Sqrt(confidence)), a.Summary(ns, math.Sqrt(confidence))
	c.RatioLo, c.RatioHi = math.Inf(1), math.Inf(1)
	if wb.Hi > 0 && !math.IsInf(wb.Hi, 0) && !math.IsInf(wn.Lo, 0) {
		c.RatioLo = wn.Lo / wb.Hi
	} else {
		c.RatioLo = 0
	}
	if wb.Lo > 0 && !math.IsInf(wb.Lo, 0) && !math.IsInf(wn.Hi, 0) {
		c.RatioHi = wn.Hi / wb.Lo
	}
	for _, ws := range [][]error{bs.Warnings, ns.Warnings, bsum.Warnings, nsum.Warnings, cmpr.Warnings} {
		for _, w := range ws {
			if s := w.Error(); !slices.Contains(c.Warnings, s) {
				c.Warnings = append(c.Warnings, s)
			}
		}
	}
	if math.IsInf(c.RatioHi, 0) || c.RatioLo == 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("the ratio's interval is unbounded: too few samples for medians at %.2f%% confidence", 100*math.Sqrt(confidence)))
	}
	return c
}

// ratio is a/b, with 0/0 as 1 (as benchstat does) and NaN for another
// division by zero.
func ratio(a, b float64) float64 {
	switch {
	case a == b:
		return 1
	case b == 0:
		return math.NaN()
	}
	return a / b
}

// summarise fills the geometric means and counts.
func (r *Result) summarise() {
	var bm, nm, rs []float64
	for _, c := range r.Cells {
		bm = append(bm, c.Base.MedianMs)
		nm = append(nm, c.New.MedianMs)
		rs = append(rs, c.Ratio)
		if c.Significant {
			r.Significant++
			if c.New.MedianMs < c.Base.MedianMs {
				r.Faster++
			} else if c.New.MedianMs > c.Base.MedianMs {
				r.Slower++
			}
		}
	}
	r.GeomeanBaseMs, r.GeomeanNewMs, r.GeomeanRatio = geomean(bm), geomean(nm), geomean(rs)
	if math.IsNaN(r.GeomeanRatio) || math.IsNaN(r.GeomeanBaseMs) || math.IsNaN(r.GeomeanNewMs) {
		r.Warnings = append(r.Warnings, diag.Warning{Stage: "compare", Code: "geomean-undefined",
			Message: "a median or ratio is not positive, so a geometric mean is not defined"})
	}
}

// geomean is the geometric mean of xs: exp of the mean of their logarithms;
// NaN when a value is not positive or there is none.
func geomean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		if !(x > 0) || math.IsInf(x, 0) {
			return math.NaN()
		}
		s += math.Log(x)
	}
	return math.Exp(s / float64(len(xs)))
}
