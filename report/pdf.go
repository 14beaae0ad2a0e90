package report

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/util"

	"github.com/dnnbench/dnnbench/plots"
)

// Page geometry in points (A4 portrait).
const (
	marginLeft   = 50.0
	marginRight  = 50.0
	marginTop    = 50.0
	marginBottom = 50.0
	bodySize     = 10.0
	bodyLeading  = 13.0
	tableSize    = 8.0
	minTableSize = 6.0
)

// pdfWriter walks a goldmark syntax tree and draws it with fpdf.
type pdfWriter struct {
	pdf   *fpdf.Fpdf
	src   []byte
	figs  map[string]plots.Figure
	fonts *fonts
	tr    func(string) string // newEncoder's
	style string              // current font style: "", "B", "I", "BI"
	mono  bool
	size  float64
	left  float64 // current left margin
}

func (w *pdfWriter) text(s string) string { return w.tr(s) }

func (w *pdfWriter) font() {
	family := sansFont
	if w.mono {
		family = monoFont
	}
	w.fonts.set(family, w.style, w.size)
}

// toPDF draws the Markdown as a PDF; date is the fixed creation date.
func toPDF(title string, md []byte, figs map[string]plots.Figure, date time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "pt", "A4", "")
	pdf.SetCompression(false)
	pdf.SetCatalogSort(true)
	if date.IsZero() {
		date = time.Unix(0, 0)
	}
	pdf.SetCreationDate(date.UTC())
	pdf.SetModificationDate(date.UTC())
	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.SetAutoPageBreak(true, marginBottom)
	// Table cells are padded explicitly; SplitText would otherwise subtract the margin again.
	pdf.SetCellMargin(0)
	enc, err := newEncoder()
	if err != nil {
		return nil, err
	}
	w := &pdfWriter{pdf: pdf, src: md, figs: figs, fonts: &fonts{pdf: pdf, added: map[string]bool{}}, tr: enc, size: bodySize, left: marginLeft}
	pdf.SetTitle(w.text(title), true)
	pdf.SetCreator("dnnbench", false)
	pdf.SetFooterFunc(func() {
		pdf.SetY(-marginBottom + 15)
		w.fonts.set(sansFont, "", 8)
		pdf.SetTextColor(90, 90, 90)
		pdf.CellFormat(0, 10, "dnnbench report - page "+strconv.Itoa(pdf.PageNo()), "", 0, "C", false, 0, "")
		pdf.SetTextColor(0, 0, 0)
	})
	pdf.AddPage()
	w.font()
	doc := parse(md)
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		w.block(n)
	}
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("report: pdf: %w", err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("report: pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func (w *pdfWriter) pageBottom() float64 {
	_, h := w.pdf.GetPageSize()
	return h - marginBottom
}

func (w *pdfWriter) contentWidth() float64 {
	pw, _ := w.pdf.GetPageSize()
	return pw - w.left - marginRight
}

// ensure starts a new page unless h points fit below the cursor.
func (w *pdfWriter) ensure(h float64) {
	if w.pdf.GetY()+h > w.pageBottom() {
		w.pdf.AddPage()
	}
}

func (w *pdfWriter) block(n ast.Node) {
	switch n := n.(type) {
	case *ast.Heading:
		sizes := map[int]float64{1: 17, 2: 13.5, 3: 11.5}
		size := sizes[n.Level]
		if size == 0 {
			size = 10.5
		}
		// Keep a heading with what follows: a few lines, or a whole figure.
		keep := bodyLeading * 8
		if p, ok := n.NextSibling().(*ast.Paragraph); ok {
			if img := onlyImage(p); img != nil {
				keep = math.Max(keep, w.figureHeight(img)+40)
			}
		}
		w.ensure(size*3 + keep)
		w.pdf.Ln(size * 0.6)
		w.size, w.style, w.mono = size, "B", false
		w.font()
		w.pdf.SetX(w.left)
		w.inlines(n, size*1.25)
		w.pdf.Ln(size * 1.5)
		w.size, w.style = bodySize, ""
		w.font()
	case *ast.Paragraph:
		if img := onlyImage(n); img != nil {
			w.figure(img)
			return
		}
		w.pdf.SetX(w.left)
		w.inlines(n, bodyLeading)
		w.pdf.Ln(bodyLeading * 1.5)
	case *ast.TextBlock:
		w.pdf.SetX(w.left)
		w.inlines(n, bodyLeading)
		w.pdf.Ln(bodyLeading)
	case *ast.List:
		w.list(n)
		w.pdf.Ln(bodyLeading * 0.5)
	case *east.Table:
		w.table(n)
	case *ast.ThematicBreak:
		y := w.pdf.GetY() + 4
		w.pdf.Line(w.left, y, w.left+w.contentWidth(), y)
		w.pdf.Ln(10)
	case *ast.FencedCodeBlock, *ast.CodeBlock:
		w.mono, w.size = true, 8
		w.font()
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			w.pdf.SetX(w.left)
			w.pdf.Write(10, w.text(strings.TrimRight(string(seg.Value(w.src)), "\n")))
			w.pdf.Ln(10)
		}
		w.mono, w.size = false, bodySize
		w.font()
		w.pdf.Ln(6)
	default:
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			w.block(c)
		}
	}
}

func onlyImage(p ast.Node) *ast.Image {
	if p.ChildCount() != 1 {
		return nil
	}
	img, _ := p.FirstChild().(*ast.Image)
	return img
}

// inlines writes a block's inline content as flowing text.
func (w *pdfWriter) inlines(n ast.Node, h float64) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		w.inline(c, h)
	}
}

func (w *pdfWriter) inline(n ast.Node, h float64) {
	switch n := n.(type) {
	case *ast.Text:
		w.pdf.Write(h, w.text(string(util.UnescapePunctuations(n.Segment.Value(w.src)))))
		if n.HardLineBreak() {
			w.pdf.Ln(h)
			w.pdf.SetX(w.left)
		} else if n.SoftLineBreak() {
			w.pdf.Write(h, " ")
		}
	case *ast.String:
		w.pdf.Write(h, w.text(string(n.Value)))
	case *ast.Emphasis:
		old := w.style
		add := "I"
		if n.Level >= 2 {
			add = "B"
		}
		b := strings.Contains(w.style+add, "B")
		i := strings.Contains(w.style+add, "I")
		w.style = ""
		if b {
			w.style += "B"
		}
		if i {
			w.style += "I"
		}
		w.font()
		w.inlines(n, h)
		w.style = old
		w.font()
	case *ast.CodeSpan:
		w.mono = true
		w.font()
		w.pdf.Write(h, w.text(string(plainText(n, w.src))))
		w.mono = false
		w.font()
	case *ast.Image:
		w.pdf.Ln(h)
		w.figure(n)
	case *ast.Link:
		w.inlines(n, h)
	case *ast.AutoLink:
		w.pdf.Write(h, w.text(string(n.Label(w.src))))
	case *ast.RawHTML:
		// Raw HTML is not rendered (the HTML output omits it too).
	default:
		w.inlines(n, h)
	}
}

func (w *pdfWriter) list(l *ast.List) {
	i := l.Start
	if i == 0 {
		i = 1
	}
	base := w.left
	for item := l.FirstChild(); item != nil; item = item.NextSibling() {
		marker := "•"
		if l.IsOrdered() {
			marker = strconv.Itoa(i) + "."
			i++
		}
		w.ensure(bodyLeading * 2)
		w.pdf.SetX(base)
		w.pdf.Write(bodyLeading, marker)
		w.left = base + 16
		w.pdf.SetLeftMargin(w.left)
		w.pdf.SetX(w.left)
		for c := item.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.TextBlock, *ast.Paragraph:
				w.inlines(c, bodyLeading)
				w.pdf.Ln(bodyLeading)
			default:
				w.block(c)
			}
		}
		w.left = base
		w.pdf.SetLeftMargin(base)
		w.pdf.Ln(2)
	}
}

// figure draws a report figure as vectors, scaled to the text width.
func (w *pdfWriter) figure(img *ast.Image) {
	f, ok := w.figs[string(img.Destination)]
	if !ok || len(f.Drawing.Ops) == 0 {
		w.pdf.SetX(w.left)
		w.pdf.Write(bodyLeading, w.text("[figure: "+string(plainText(img, w.src))+"]"))
		w.pdf.Ln(bodyLeading)
		return
	}
	d := f.Drawing
	s := w.figureScale(d)
	wd, ht := d.Width*s, d.Height*s
	w.ensure(ht + 40) // the figure and its caption
	x0 := w.left + (w.contentWidth()-wd)/2
	y0 := w.pdf.GetY() + 3
	drawFigure(w.pdf, w.fonts, w.tr, d, x0, y0, s)
	w.pdf.SetY(y0 + ht + 3)
	w.font()
}

// figureScale fits a drawing to the text width and at most half a page, so
// two figures share a page, or a whole page for a figure taller than wide
// (Figure 2a with many models); it never enlarges.
func (w *pdfWriter) figureScale(d plots.Drawing) float64 {
	maxH := (w.pageBottom()-marginTop)/2 - 30
	if d.Height > d.Width {
		maxH = w.pageBottom() - marginTop - 60
	}
	return math.Min(1, math.Min(w.contentWidth()/d.Width, maxH/d.Height))
}

// figureHeight is the drawn height of an image's figure, 0 when it is not a figure.
func (w *pdfWriter) figureHeight(img *ast.Image) float64 {
	f, ok := w.figs[string(img.Destination)]
	if !ok || len(f.Drawing.Ops) == 0 {
		return 0
	}
	return f.Drawing.Height * w.figureScale(f.Drawing)
}

// drawFigure replays a Drawing onto the page with its top-left corner at (x0, y0), scaled by s.
func drawFigure(pdf *fpdf.Fpdf, fonts *fonts, tr func(string) string, d plots.Drawing, x0, y0, s float64) {
	px := func(p plots.Point) (float64, float64) { return x0 + p.X*s, y0 + (d.Height-p.Y)*s }
	alpha := 1.0
	setAlpha := func(a float64) {
		if a != alpha {
			pdf.SetAlpha(a, "Normal")
			alpha = a
		}
	}
	for _, op := range d.Ops {
		switch op.Kind {
		case plots.OpStroke, plots.OpFill:
			if len(op.Path) == 0 {
				continue
			}
			setAlpha(op.A)
			// Colour, width and dashes must be set before the path starts:
			// PDF allows no state change inside a path.
			if op.Kind == plots.OpFill {
				pdf.SetFillColor(int(op.R), int(op.G), int(op.B))
			} else {
				pdf.SetDrawColor(int(op.R), int(op.G), int(op.B))
				pdf.SetLineWidth(op.LineWidth * s)
				dash := make([]float64, len(op.Dashes))
				for i, v := range op.Dashes {
					dash[i] = v * s
				}
				pdf.SetDashPattern(dash, op.DashOffset*s)
			}
			for _, sg := range op.Path {
				switch sg.Kind {
				case plots.SegMove:
					x, y := px(sg.Pts[0])
					pdf.MoveTo(x, y)
				case plots.SegLine:
					x, y := px(sg.Pts[0])
					pdf.LineTo(x, y)
				case plots.SegCurve:
					x1, y1 := px(sg.Pts[0])
					x2, y2 := px(sg.Pts[1])
					x3, y3 := px(sg.Pts[2])
					pdf.CurveBezierCubicTo(x1, y1, x2, y2, x3, y3)
				case plots.SegClose:
					pdf.ClosePath()
				}
			}
			if op.Kind == plots.OpFill {
				pdf.DrawPath("f")
			} else {
				pdf.DrawPath("D")
			}
		case plots.OpText:
			setAlpha(op.A)
			family := map[string]string{"Sans": sansFont, "Serif": serifFont, "Mono": monoFont}[op.Family]
			style := ""
			if op.Bold {
				style += "B"
			}
			if op.Italic {
				style += "I"
			}
			fonts.set(family, style, op.Size*s)
			pdf.SetTextColor(int(op.R), int(op.G), int(op.B))
			x, y := px(op.At)
			if op.Angle != 0 {
				pdf.TransformBegin()
				pdf.TransformRotate(op.Angle*180/math.Pi, x, y)
				pdf.Text(x, y, tr(op.Text))
				pdf.TransformEnd()
			} else {
				pdf.Text(x, y, tr(op.Text))
			}
		}
	}
	setAlpha(1)
	pdf.SetDashPattern(nil, 0)
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetLineWidth(0.5)
}

// table draws a GFM table with columns sized to their content; the font
// shrinks (to 6 pt) before cells wrap, and the header repeats on each page.
func (w *pdfWriter) table(t *east.Table) {
	var rows [][]string
	var header int
	for r := t.FirstChild(); r != nil; r = r.NextSibling() {
		var cells []string
		for c := r.FirstChild(); c != nil; c = c.NextSibling() {
			cells = append(cells, w.text(strings.TrimSpace(string(plainText(c, w.src)))))
		}
		if _, ok := r.(*east.TableHeader); ok {
			header = 1
		}
		rows = append(rows, cells)
	}
	if len(rows) == 0 {
		return
	}
	ncol := len(rows[0])
	avail := w.contentWidth()
	const pad = 3.0
	// Shrink the font (to 6 pt) only while the longest words do not fit;
	// otherwise cells wrap.
	size := tableSize
	var natural, minimal []float64
	for {
		natural, minimal = make([]float64, ncol), make([]float64, ncol)
		for ri, r := range rows {
			style := ""
			if ri < header {
				style = "B"
			}
			w.fonts.set(sansFont, style, size)
			for ci := 0; ci < ncol && ci < len(r); ci++ {
				natural[ci] = math.Max(natural[ci], w.pdf.GetStringWidth(r[ci])+2*pad)
				for _, word := range strings.Fields(r[ci]) {
					minimal[ci] = math.Max(minimal[ci], w.pdf.GetStringWidth(word)+2*pad)
				}
			}
		}
		total := 0.0
		for _, v := range minimal {
			total += v
		}
		if total <= avail || size <= minTableSize {
			break
		}
		size -= 0.5
	}
	widths := fitColumns(natural, minimal, avail)
	lh := size * 1.25
	align := make([]string, ncol)
	for i := range align {
		align[i] = "L"
		if i < len(t.Alignments) && t.Alignments[i] == east.AlignRight {
			align[i] = "R"
		}
	}
	cells := tableCells{widths: widths, align: align, size: size, lh: lh, pad: pad}
	w.ensure(lh*6 + 8)
	for ri, r := range rows {
		var repeat []string
		if ri >= header && header > 0 {
			repeat = rows[0]
		}
		w.tableRow(r, repeat, cells, ri < header)
	}
	w.pdf.Ln(lh)
	w.size, w.style, w.mono = bodySize, "", false
	w.font()
}

// tableCells is the geometry of a table's cells: column widths and
// alignments, and the font size, line height and padding in points.
type tableCells struct {
	widths  []float64
	align   []string
	size    float64
	lh, pad float64
}

// tableRow draws row r of a table in grey boxes, filled and bold for a
// header row, and moves below it. A row that does not fit goes on a new
// page, after the header row repeat (when not nil).
func (w *pdfWriter) tableRow(r, repeat []string, c tableCells, bold bool) {
	style := ""
	if bold {
		style = "B"
	}
	w.fonts.set(sansFont, style, c.size)
	lines := make([][]string, len(c.widths))
	n := 1
	for ci, width := range c.widths {
		txt := ""
		if ci < len(r) {
			txt = r[ci]
		}
		lines[ci] = w.wrap(txt, width-2*c.pad+0.01)
		n = max(n, len(lines[ci]))
	}
	h := float64(n)*c.lh + 2
	if w.pdf.GetY()+h > w.pageBottom() {
		w.pdf.AddPage()
		if repeat != nil {
			w.tableRow(repeat, nil, c, true)
			w.fonts.set(sansFont, style, c.size)
		}
	}
	x, y := w.left, w.pdf.GetY()
	mode := "D"
	if bold {
		w.pdf.SetFillColor(235, 235, 235)
		mode = "FD"
	}
	w.pdf.SetDrawColor(170, 170, 170)
	for ci, width := range c.widths {
		w.pdf.Rect(x, y, width, h, mode)
		for li, l := range lines[ci] {
			w.pdf.SetXY(x+c.pad, y+1+float64(li)*c.lh)
			w.pdf.CellFormat(width-2*c.pad, c.lh, l, "", 0, c.align[ci], false, 0, "")
		}
		x += width
	}
	w.pdf.SetDrawColor(0, 0, 0)
	w.pdf.SetXY(w.left, y+h)
}

// fitColumns gives each column its natural width when all fit; otherwise
// each gets its minimum (its longest word) plus a share of the remaining
// space in proportion to how much more it would like.
func fitColumns(natural, minimal []float64, avail float64) []float64 {
	total, totalMin, want := 0.0, 0.0, 0.0
	for i := range natural {
		total += natural[i]
		totalMin += minimal[i]
		want += natural[i] - minimal[i]
	}
	if total <= avail {
		return append([]float64(nil), natural...)
	}
	extra := math.Max(avail-totalMin, 0)
	out := make([]float64, len(natural))
	for i := range natural {
		out[i] = minimal[i]
		if want > 0 {
			out[i] += extra * (natural[i] - minimal[i]) / want
		}
	}
	return out
}

// wrap breaks text into lines no wider than width in the current font, at
// spaces where it can and inside words (between characters) where it must.
func (w *pdfWriter) wrap(s string, width float64) []string {
	var lines []string
	line := ""
	fits := func(t string) bool { return w.pdf.GetStringWidth(t) <= width }
	for _, word := range strings.Split(s, " ") {
		cand := word
		if line != "" {
			cand = line + " " + word
		}
		if fits(cand) {
			line = cand
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		line = word
		for !fits(line) && utf8.RuneCountInString(line) > 1 {
			rs := []rune(line)
			n := len(rs) - 1
			for n > 1 && !fits(string(rs[:n])) {
				n--
			}
			lines = append(lines, string(rs[:n]))
			line = string(rs[n:])
		}
	}
	return append(lines, line)
}
