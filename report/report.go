package report

import (
	"fmt"
	"os"
	"path"
	"path/filepath"

	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/stages/analyse"
)

// Output holds the rendered report; a format not asked for is nil.
type Output struct {
	Markdown []byte
	HTML     []byte
	PDF      []byte
}

// Render builds the report in memory. Identical inputs give identical bytes.
func Render(opt Options, setup Setup, res *analyse.Result, figs []plots.Figure) (*Output, error) {
	opt = opt.withDefaults()
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("report: no analysis result")
	}
	md, err := markdown(opt, setup, res, figs)
	if err != nil {
		return nil, err
	}
	byLink := make(map[string]plots.Figure, len(figs))
	for _, f := range figs {
		if f.Missing == "" {
			byLink[path.Join(opt.FigureDir, f.Name+".svg")] = f
		}
	}
	out := &Output{}
	if opt.wants("md") {
		out.Markdown = md
	}
	if opt.wants("html") {
		if out.HTML, err = toHTML(opt.Title, md, byLink); err != nil {
			return nil, err
		}
	}
	if opt.wants("pdf") {
		if out.PDF, err = toPDF(opt.Title, md, byLink, setup.Date); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Generate renders the report and writes report.md, report.html and
// report.pdf (those in opt.Formats) into outDir. The figures' files are
// written by plots.WriteFiles into outDir/<FigureDir>, which the Markdown links to.
func Generate(opt Options, setup Setup, res *analyse.Result, figs []plots.Figure, outDir string) error {
	out, err := Render(opt, setup, res, figs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"report.md", out.Markdown}, {"report.html", out.HTML}, {"report.pdf", out.PDF}} {
		if f.data == nil {
			continue
		}
		p := filepath.Join(outDir, f.name)
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, f.data, 0o644); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if err := os.Rename(tmp, p); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}
