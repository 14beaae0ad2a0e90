package report

import (
	"bytes"
	"fmt"
	"github.com/dnnbench/dnnbench/internal/diag"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// esc escapes text for Markdown: the characters that can start markup
// (\ ` * _ [ ] < > | # ! & ~) are backslash-escaped, as is a leading list
// marker, so untrusted names can neither format nor inject HTML; line
// breaks become spaces.
func esc(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
		case strings.ContainsRune("\\`*_[]<>|#!&~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case i == 0 && (r == '-' || r == '+' || r == '=' || r == ':'):
			b.WriteByte('\\')
			b.WriteRune(r)
		case (r == '.' || r == ')') && i > 0 && strings.TrimLeft(s[:i], "0123456789") == "" &&
			(i+1 == len(s) || s[i+1] == ' '):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// table is a Markdown table: header and rows of already escaped cells.
type table struct {
	Header []string
	Align  []string // "l" or "r" per column
	Rows   [][]string
}

func (t table) String() string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(t.Header, " | ") + " |\n|")
	for i := range t.Header {
		if i < len(t.Align) && t.Align[i] == "r" {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteByte('\n')
	for _, r := range t.Rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

type deviceTable struct {
	Device string
	// Caption, when set, follows the device's name.
	Caption string
	Table   table
	Notes   []string
}

type figureView struct {
	Number, Title, Link, Missing string
}

type findingView struct {
	ID                             int
	Claim, Citation, Verdict, Test string
	Evidence                       string
}

// view is everything the template prints, already escaped.
type view struct {
	Title      string
	Abstract   []string
	Setup      table
	Figures    map[string]figureView
	Table1     []deviceTable
	Table2     []deviceTable
	Table3     []deviceTable
	Fronts     []string
	Fits       []string
	Corr       []string
	Findings   []findingView
	Warnings   table
	NWarnings  int
	Accuracies table
	// Checks sets measured top-1 beside published; empty when no model has both.
	Checks     table
	CheckNotes []string
	Models     table
	Method     []string
	Appendix   []string
	// VerdictRule says how a finding's verdict follows from its statistic.
	VerdictRule string
	// Compare is the comparison subsection of Section 4, or "".
	Compare string
	// RooflineText introduces Figure 5 and the ceilings.
	RooflineText string
}

// section is one part of the report: a name and the text/template that
// prints it from the view. The report is its sections in order, so a new
// section is a new entry in sections (and the fields it prints, in view).
type section struct {
	Name     string
	Template string
}

// deviceTables prints a []deviceTable: per device its name in bold, the
// caption if any, the table and its notes. Sections call it by name.
const deviceTables = `{{define "deviceTables"}}{{range .}}**{{.Device}}**{{if .Caption}} {{.Caption}}{{end}}

{{.Table}}{{range .Notes}}
- {{.}}{{end}}
{{if .Notes}}
{{end}}{{end}}{{end}}`

// sections lists the report's sections in the order they print.
func sections() []section {
	return []section{
		{"abstract", `# {{.Title}}

## Abstract

{{range .Abstract}}{{.}}
{{end}}
`},
		{"setup", `## 1. Experimental setup

{{.Setup}}
`},
		{"complexity", `## 2. Accuracy and computational complexity

{{fig .Figures "1a"}}
{{fig .Figures "1b"}}
Figures 1a and 1b place each model's accuracy against the operations of one forward pass at batch 1; the area of each ball is proportional to the model's parameters.

### Pareto fronts

{{range .Fronts}}- {{.}}
{{end}}
### Rank correlations

{{range .Corr}}- {{.}}
{{end}}
`},
		{"accuracy-check", `{{if .Checks.Rows}}### Measured and published accuracy

{{range .CheckNotes}}{{.}}
{{end}}
{{.Checks}}
{{end}}`},
		{"density", `## 3. Accuracy density

{{fig .Figures "2a"}}
{{fig .Figures "2b"}}
Accuracy density is top-1 accuracy divided by millions of parameters: how much accuracy each parameter buys.

`},
		{"time", `## 4. Inference time

{{fig .Figures "3"}}
### Table 1. Milliseconds per image vs. batch size

Each cell is the median batch latency divided by the batch size. A dagger (†) marks a cell that failed the stability rule (Section 9), followed by the half-width of its 95% interval of the median; the note under the table says why. OOM: out of memory; error and skipped: see the note under the table; – : not run. The last two columns give the model's highest achieved GFLOP/s over the batch sizes (FLOPs per image divided by the time per image) and that figure as a percentage of the device's compute ceiling (Section 9); – where the device has no ceilings.

{{template "deviceTables" .Table1}}
`},
		{"compare", `{{if .Compare}}{{.Compare}}
{{end}}`},
		{"roofline", `### Roofline

{{fig .Figures "5"}}
{{.RooflineText}}

`},
		{"energy", `### Energy per image

{{fig .Figures "6"}}
Figure 6 places each model's accuracy against the energy one image took at batch 1, on the devices with a readable energy sensor (Section 9).

`},
		{"memory", `## 5. Memory

{{fig .Figures "4"}}
{{range .Fits}}- {{.}}
{{end}}
### Table 2. Total memory (MB) vs. batch size

Total memory: the peak during inference above the baseline read before the session existed, in MB (10⁶ bytes). What the baseline holds depends on the memory sampler, given under each device; Section 9 defines each.

{{template "deviceTables" .Table2}}
`},
		{"constraints", `## 6. Models under memory and speed constraints

### Table 3. Most accurate models within a memory limit and above a speed floor

Batch 1; models ranked by top-1 accuracy (in parentheses, %).

{{template "deviceTables" .Table3}}
`},
		{"findings", `## 7. The paper's findings, re-tested

{{.VerdictRule}}

{{range .Findings}}{{.ID}}. **{{.Claim}}** ({{.Citation}}) Verdict: **{{.Verdict}}**. {{.Evidence}}. *Test:* {{.Test}}.
{{end}}
`},
		{"warnings", `## 8. Warnings

{{if .NWarnings}}{{.Warnings}}{{else}}No stage reported a warning.
{{end}}
`},
		{"method", `## 9. Methodology

{{range .Method}}{{.}}

{{end}}### Accuracy sources

{{.Accuracies}}
`},
		{"appendix", `## Appendix: reproducibility

{{range .Appendix}}- {{.}}
{{end}}
### Models

{{.Models}}`},
	}
}

func figLink(figs map[string]figureView, number string) string {
	f, ok := figs[number]
	if !ok {
		return fmt.Sprintf("*Figure %s was not drawn.*\n", number)
	}
	if f.Missing != "" {
		return fmt.Sprintf("*Figure %s. %s Not drawn: %s.*\n", number, f.Title, f.Missing)
	}
	return fmt.Sprintf("![Figure %s. %s](%s)\n\n*Figure %s. %s*\n", number, f.Title, f.Link, number, f.Title)
}

// markdown renders the report's Markdown source.
func markdown(opt Options, setup Setup, res *analyse.Result, figs []plots.Figure) ([]byte, error) {
	v := buildView(opt, setup, res, figs)
	t, err := template.New("report").Funcs(template.FuncMap{"fig": figLink}).Parse(deviceTables)
	if err != nil {
		return nil, fmt.Errorf("report: device tables: %w", err)
	}
	secs := sections()
	for _, s := range secs {
		if _, err := t.New(s.Name).Parse(s.Template); err != nil {
			return nil, fmt.Errorf("report: section %s: %w", s.Name, err)
		}
	}
	var buf bytes.Buffer
	for _, s := range secs {
		if err := t.ExecuteTemplate(&buf, s.Name, v); err != nil {
			return nil, fmt.Errorf("report: section %s: %w", s.Name, err)
		}
	}
	return buf.Bytes(), nil
}

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func f2(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func mparams(n int64) string { return f2(float64(n) / 1e6) }
func gflops(n int64) string  { return f2(float64(n) / 1e9) }

func buildView(opt Options, setup Setup, res *analyse.Result, figs []plots.Figure) view {
	v := view{Title: esc(opt.Title), Figures: map[string]figureView{}}
	for _, f := range figs {
		v.Figures[f.Number] = figureView{Number: f.Number, Title: esc(f.Title), Missing: esc(f.Missing),
			Link: path.Join(opt.FigureDir, f.Name+".svg")}
	}
	v.Abstract = abstract(setup, res)
	v.Setup = setupTable(setup, res)
	v.Fronts = frontLines(res)
	v.Corr = corrLines(res)
	v.Table1 = batchTables(res, res.Table1, res.TimingBatches, func(x float64) string { return f2(x) })
	for i := range v.Table1 {
		v.Table1[i].Notes = append(v.Table1[i].Notes, loadNotes(res, res.Devices[i])...)
	}
	for i := range v.Table1 {
		addRooflineColumns(&v.Table1[i], res, res.Devices[i])
	}
	v.RooflineText = rooflineText(res)
	v.Table2 = batchTables(res, res.Table2, res.MemoryBatches, func(x float64) string { return strconv.FormatFloat(x/1e6, 'f', 0, 64) })
	for i := range v.Table2 {
		for _, d := range res.DeviceInfo {
			if esc(d.Device) == v.Table2[i].Device {
				v.Table2[i].Caption = baselineCaption(d)
			}
		}
	}
	v.Table3 = constraintTables(res)
	for _, f := range res.MemoryFits {
		if f.Note != "" {
			v.Fits = append(v.Fits, fmt.Sprintf("%s: no fit: %s.", esc(f.Device), esc(f.Note)))
			continue
		}
		v.Fits = append(v.Fits, fmt.Sprintf("%s: total memory at batch 1 = %s bytes per parameter × parameters + %s MB; R² = %s over %d models.",
			esc(f.Device), f2(f.Slope), strconv.FormatFloat(f.Intercept/1e6, 'f', 0, 64), f2(f.R2), f.N))
	}
	for _, f := range res.Findings {
		v.Findings = append(v.Findings, findingView{ID: f.ID, Claim: esc(f.Claim), Citation: esc(f.Citation),
			Verdict: esc(f.Verdict), Test: esc(f.Test), Evidence: esc(f.Evidence)})
	}
	v.NWarnings = len(res.Warnings) + len(setup.Warnings)
	v.Warnings = table{Header: []string{"Stage", "Model", "Device", "Batch", "Warning"}, Align: []string{"l", "l", "l", "r", "l"}}
	for _, w := range append(append([]diag.Warning(nil), setup.Warnings...), res.Warnings...) {
		if w.Stage == "" {
			w.Stage = "pipeline"
		}
		b := ""
		if w.Batch > 0 {
			b = strconv.FormatInt(w.Batch, 10)
		}
		v.Warnings.Rows = append(v.Warnings.Rows, []string{esc(w.Stage), esc(w.Model), esc(w.Device), b, esc(w.Message)})
	}
	v.Method = methodology(res)
	v.VerdictRule = "Verdicts: " + esc(analyse.VerdictRule) + "."
	v.Accuracies = accuracyTable(res)
	v.Checks, v.CheckNotes = accuracyCheckTable(res)
	v.Appendix = appendix(setup, res)
	v.Models = modelTable(res)
	if opt.Compare != nil {
		v.Compare = compareSection(opt.Compare, v.Figures)
	}
	return v
}

func abstract(setup Setup, res *analyse.Result) []string {
	var withAcc, measured int
	var best *analyse.ModelRow
	for i, m := range res.Models {
		if !m.HasAccuracy {
			continue
		}
		withAcc++
		if m.AccuracySource == "measured" {
			measured++
		}
		if best == nil || m.Top1 > best.Top1 {
			best = &res.Models[i]
		}
	}
	devs := make([]string, len(res.Devices))
	for i, d := range res.Devices {
		devs[i] = esc(d)
	}
	devText := "no device"
	if len(devs) > 0 {
		devText = strings.Join(devs, ", ")
	}
	p := []string{fmt.Sprintf("This report repeats the benchmark analysis of Bianco et al. (IEEE Access, 2018) on %d models and %d device(s) (%s). %d models have an accuracy: %d measured here and %d published (sources in Section 9).",
		len(res.Models), len(res.Devices), devText, withAcc, measured, withAcc-measured)}
	if best != nil {
		p = append(p, fmt.Sprintf("The most accurate model is %s (top-1 %s%%, %s GFLOPs, %s M parameters).", esc(best.Model), f2(best.Top1), gflops(best.FLOPs), mparams(best.Params)))
	}
	for _, d := range res.Devices {
		var fastest, bestRT *analyse.DeviceModelRow
		for i, r := range res.DeviceModels {
			if r.Device != d || r.TimingStatus != analyse.StatusOK {
				continue
			}
			if fastest == nil || r.FPS > fastest.FPS {
				fastest = &res.DeviceModels[i]
			}
			if r.HasAccuracy && r.FPS >= analyse.RealTimeFPS && (bestRT == nil || r.Top1 > bestRT.Top1) {
				bestRT = &res.DeviceModels[i]
			}
		}
		if fastest == nil {
			continue
		}
		s := fmt.Sprintf("On %s the fastest model at batch 1 is %s (%s images/s)", esc(d), esc(fastest.Model), f1(fastest.FPS))
		if bestRT != nil {
			s += fmt.Sprintf("; the most accurate model reaching %.0f images/s is %s (top-1 %s%%).", analyse.RealTimeFPS, esc(bestRT.Model), f2(bestRT.Top1))
		} else {
			s += fmt.Sprintf("; no model with an accuracy reaches %.0f images/s.", analyse.RealTimeFPS)
		}
		p = append(p, s)
	}
	stable, unstable := 0, 0
	for _, d := range res.DeviceInfo {
		stable, unstable = stable+d.StableCells, unstable+d.UnstableCells
	}
	if unstable > 0 {
		p = append(p, fmt.Sprintf("%d of %d timing cells failed the stability rule (Section 9); they are marked † in Table 1, and at batch 1 also in Table 3 and hollow in Figure 3.", unstable, stable+unstable))
	}
	for _, w := range res.Warnings {
		if w.Code == analyse.CodeNotReproduced {
			p = append(p, fmt.Sprintf("The host did not reproduce its own timings on %s (see the note under Table 1): read speed differences between models smaller than %s%% there as noise.",
				esc(w.Device), f1(100*spreadOf(res, w.Device))))
		}
	}
	count := map[string]int{}
	for _, f := range res.Findings {
		count[f.Verdict]++
	}
	p = append(p, fmt.Sprintf("Of the paper's seven findings, on this data %d are supported, %d partly supported, %d contradicted, %d untestable for lack of data and %d not comparable with the paper's measurement (Section 7).",
		count[analyse.Supported], count[analyse.PartlySupported], count[analyse.Contradicted], count[analyse.NotEnoughData], count[analyse.NotComparable]))
	return []string{strings.Join(p, " ")}
}

func orNotSet(s string) string {
	if strings.TrimSpace(s) == "" {
		return "not set"
	}
	return esc(s)
}

func setupTable(s Setup, res *analyse.Result) table {
	t := table{Header: []string{"Item", "Value"}}
	// Zero values stay "" and read "not set", as empty strings do.
	var date, mem, cores string
	if !s.Date.IsZero() {
		date = s.Date.UTC().Format("2006-01-02 15:04 UTC")
	}
	if s.HostMemoryBytes > 0 {
		mem = f1(float64(s.HostMemoryBytes)/(1<<30)) + " GiB"
	}
	if s.HostCores > 0 {
		cores = strconv.Itoa(s.HostCores)
	}
	for _, item := range [][2]string{
		{"dnnbench", s.ToolVersion},
		{"Commit", s.Commit},
		{"Go", s.GoVersion},
		{"ONNX Runtime", s.ORTVersion},
		{"Host CPU", s.HostCPU},
		{"Logical CPUs", cores},
		{"Memory", mem},
		{"OS", s.OS},
		{"Kernel", s.Kernel},
		{"Distribution", s.Distro},
		{"Configuration", s.ConfigName},
		{"Configuration sha256", s.ConfigHash},
		{"Date", date},
	} {
		t.Rows = append(t.Rows, []string{item[0], orNotSet(item[1])})
	}
	for _, c := range s.Conditions {
		name, val, ok := strings.Cut(c, ":")
		if !ok {
			name, val = "Condition", c
		}
		t.Rows = append(t.Rows, []string{esc(strings.TrimSpace(name)), esc(strings.TrimSpace(val))})
	}
	profiles := map[string]DeviceProfile{}
	for _, d := range s.Devices {
		profiles[d.Name] = d
	}
	for _, d := range res.DeviceInfo {
		p := profiles[d.Device]
		desc := esc(p.Description)
		if desc == "" {
			desc = "no profile"
		}
		val := fmt.Sprintf("%s; provider %s, %d threads, %d warm-up + %d timed runs per batch", desc, orNotSet(d.Provider), d.Threads, d.Warmup, d.Runs)
		if d.Rounds > 0 {
			val += fmt.Sprintf(" in %d rounds", d.Rounds)
		}
		val += "; memory sampler " + orNotSet(d.Sampler)
		if p.PeakFLOPS > 0 {
			val += fmt.Sprintf("; peak %s GFLOP/s %s", f1(p.PeakFLOPS/1e9), orNotSet(p.PeakMethod))
		} else {
			val += "; peak FLOP/s unknown: " + orNotSet(p.PeakMethod)
		}
		t.Rows = append(t.Rows, []string{"Device " + esc(d.Device), val})
	}
	return t
}

func frontLines(res *analyse.Result) []string {
	type key struct{ dev, axis string }
	var keys []key
	names := map[key][]string{}
	for _, f := range res.Fronts {
		k := key{f.Device, f.Axis}
		if _, ok := names[k]; !ok {
			keys = append(keys, k)
		}
		names[k] = append(names[k], esc(f.Model))
	}
	axis := map[string]string{"flops": "top-1 vs. FLOPs", "fps": "top-1 vs. images/s at batch 1", "memory": "top-1 vs. memory at batch 1"}
	var out []string
	for _, k := range keys {
		where := ""
		if k.dev != "" {
			where = " on " + esc(k.dev)
		}
		out = append(out, fmt.Sprintf("%s%s: %s.", axis[k.axis], where, strings.Join(names[k], ", ")))
	}
	if len(out) == 0 {
		out = append(out, "No front: no model has an accuracy.")
	}
	return out
}

func corrLines(res *analyse.Result) []string {
	with := map[string]string{"flops": "FLOPs", "params": "parameters", "fps_b1": "images/s at batch 1"}
	var out []string
	for _, c := range res.Correlations {
		where := ""
		if c.Device != "" {
			where = " on " + esc(c.Device)
		}
		if c.Note != "" {
			out = append(out, fmt.Sprintf("Spearman ρ(top-1, %s)%s: %s.", with[c.With], where, esc(c.Note)))
			continue
		}
		out = append(out, fmt.Sprintf("Spearman ρ(top-1, %s)%s = %s over %d models.", with[c.With], where, f2(c.Rho), c.N))
	}
	return out
}

// ciText is " ±x%", the larger side of a cell's 95% interval relative to
// its value, or "" when the interval is unknown.
func ciText(c analyse.BatchCell) string {
	if !(c.Value > 0) || (c.Lo == c.Value && c.Hi == c.Value) {
		return ""
	}
	w := 100 * max(c.Hi/c.Value-1, 1-c.Lo/c.Value)
	if w < 10 {
		return " ±" + f1(w) + "%"
	}
	return " ±" + strconv.FormatFloat(w, 'f', 0, 64) + "%"
}

// loadNotes summarise a device's timing cells by stability and the host
// load recorded during their rounds, then, when cells were timed by two
// processes, how well the host reproduced its own timings.
func loadNotes(res *analyse.Result, device string) []string {
	for _, d := range res.DeviceInfo {
		if d.Device != device || d.StableCells+d.UnstableCells == 0 {
			continue
		}
		s := fmt.Sprintf("Stability: %d of %d measured cells stable", d.StableCells, d.StableCells+d.UnstableCells)
		if d.Rounds > 0 {
			s += fmt.Sprintf(" (typically %d rounds per cell)", d.Rounds)
		}
		switch {
		case d.RoundsWithLoad == 0 && d.RoundsWithWait == 0:
			s += "; the host's load was not recorded."
		default:
			if d.RoundsWithWait > 0 {
				s += fmt.Sprintf("; the worker's threads waited for a CPU a median of %s thread-seconds per second (at most %s) during the %d timed rounds that recorded it",
					f2(d.WaitMedian), f2(d.WaitMax), d.RoundsWithWait)
			}
			if d.RoundsWithLoad > 0 {
				s += fmt.Sprintf("; other processes used a median of %s cores (at most %s) during %d rounds", f2(d.OtherCPUMedian), f2(d.OtherCPUMax), d.RoundsWithLoad)
			}
			s += fmt.Sprintf("; %d rounds were loaded.", d.LoadedRounds)
		}
		if d.RoundsWithCanary > 0 {
			s += fmt.Sprintf(" The host canary ran more than %s× the run's canary reference (host slow) after %d of the %d rounds it timed.",
				strconv.FormatFloat(1+timing.MaxCanarySlowdown, 'f', -1, 64), d.SlowRounds, d.RoundsWithCanary)
		}
		notes := []string{s}
		if d.CellsTwoProcesses > 0 {
			notes = append(notes, fmt.Sprintf("Reproducibility: the two processes that timed a cell, a pass over the models apart, differed by a median of %s%% (90th percentile %s%%); %d of %d cells agreed within %s%%.",
				f1(100*d.ProcessSpreadMedian), f1(100*d.ProcessSpreadP90), d.CellsReproduced, d.CellsTwoProcesses, strconv.FormatFloat(100*analyse.ReproducibleSpread, 'f', -1, 64)))
		}
		return notes
	}
	return nil
}

// batchTables lays out Table 1 or 2 per device: models as rows, batch sizes as columns.
func batchTables(res *analyse.Result, cells []analyse.BatchCell, batches []int64, format func(float64) string) []deviceTable {
	var out []deviceTable
	for _, d := range res.Devices {
		dt := deviceTable{Device: esc(d)}
		dt.Table.Header = []string{"Model"}
		dt.Table.Align = []string{"l"}
		for _, b := range batches {
			dt.Table.Header = append(dt.Table.Header, strconv.FormatInt(b, 10))
			dt.Table.Align = append(dt.Table.Align, "r")
		}
		rows := map[string][]string{}
		var order []string
		numbered := 0
		for _, c := range cells {
			if c.Device != d {
				continue
			}
			if _, ok := rows[c.Model]; !ok {
				rows[c.Model] = []string{esc(c.Model)}
				order = append(order, c.Model)
			}
			var cell string
			switch c.Status {
			case analyse.StatusOK:
				cell = format(c.Value)
				if !c.Stable {
					ci := ciText(c)
					cell += " †" + ci
					if ci != "" {
						ci = " (95% interval of the median" + ci + ")"
					}
					dt.Notes = append(dt.Notes, fmt.Sprintf("† %s, batch %d: unstable%s: %s", esc(c.Model), c.Batch, ci, orNotSet(c.Unstable)))
				}
			case analyse.StatusOOM:
				cell = "OOM"
			case analyse.StatusNotRun:
				cell = "–"
			default:
				numbered++
				dt.Notes = append(dt.Notes, fmt.Sprintf("(%d) %s, batch %d, %s: %s", numbered, esc(c.Model), c.Batch, esc(c.Status), orNotSet(c.Reason)))
				cell = fmt.Sprintf("%s (%d)", esc(c.Status), numbered)
			}
			rows[c.Model] = append(rows[c.Model], cell)
		}
		for _, m := range order {
			dt.Table.Rows = append(dt.Table.Rows, rows[m])
		}
		if len(batches) > 0 {
			out = append(out, dt)
		}
	}
	return out
}

func constraintTables(res *analyse.Result) []deviceTable {
	var out []deviceTable
	for _, d := range res.Devices {
		dt := deviceTable{Device: esc(d), Table: table{Header: []string{"Memory ≤ (GB)", "Speed ≥ (images/s)", "Models (top-1 %)"}, Align: []string{"r", "r", "l"}}}
		type key struct{ m, f float64 }
		var keys []key
		cells := map[key][]string{}
		notes := map[key]string{}
		unstable := false
		for _, c := range res.Constraints {
			if c.Device != d {
				continue
			}
			k := key{c.MemoryGB, c.FPS}
			if _, ok := cells[k]; !ok {
				if _, ok := notes[k]; !ok {
					keys = append(keys, k)
				}
			}
			if c.Rank == 0 {
				notes[k] = c.Note
				continue
			}
			mark := ""
			if !c.TimingStable {
				mark, unstable = "†", true
			}
			cells[k] = append(cells[k], fmt.Sprintf("%s%s (%s)", esc(c.Model), mark, f1(c.Top1)))
		}
		for _, k := range keys {
			cell := strings.Join(cells[k], ", ")
			if n, ok := notes[k]; ok {
				dt.Notes = append(dt.Notes, esc(n)+".")
				cell = fmt.Sprintf("none (see note %d)", len(dt.Notes))
			}
			dt.Table.Rows = append(dt.Table.Rows, []string{strconv.FormatFloat(k.m, 'f', -1, 64), strconv.FormatFloat(k.f, 'f', -1, 64), cell})
		}
		for i := range dt.Notes {
			dt.Notes[i] = fmt.Sprintf("(%d) %s", i+1, dt.Notes[i])
		}
		if unstable {
			dt.Notes = append(dt.Notes, "† the model's batch-1 speed comes from a timing cell that failed the stability rule (Table 1).")
		}
		out = append(out, dt)
	}
	return out
}

func methodology(res *analyse.Result) []string {
	return []string{
		"**Accuracy.** Top-1 and top-5 are percentages of the ImageNet-1k validation images whose label is the first, or among the five first, predictions, with one centre crop unless noted. Measured values come from the accuracy stage, with a 95% binomial interval; where no validation set was given, or a model has random weights, the published value of the model's reference is shown instead and marked *published*. A measured value is preferred over a published one. Unreadable images are skipped and counted next to the value; a model with more of its images skipped than the config allows (default 1 %) gets no measured value, and the table says why.",
		"**Complexity.** Parameters count the float initializers of the ONNX graph (BatchNormalization running statistics excluded). Operations are FLOPs at batch 1: two per multiply-accumulate of Conv, ConvTranspose, Gemm and MatMul (integer ones of their quantized forms included) plus one per output element of the other counted ops; ops the counter does not know are counted as zero and reported as warnings. The paper counted convolution multiply-accumulates only; the flops table's paper_macs column gives that convention.",
		"**Inference time.** The timing stage runs each model in fresh worker processes, one in each of timing.processes passes over all the models (default 2; they share the timed runs and their minimum duration, and a pass apart, a slow spell of the host cannot cover both), through ONNX Runtime on a fixed pseudo-random input written once into the input tensor, timing only the session's Run call; image loading, decoding and preprocessing are not timed. In each process, for each batch size in ascending order, it does a first run (reported apart; the first process's), warm-up runs and the first round of timed runs; it then revisits every batch size in further rounds (timing.rounds, default 2, over which the process's timed runs and minimum duration are split evenly, each round keeping at least " + strconv.Itoa(timing.MinRoundRuns) + " runs; a round begins with one untimed run when the batch size changes), so that a burst of outside load hits one round of a cell rather than all of it, and a process that settles in a slow state for its life shows against the other. Every sample is kept with its round and start time. During each round the stage records how long the worker's threads waited for a CPU (the run-queue delay of every thread, from /proc/self/task/*/schedstat) and the CPU used by other processes (the host's busy time from /proc/stat less the timing process's own CPU time, from getrusage)." + copiesText(res),
		"**Stability rule.** A round during which the worker's threads waited for a CPU more than " + strconv.FormatFloat(timing.MaxRunWait, 'f', -1, 64) + " thread-seconds per second (their run-queue delay, from /proc/self/task/*/schedstat) is set aside as loaded; where the kernel does not report that wait, a round in which other processes used more than " + strconv.FormatFloat(timing.MaxOtherCPU, 'f', -1, 64) + " cores (from /proc/stat) is; a round with neither reading is not set aside for load. A round is also set aside (host slow) when a fixed host canary (a chain of multiply-adds and a " + strconv.Itoa(timing.CanaryBytes>>20) + " MiB streaming sum on each of the session's threads, median of " + strconv.Itoa(timing.CanaryRuns) + " runs, timed " + timing.CanaryPause.String() + " after the round) took more than " + strconv.FormatFloat(1+timing.MaxCanarySlowdown, 'f', -1, 64) + "× the run's canary reference, the lower decile of the canary times of the run so far: a host that runs this machine slower without any process to show for it. The other rounds are clean. Each round has at least " + strconv.Itoa(timing.MinRoundRuns) + " timed runs (fewer only when timing.runs is). The agreeing rounds are the lowest group of clean rounds whose medians lie within " + strconv.FormatFloat(100*timing.MaxCIFraction, 'f', -1, 64) + "% above the group's smallest, itself within " + strconv.FormatFloat(100*timing.MaxCIFraction, 'f', -1, 64) + "% of the lowest clean round median: the first such group, from the bottom, with enough rounds and processes to be stable, else the largest. A cell's median, percentiles and 95% confidence interval of the median (distribution-free, golang.org/x/perf/benchmath) pool their samples. A cell is stable when at least two rounds agree (one when a single round is configured), they come from at least two of its processes (one when timing.processes is 1), and that interval lies within ±" + strconv.FormatFloat(100*timing.MaxCIFraction, 'f', -1, 64) + "% of the median. A cell that fails is measured again after every model has been timed, in a new process, the models whose unstable cells cost least first, up to timing.max_remeasure times while the run's re-measurements stay within timing.remeasure_seconds (defaults 2 and 180 s); the rounds of every attempt are kept and judged together. A cell still unstable keeps its figure, from the agreeing rounds or, when no round is clean, from every round: it is marked † with its interval in Table 1, drawn hollow in Figure 3 and marked † in Table 3, and the speed findings name it. Reproducibility is judged across cells: a cell's spread is how far apart the medians of its first two processes (a pass over the models apart, every sample counted) lie; when fewer than half of at least " + strconv.Itoa(analyse.MinReproCells) + " such cells on a device lie within " + strconv.FormatFloat(100*analyse.ReproducibleSpread, 'f', -1, 64) + "%, the report warns that the host did not reproduce its own timings, and the abstract says below what difference speeds there are noise.",
		energyText(res),
		"**Time per image.** Each cell of Table 1 is the median batch latency divided by the batch size; images per second at batch 1 are 1000 divided by the median latency in ms.",
		"**Memory.** The memory stage loads ONNX Runtime, reads a baseline before the model's session exists, then samples memory while the batch runs. The total of Table 2, Figure 4 and Table 3 is the peak above that baseline, so what the baseline holds is left out of it." + samplerText(res) + " GB are 10⁹ bytes, MB 10⁶ bytes.",
		"**Analysis.** Pareto fronts keep the models that no other model beats on both accuracy and cost. Table 3 ranks, per device, the models whose batch-1 total memory and speed meet each pair of limits. The Figure 4 line is an ordinary least-squares fit of batch-1 total memory on parameters; correlations are Spearman rank correlations over the models with an accuracy.",
		rooflineMethod(),
		"**Findings.** The seven findings are those of the paper's conclusion (" + esc(analyse.PaperCitation) + "), paraphrased; each is re-tested by the statistic and threshold given next to its verdict, as Section 7 explains.",
	}
}

// byValue groups the devices by a property, in the order the values first appear.
func byValue(res *analyse.Result, value func(analyse.DeviceRow) string) (vals []string, devs map[string][]string) {
	devs = map[string][]string{}
	for _, d := range res.DeviceInfo {
		v := value(d)
		if _, ok := devs[v]; !ok {
			vals = append(vals, v)
		}
		devs[v] = append(devs[v], esc(d.Device))
	}
	return vals, devs
}

// copiesText says, per execution provider, whether the timed Run includes
// copies between host and device memory. The tensors are allocated by
// internal/onnxrt in host memory.
func copiesText(res *analyse.Result) string {
	provs, devs := byValue(res, func(d analyse.DeviceRow) string { return strings.ToLower(d.Provider) })
	var b strings.Builder
	for _, p := range provs {
		on := strings.Join(devs[p], ", ")
		switch p {
		case "cpu":
			fmt.Fprintf(&b, " On %s (CPU execution provider) the input and output tensors are in host memory, where the model runs, so nothing is copied.", on)
		case "cuda", "tensorrt":
			fmt.Fprintf(&b, " On %s (%s execution provider) the input and output tensors are allocated in host memory, so every timed Run includes copying the input batch to the GPU and the outputs back: the times are from host memory to host memory, not GPU compute alone.", on, esc(p))
		case "":
			fmt.Fprintf(&b, " For %s no successful timing row records the execution provider.", on)
		default:
			fmt.Fprintf(&b, " On %s (%s execution provider) the input and output tensors are in host memory; any copy the provider makes to its own memory is inside the timed Run.", on, esc(p))
		}
	}
	return b.String()
}

// energyText says where energy per image comes from: the sensors the
// timing worker tries (internal/energy, opened in stages/timing's worker)
// and each device's source as its batch-1 timing rows record it.
func energyText(res *analyse.Result) string {
	var b strings.Builder
	b.WriteString("**Energy per image.** The timing process opens one energy sensor before timing and reads it right before and right after each round's timed runs, outside the timed interval: on a device whose memory sampler is nvml, the GPU's total energy counter through NVML (the GPU board only, not the host CPU); otherwise the RAPL energy counters of the CPU packages under /sys/class/powercap (Intel, and AMD where the kernel exposes them), summed over the packages and counted across a counter's wrap to zero; otherwise, on a Jetson, the board's input power rail (VDD_IN or POM_5V_IN) printed by tegrastats, each reading held until the next and integrated over the interval. A cell's joules per image are the energy of the rounds its latency estimate uses divided by the images those rounds ran. Each sensor covers a whole CPU package or board, so idle power and other processes' work during those rounds count too. Where no sensor can be read, timing.csv's energy_source says why, the cell has no figure and Figure 6 leaves it out.")
	srcs, order := map[string][]string{}, []string{}
	for _, r := range res.DeviceModels {
		if r.Model == "" || r.EnergySource == "" || r.TimingStatus == analyse.StatusNotRun {
			continue
		}
		if _, ok := srcs[r.EnergySource]; !ok {
			order = append(order, r.EnergySource)
		}
		if !slices.Contains(srcs[r.EnergySource], esc(r.Device)) {
			srcs[r.EnergySource] = append(srcs[r.EnergySource], esc(r.Device))
		}
	}
	for _, s := range order {
		on := strings.Join(srcs[s], ", ")
		if why, ok := strings.CutPrefix(s, "none: "); ok {
			fmt.Fprintf(&b, " On %s there is no energy reading: %s.", on, esc(strings.TrimSuffix(why, ".")))
			continue
		}
		fmt.Fprintf(&b, " On %s the source is %s.", on, esc(strings.TrimSuffix(s, ".")))
	}
	return b.String()
}

// samplerText defines the total memory for each sampler in use.
func samplerText(res *analyse.Result) string {
	samps, devs := byValue(res, func(d analyse.DeviceRow) string { return d.Sampler })
	var b strings.Builder
	for _, s := range samps {
		on := strings.Join(devs[s], ", ")
		switch s {
		case "proc":
			fmt.Fprintf(&b, " On %s (sampler proc) memory is the process's resident memory (VmRSS sampled, and VmHWM); the baseline is the process with ONNX Runtime loaded, so the total is the host memory the session adds (weights, arena, activations), without the runtime library.", on)
		case "nvml":
			fmt.Fprintf(&b, " On %s (sampler nvml) memory is the GPU memory the process holds, read through NVML; the CUDA context is created before the baseline, so the total leaves the context out. The paper's GPU memory includes the context: the baseline is shown beside Table 2, and finding 7 adds it back.", on)
		case "tegrastats":
			fmt.Fprintf(&b, " On %s (sampler tegrastats) memory is the board's RAM in use, shared by CPU and GPU and counted system-wide; the baseline, read after the CUDA context exists, holds the context and every other process, so the total is the change during the run, other processes' changes included.", on)
		case "":
			fmt.Fprintf(&b, " %s has no memory rows.", on)
		default:
			fmt.Fprintf(&b, " On %s the sampler is %s.", on, esc(s))
		}
	}
	return b.String()
}

// baselineCaption gives Table 2's runtime (or context) share of a device,
// which the totals leave out.
func baselineCaption(d analyse.DeviceRow) string {
	if d.BaselineBytes <= 0 {
		return ""
	}
	what := map[string]string{
		"proc":       "the process with ONNX Runtime loaded",
		"nvml":       "the CUDA context",
		"tegrastats": "the board's RAM in use, CUDA context and other processes included",
	}[d.Sampler]
	if what == "" {
		what = "sampler " + orNotSet(d.Sampler)
	}
	return fmt.Sprintf("(baseline, not included: %s MB, %s; median over the device's rows)", strconv.FormatFloat(float64(d.BaselineBytes)/1e6, 'f', 0, 64), what)
}

func accuracyTable(res *analyse.Result) table {
	t := table{Header: []string{"Model", "Top-1 (%, ± 95% interval)", "Top-5 (%)", "Source"}, Align: []string{"l", "r", "r", "l"}}
	for _, m := range res.Models {
		if !m.HasAccuracy {
			why := "none"
			if m.AccuracyError != "" {
				why = "measurement failed: " + m.AccuracyError
			}
			t.Rows = append(t.Rows, []string{esc(m.Model), "–", "–", esc(why)})
			continue
		}
		top1 := f2(m.Top1)
		if m.Top1CI95 > 0 {
			top1 += " ± " + f2(m.Top1CI95)
		}
		if m.AccuracySkipped > 0 {
			top1 += fmt.Sprintf(" (%d images skipped)", m.AccuracySkipped)
		}
		t.Rows = append(t.Rows, []string{esc(m.Model), top1, f2(m.Top5), esc(sourceText(m.AccuracySource))})
	}
	return t
}

// accuracyCheckTable sets each measured top-1 beside its published figure.
func accuracyCheckTable(res *analyse.Result) (table, []string) {
	t := table{Header: []string{"Model", "Crop", "Measured top-1 (%) [95% interval]", "Images", "Published top-1 (%)", "Source", "Difference (points)", "Reproduced"},
		Align: []string{"l", "l", "r", "r", "r", "l", "r", "l"}}
	reproduced, subset := 0, false
	for _, c := range res.AccuracyChecks {
		images := fmt.Sprintf("%d", c.N)
		if c.Subset {
			images = fmt.Sprintf("%d of %d (subset)", c.N, c.DatasetImages)
			subset = true
		}
		verdict := "no"
		if c.Reproduced {
			verdict = "yes"
			reproduced++
		}
		t.Rows = append(t.Rows, []string{esc(c.Model), esc(c.Crop),
			fmt.Sprintf("%s [%s, %s]", f2(c.Top1), f2(c.Top1Low), f2(c.Top1High)), images,
			f2(c.PublishedTop1), esc(sourceText(c.PublishedSource)), fmt.Sprintf("%+.2f", c.DiffPoints), verdict})
	}
	if len(t.Rows) == 0 {
		return table{}, nil
	}
	notes := []string{fmt.Sprintf("Rule: %s. %d of %d published figures are reproduced here.", analyse.AccuracyCheckRule, reproduced, len(t.Rows))}
	if subset {
		notes = append(notes, "Rows marked subset were scored on part of the dataset (accuracy.limit); their interval is wider and the images are an evenly spread selection, not the whole validation set.")
	}
	return t, notes
}

// sourceText expands a published:<reference> source with where the reference table came from
// (configs/reference/README.md).
func sourceText(src string) string {
	ref, ok := strings.CutPrefix(src, "published:")
	if !ok {
		return src
	}
	origin := map[string]string{
		"torchvision": "torchvision 0.21.0 weights metadata",
		"timm":        "huggingface/pytorch-image-models results-imagenet.csv @aa4b5850",
		"paper":       "CeLuigi/models-comparison.pytorch README @66e1626 (the paper's own evaluation)",
	}
	prefix, _, _ := strings.Cut(ref, ":")
	if o, ok := origin[prefix]; ok {
		return "published: " + ref + " (" + o + ")"
	}
	return "published: " + ref
}

func appendix(s Setup, res *analyse.Result) []string {
	cmd := "not set"
	if s.Command != "" {
		cmd = "`" + strings.ReplaceAll(strings.ReplaceAll(s.Command, "`", "'"), "\n", " ") + "`"
	}
	warnBatches := make([]string, 0, len(res.TimingBatches))
	for _, b := range res.TimingBatches {
		warnBatches = append(warnBatches, strconv.FormatInt(b, 10))
	}
	mem := make([]string, 0, len(res.MemoryBatches))
	for _, b := range res.MemoryBatches {
		mem = append(mem, strconv.FormatInt(b, 10))
	}
	lims := func(v []float64) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.FormatFloat(x, 'f', -1, 64)
		}
		return strings.Join(s, ", ")
	}
	return []string{
		"Command: " + cmd + ".",
		"Configuration " + orNotSet(s.ConfigName) + ", sha256 " + orNotSet(s.ConfigHash) + ".",
		"Timing batch sizes: " + strings.Join(warnBatches, ", ") + "; memory batch sizes: " + strings.Join(mem, ", ") + ".",
		"Table 3 limits: memory ≤ " + lims(res.Config.MemoryGB) + " GB; speed ≥ " + lims(res.Config.FPS) + " images/s; top " + strconv.Itoa(res.Config.TopN) + ".",
		"Every number in this report is in the CSV files next to it (models.csv, flops.csv, accuracy.csv, timing.csv, memory.csv and analysis/*.csv); the stage outputs are cached in Parquet, keyed by the model file's sha256, the stage settings, the device and the ONNX Runtime version, so rerunning the command reuses them and reproduces this report byte for byte.",
		"The date above comes from SOURCE_DATE_EPOCH; no other clock reading enters the report.",
	}
}

func modelTable(res *analyse.Result) table {
	t := table{Header: []string{"Model", "Source", "Weights", "Params (M)", "GFLOPs", "ONNX sha256"}, Align: []string{"l", "l", "l", "r", "r", "l"}}
	ms := append([]analyse.ModelRow(nil), res.Models...)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Model < ms[j].Model })
	for _, m := range ms {
		sha := m.SHA256
		if len(sha) > 16 {
			sha = sha[:16] + "…"
		}
		t.Rows = append(t.Rows, []string{esc(m.Model), orNotSet(m.Source), orNotSet(m.Weights), mparams(m.Params), gflops(m.FLOPs), orNotSet(sha)})
	}
	return t
}

// spreadOf is the median process spread of device's timing cells (see
// analyse.DeviceRow), 0 when the device has none.
func spreadOf(res *analyse.Result, device string) float64 {
	for _, d := range res.DeviceInfo {
		if d.Device == device && d.CellsTwoProcesses > 0 {
			return d.ProcessSpreadMedian
		}
	}
	return 0
}
