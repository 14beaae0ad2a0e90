package report

import (
	"fmt"
	"io"
	"path"

	"github.com/dnnbench/dnnbench/plots"
	"github.com/dnnbench/dnnbench/stages/analyse"
)

// Report is a report built from one analysis: its Markdown source and the
// figures it embeds. Write it as Markdown, HTML or PDF; the same inputs
// give the same bytes.
type Report struct {
	title string
	setup Setup
	md    []byte
	figs  map[string]plots.Figure // by Markdown link
}

// New builds the report of res, with the figures figs (as plots.Render
// draws them) and the setup the measurements were made in.
func New(opt Options, setup Setup, res *analyse.Result, figs []plots.Figure) (*Report, error) {
	opt = opt.withDefaults()
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
	return &Report{title: opt.Title, setup: setup, md: md, figs: byLink}, nil
}

// WriteMarkdown writes the report's Markdown source, which links the
// figures as <FigureDir>/<name>.svg.
func (r *Report) WriteMarkdown(w io.Writer) error {
	if _, err := w.Write(r.md); err != nil {
		return fmt.Errorf("report: markdown: %w", err)
	}
	return nil
}

// WriteHTML writes the report as one standalone HTML page, the figures
// inline as SVG.
func (r *Report) WriteHTML(w io.Writer) error {
	b, err := toHTML(r.title, r.md, r.figs)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

// WritePDF writes the report as a PDF, the figures as vectors, dated
// Setup.Date.
func (r *Report) WritePDF(w io.Writer) error {
	b, err := toPDF(r.title, r.md, r.figs, r.setup.Date)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("report: pdf: %w", err)
	}
	return nil
}

// Formats are the formats Write takes, each also the report file's
// extension.
func Formats() []string { return []string{"md", "html", "pdf"} }

// Write writes the report in format, one of Formats.
func (r *Report) Write(format string, w io.Writer) error {
	write, ok := map[string]func(io.Writer) error{"md": r.WriteMarkdown, "html": r.WriteHTML, "pdf": r.WritePDF}[format]
	if !ok {
		return fmt.Errorf("report: format %q: want md, html or pdf", format)
	}
	return write(w)
}
