package report_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"github.com/dnnbench/dnnbench/internal/diag"
	"github.com/dnnbench/dnnbench/internal/pdftext"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/golden"

	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/report"
	"github.com/dnnbench/dnnbench/stages/accuracy"
	"github.com/dnnbench/dnnbench/stages/analyse"
	"github.com/dnnbench/dnnbench/stages/analyse/analysetest"
)

var (
	update = flag.Bool("update", false, "rewrite the golden files in testdata/")
	outDir = flag.String("out", "", "also write the report and figures into this folder, to look at them")
)

func setup() report.Setup {
	return report.Setup{
		ToolVersion: "0.1.0-test", GoVersion: "go1.26.8", ORTVersion: "1.24.1",
		HostCPU: "Intel(R) Xeon(R) CPU @ 2.20GHz", HostCores: 2, HostMemoryBytes: 8 << 30,
		OS: "linux/amd64", Kernel: "6.8.0-test", Distro: "Debian GNU/Linux 13 (trixie)", Commit: "0123456789ab",
		Conditions: []string{"cpu governor: performance", "load average: 0.12"},
		Warnings:   []diag.Warning{{Message: "CPU frequency scaling is not fixed"}},
		Devices: []report.DeviceProfile{
			{Name: "cpu", Description: "host CPU, ONNX Runtime CPU EP", Provider: "cpu", Sampler: "proc",
				PeakFLOPS: 140.8e9, PeakMethod: "detected: 2 cores × 2.2 GHz × 32 FLOP/cycle (AVX2 FMA)"},
			{Name: "jetson-orin", Description: "NVIDIA Jetson Orin Nano 8 GB", Provider: "cuda", Sampler: "tegrastats", PeakFLOPS: 1.28e12, PeakMethod: "nominal (profile)"},
		},
		ConfigName: "fixture", ConfigHash: strings.Repeat("ab", 32),
		Command: "go run ./pipeline --config configs/quick.yaml",
		Date:    time.Unix(1700000000, 0),
	}
}

// output is a report written in every format.
type output struct {
	Markdown, HTML, PDF []byte
}

// write writes rep in every format.
func write(t testing.TB, rep *report.Report) *output {
	t.Helper()
	var md, h, pdf bytes.Buffer
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteHTML(&h); err != nil {
		t.Fatal(err)
	}
	if err := rep.WritePDF(&pdf); err != nil {
		t.Fatal(err)
	}
	return &output{md.Bytes(), h.Bytes(), pdf.Bytes()}
}

func render(t testing.TB, in analyse.Inputs) (*output, []plots.Figure) {
	t.Helper()
	res, err := analyse.Run(context.Background(), analyse.Config{}, in)
	if err != nil {
		t.Fatal(err)
	}
	figs, err := plots.Render(res, plots.Options{Epoch: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.New(report.Options{}, setup(), res, figs)
	if err != nil {
		t.Fatal(err)
	}
	return write(t, rep), figs
}

var pageObject = regexp.MustCompile(`/Type /Page\b[^s]`)

func TestReportGolden(t *testing.T) {
	out, figs := render(t, analysetest.Inputs())
	golden.Check(t, "testdata/report.md", out.Markdown, *update)
	text := pdftext.Text(out.PDF)
	golden.Check(t, "testdata/report.pdf.txt", []byte(text), *update)
	pages := len(pageObject.FindAll(out.PDF, -1))
	if pages < 8 || pages > 20 {
		t.Errorf("PDF has %d pages, want 8 to 20", pages)
	}
	if *outDir != "" {
		if _, err := plots.WriteFiles(filepath.Join(*outDir, "figures"), figs); err != nil {
			t.Fatal(err)
		}
		for name, data := range map[string][]byte{"report.md": out.Markdown, "report.html": out.HTML, "report.pdf": out.PDF} {
			if err := os.WriteFile(filepath.Join(*outDir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestPDFContents(t *testing.T) {
	out, _ := render(t, analysetest.Inputs())
	text := strings.ReplaceAll(pdftext.Text(out.PDF), "\n", " ")
	for _, want := range []string{
		"Abstract", "Table 1. Milliseconds per image vs. batch size", "Table 2. Total memory (MB) vs. batch size",
		"Table 3. Most accurate models within a memory limit and above a speed floor",
		"The paper's findings, re-tested", "Warnings", "Methodology", "Appendix: reproducibility",
		"OOM", "efficientnet_b0", "edge<cnn>&v2", "accuracy upper bound", "jetson-orin",
		"dnnbench report - page 1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	// Symbols print as themselves in the embedded Unicode font, not as look-alikes.
	for _, want := range []string{"Spearman ρ(top-1, FLOPs)", "within 0.7 GB at ≥ 15 FPS", "Memory ≤ (GB)", "2 cores × 2.2 GHz", "R² ≥ 0.9", "resnet18†", "76.02 ± 0.37"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q", want)
		}
	}
	for _, unwanted := range []string{" rho ", ">=", "<="} {
		if strings.Contains(text, unwanted) {
			t.Errorf("PDF text still has the look-alike %q", unwanted)
		}
	}
	if bytes.Contains(out.PDF, []byte("/BaseFont /Helvetica")) || !bytes.Contains(out.PDF, []byte("/FontFile2")) || !bytes.Contains(out.PDF, []byte("/BaseFont /utf8liberationsans")) {
		t.Errorf("PDF does not embed the Liberation TrueType fonts, or still uses a core font")
	}
	if !bytes.Contains(out.PDF, []byte("/CreationDate (D:20231114221320)")) {
		t.Errorf("PDF creation date is not SOURCE_DATE_EPOCH")
	}
	// Figures are vectors: no image XObjects, and figure text is drawn as text.
	if bytes.Contains(out.PDF, []byte("/Subtype /Image")) {
		t.Errorf("PDF embeds a raster image")
	}
}

func TestHTMLStandsAloneAndEscapes(t *testing.T) {
	out, _ := render(t, analysetest.Inputs())
	h := string(out.HTML)
	if strings.Contains(h, "<cnn>") {
		t.Errorf("model name edge<cnn>&v2 reached the HTML unescaped")
	}
	if !strings.Contains(h, "edge&lt;cnn&gt;&amp;v2") {
		t.Errorf("escaped model name missing from the HTML")
	}
	if n := strings.Count(h, "<svg "); n != 8 {
		t.Errorf("HTML has %d inline SVG figures, want 8 (Figures 1a–6)", n)
	}
	if strings.Contains(h, `src="figures/`) {
		t.Errorf("HTML links a figure file instead of embedding it")
	}
	for _, want := range []string{"<table>", "<th>Model</th>", "<h2 id=\"abstract\">Abstract</h2>"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

// TestHTMLSortableTables: every table has a header row for the sort script
// to hook, the script comes once, after the content, and without it the
// tables are plain HTML tables.
func TestHTMLSortableTables(t *testing.T) {
	out, _ := render(t, analysetest.Inputs())
	h := string(out.HTML)
	tables := strings.Count(h, "<table>")
	if tables < 8 {
		t.Fatalf("HTML has %d tables, want at least 8", tables)
	}
	if n := strings.Count(h, "<thead>"); n != tables {
		t.Errorf("%d of %d tables have a <thead> row", n, tables)
	}
	if strings.Count(h, "<script>") != 1 || strings.Index(h, "<script>") < strings.LastIndex(h, "</table>") {
		t.Errorf("want one script, after the last table")
	}
	for _, want := range []string{`document.querySelectorAll("table")`, `aria-sort`, `th[aria-sort=ascending] button.sort::after`} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(h, "<button") {
		t.Errorf("sort buttons are in the static HTML; the script adds them")
	}
}

// TestHostileNames checks that Markdown and HTML syntax in a model name is
// shown literally and never becomes markup.
func TestHostileNames(t *testing.T) {
	in := analysetest.Inputs()
	bad := "x|y*z_<script>alert(1)</script>[l](javascript:x)"
	for i := range in.Flops {
		if in.Flops[i].Model == "alexnet" {
			in.Flops[i].Model = bad
		}
	}
	for i := range in.Accuracy {
		if in.Accuracy[i].Model == "alexnet" {
			in.Accuracy[i].Model = bad
		}
	}
	out, _ := render(t, in)
	h := string(out.HTML)
	// The one script is the report's own table sorter.
	if strings.Count(h, "<script") != 1 || strings.Contains(h, "<script>alert") || strings.Contains(h, `href="javascript`) {
		t.Errorf("hostile model name became markup in the HTML")
	}
	if !strings.Contains(h, "x|y*z_&lt;script&gt;alert(1)&lt;/script&gt;[l](javascript:x)") {
		t.Errorf("hostile model name is not shown literally in the HTML")
	}
}

func TestByteIdentical(t *testing.T) {
	a, _ := render(t, analysetest.Inputs())
	b, _ := render(t, analysetest.Inputs())
	if !bytes.Equal(a.Markdown, b.Markdown) || !bytes.Equal(a.HTML, b.HTML) || !bytes.Equal(a.PDF, b.PDF) {
		t.Errorf("two renders of the same inputs differ")
	}
}

func TestWriteFormats(t *testing.T) {
	res, err := analyse.Run(context.Background(), analyse.Config{}, analysetest.Inputs())
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.New(report.Options{}, setup(), res, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := write(t, rep)
	for _, tc := range []struct {
		format string
		want   []byte
	}{{"md", all.Markdown}, {"html", all.HTML}, {"pdf", all.PDF}} {
		var b bytes.Buffer
		if err := rep.Write(tc.format, &b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Bytes(), tc.want) {
			t.Errorf("Write(%q) differs from its Write method", tc.format)
		}
	}
	if !bytes.HasPrefix(all.PDF, []byte("%PDF-")) || !bytes.HasPrefix(all.HTML, []byte("<!DOCTYPE html>")) || !bytes.HasPrefix(all.Markdown, []byte("# ")) {
		t.Errorf("a format does not start as it should")
	}
	if got := report.Formats(); strings.Join(got, ",") != "md,html,pdf" {
		t.Errorf("Formats() = %v", got)
	}
	var b bytes.Buffer
	if err := rep.Write("docx", &b); err == nil || !strings.Contains(err.Error(), `"docx"`) || b.Len() != 0 {
		t.Errorf("unknown format: err = %v, wrote %d bytes", err, b.Len())
	}
	if _, err := report.New(report.Options{}, setup(), nil, nil); err == nil {
		t.Errorf("New without an analysis result: no error")
	}
	if err := rep.WritePDF(failWriter{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WritePDF to a failing writer: %v, want the writer's error", err)
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// BenchmarkReport40x2 is the report stage from cache-equivalent inputs:
// analysis, figures and all three formats for 40 models on 2 devices.
func BenchmarkReport40x2(b *testing.B) {
	in := analysetest.Large(40)
	for b.Loop() {
		res, err := analyse.Run(context.Background(), analyse.Config{}, in)
		if err != nil {
			b.Fatal(err)
		}
		figs, err := plots.Render(res, plots.Options{})
		if err != nil {
			b.Fatal(err)
		}
		rep, err := report.New(report.Options{}, setup(), res, figs)
		if err != nil {
			b.Fatal(err)
		}
		write(b, rep)
	}
}

// TestMethodFollowsDevice checks that the method text describes what was
// done on each device: no copies on the CPU; copies inside the timed Run and
// the CUDA context in the baseline on a GPU measured through NVML.
func TestMethodFollowsDevice(t *testing.T) {
	in := analysetest.Inputs()
	for i := range in.Timing {
		if in.Timing[i].Device == "jetson-orin" {
			in.Timing[i].Device, in.Timing[i].Provider = "gpu", "tensorrt"
		}
	}
	for i := range in.Memory {
		if in.Memory[i].Device == "jetson-orin" {
			in.Memory[i].Device, in.Memory[i].Sampler, in.Memory[i].BaselineBytes = "gpu", "nvml", 530e6
		}
	}
	res, err := analyse.Run(context.Background(), analyse.Config{}, in)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := report.New(report.Options{}, report.Setup{}, res, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rep.WriteMarkdown(&out); err != nil {
		t.Fatal(err)
	}
	md := out.String()
	for _, want := range []string{
		"On cpu (CPU execution provider) the input and output tensors are in host memory, where the model runs, so nothing is copied.",
		"On gpu (tensorrt execution provider) the input and output tensors are allocated in host memory, so every timed Run includes copying the input batch to the GPU and the outputs back",
		"On gpu (sampler nvml) memory is the GPU memory the process holds, read through NVML; the CUDA context is created before the baseline, so the total leaves the context out.",
		"**gpu** (baseline, not included: 530 MB, the CUDA context; median over the device's rows)",
		"**cpu** (baseline, not included: 31 MB, the process with ONNX Runtime loaded; median over the device's rows)",
		// Finding 7 adds the context back, as the paper counted it.
		"gpu: smallest 1.258 GB (squeezenet1\\_1, 1.2 M params: CUDA context 0.530 GB + model 0.728 GB), supported",
		"peak FLOP/s unknown: not set",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, unwanted := range []string{"as in the paper", "copies are not timed", "nominal peak"} {
		if strings.Contains(md, unwanted) {
			t.Errorf("report still says %q", unwanted)
		}
	}
}

// TestAccuracyFailureAndSkipped: the accuracy table puts the skipped count
// next to a measured value and says why a failed measurement has none.
func TestAccuracyFailureAndSkipped(t *testing.T) {
	in := analysetest.Inputs()
	const why = "3 of 50 images (6.00%) could not be read, more than accuracy.max_skipped 1%"
	for i, a := range in.Accuracy {
		if a.Model == "resnet50" && a.Source == "measured" {
			in.Accuracy[i].Status, in.Accuracy[i].Error = accuracy.StatusError, why
			in.Accuracy[i].Top1, in.Accuracy[i].Top5, in.Accuracy[i].Top1CI95 = 0, 0, 0
		}
	}
	var kept []accuracy.Row
	for _, a := range in.Accuracy {
		if a.Model != "resnet50" || a.Source == "measured" {
			kept = append(kept, a)
		}
	}
	in.Accuracy = kept
	out, _ := render(t, in)
	md := string(out.Markdown)
	if !strings.Contains(md, "| resnet50 | – | – | measurement failed: "+strings.ReplaceAll(why, "_", `\_`)) {
		t.Errorf("report.md does not say why resnet50 has no accuracy:\n%s", md)
	}
	ok, _ := render(t, analysetest.Inputs())
	if !strings.Contains(string(ok.Markdown), "| resnet50 | 76.02 ± 0.37 (2 images skipped) |") {
		t.Errorf("report.md does not show the skipped count next to resnet50's top-1")
	}
}

// TestPDFNonLatinNames: characters the PDF's font lacks are shown as
// \uXXXX escapes, never dropped as dots or boxes; Latin and Greek letters
// stay as they are.
func TestPDFNonLatinNames(t *testing.T) {
	in := analysetest.Inputs()
	name := "模Ωé"
	for i := range in.Flops {
		if in.Flops[i].Model == "alexnet" {
			in.Flops[i].Model = name
		}
	}
	for i := range in.Accuracy {
		if in.Accuracy[i].Model == "alexnet" {
			in.Accuracy[i].Model = name
		}
	}
	out, _ := render(t, in)
	text := pdftext.Text(out.PDF)
	if want := `\u6a21Ωé`; !strings.Contains(text, want) {
		t.Errorf("PDF text lacks the escaped name %q", want)
	}
	if strings.Contains(text, "..é") {
		t.Errorf("non-Latin characters became dots in the PDF")
	}
}

// TestNotReproducedInAbstract: when the second process of most CPU cells
// ran 30 % slower, the abstract tells the reader to read smaller speed
// differences as noise, and Table 1's note gives the spread; the fixture as
// it is says neither.
func TestNotReproducedInAbstract(t *testing.T) {
	const warn = "The host did not reproduce its own timings on cpu"
	out, _ := render(t, analysetest.Inputs())
	if md := string(out.Markdown); strings.Contains(md, warn) || !strings.Contains(md, "cells agreed within 10%.") {
		t.Errorf("reproduced fixture: abstract warns (%v) or Table 1 lacks the reproducibility note", strings.Contains(md, warn))
	}
	in := analysetest.SlowSecondProcess(analysetest.Inputs(), 1.3, -1)
	out, _ = render(t, in)
	md := string(out.Markdown)
	_, abstract, _ := strings.Cut(md, "## Abstract\n")
	abstract, _, _ = strings.Cut(abstract, "\n## ")
	if !strings.Contains(abstract, warn+" (see the note under Table 1): read speed differences between models smaller than 3") {
		t.Errorf("abstract lacks the reproducibility warning:\n%s", abstract)
	}
	if !strings.Contains(md, "Reproducibility: the two processes that timed a cell, a pass over the models apart, differed by a median of 3") {
		t.Error("Table 1's note lacks the spread")
	}
}
