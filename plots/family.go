package plots

import (
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dnnbench/dnnbench/stages/models"
)

// familyPalette holds one colour per family of models.Families(), in that
// order: Kelly's colours of maximum contrast without white and black, with
// grey last for "other".
var familyPalette = []color.NRGBA{
	{0x88, 0x2D, 0x17, 0xff}, // AlexNet: reddish brown
	{0xBE, 0x00, 0x32, 0xff}, // VGG: red
	{0x00, 0x67, 0xA5, 0xff}, // ResNet: blue
	{0xF3, 0xC3, 0x00, 0xff}, // SqueezeNet: yellow
	{0x00, 0x88, 0x56, 0xff}, // DenseNet: green
	{0x87, 0x56, 0x92, 0xff}, // Inception/GoogLeNet: purple
	{0xF3, 0x84, 0x00, 0xff}, // MobileNet: orange
	{0xA1, 0xCA, 0xF1, 0xff}, // ShuffleNet: light blue
	{0xC2, 0xB2, 0x80, 0xff}, // MnasNet: buff
	{0xE6, 0x8F, 0xAC, 0xff}, // EfficientNet: purplish pink
	{0x60, 0x4E, 0x97, 0xff}, // ConvNeXt: violet
	{0x8D, 0xB6, 0x00, 0xff}, // ViT: yellow green
	{0xF9, 0x93, 0x79, 0xff}, // RegNet: yellowish pink
	{0xB3, 0x44, 0x6C, 0xff}, // SENet: purplish red
	{0xDC, 0xD3, 0x00, 0xff}, // Xception: greenish yellow
	{0x65, 0x45, 0x22, 0xff}, // DPN: yellowish brown
	{0x2B, 0x3D, 0x26, 0xff}, // NASNet: olive green
	{0x84, 0x84, 0x82, 0xff}, // other: grey
}

// FamilyColor returns the colour of an architecture family (as
// models.Family names it); an unknown family gets the colour of "other".
func FamilyColor(family string) color.NRGBA {
	fams := models.Families()
	i := slices.Index(fams, family)
	if i < 0 || i >= len(familyPalette) {
		return familyPalette[len(familyPalette)-1]
	}
	return familyPalette[i]
}

// SortFamilies returns the distinct families in fs in the order of
// models.Families(), unknown ones last in name order.
func SortFamilies(fs []string) []string {
	order := models.Families()
	rank := func(f string) int {
		if i := slices.Index(order, f); i >= 0 {
			return i
		}
		return len(order)
	}
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	return slices.Compact(out)
}

// LegendLine is a line of a figure legend: a stroke of Style and its label.
type LegendLine struct {
	Label string
	Style draw.LineStyle
}

// WithFamilyLegend draws inner on the canvas less a column on the right,
// where it draws a legend of the families (their colour and name, in the
// order of models.Families()) and below them the lines. With neither,
// inner gets the whole canvas.
func WithFamilyLegend(families []string, lines []LegendLine, inner func(draw.Canvas)) func(draw.Canvas) {
	fams := SortFamilies(families)
	return func(dc draw.Canvas) {
		if len(fams) == 0 && len(lines) == 0 {
			inner(dc)
			return
		}
		sty := text.Style{Color: color.Black, Font: font.From(sansFont, 8.5), Handler: plot.DefaultTextHandler,
			XAlign: draw.XLeft, YAlign: draw.YCenter}
		head := sty
		head.Font = font.From(sansFont, 9)
		const pad, swatch, gap, row = vg.Length(6), vg.Length(7), vg.Length(4), vg.Length(12)
		const line = vg.Length(16)
		w := head.Width("Family")
		for _, f := range fams {
			w = max(w, swatch+gap+sty.Width(cleanLabel(f)))
		}
		for _, l := range lines {
			w = max(w, line+gap+sty.Width(cleanLabel(l.Label)))
		}
		w += 2 * pad
		inner(draw.Crop(dc, 0, -w, 0, 0))
		x := dc.Max.X - w + pad
		y := dc.Max.Y - 2*pad - row/2
		if len(fams) > 0 {
			dc.FillText(head, vg.Point{X: x, Y: y}, "Family")
		}
		for _, f := range fams {
			y -= row
			col := FamilyColor(f)
			center := vg.Point{X: x + swatch/2, Y: y}
			var path vg.Path
			path.Move(vg.Point{X: center.X + swatch/2, Y: center.Y})
			path.Arc(center, swatch/2, 0, 2*math.Pi)
			path.Close()
			dc.SetColor(color.NRGBA{col.R, col.G, col.B, 150})
			dc.Fill(path)
			dc.SetColor(col)
			dc.SetLineWidth(0.8)
			dc.SetLineDash(nil, 0)
			dc.Stroke(path)
			dc.FillText(sty, vg.Point{X: x + swatch + gap, Y: y}, cleanLabel(f))
		}
		if len(fams) > 0 && len(lines) > 0 {
			y -= row / 2
		}
		for _, l := range lines {
			y -= row
			dc.StrokeLine2(l.Style, x, y, x+line, y)
			dc.FillText(sty, vg.Point{X: x + line + gap, Y: y}, cleanLabel(l.Label))
		}
	}
}
