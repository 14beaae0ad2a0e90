package report

import (
	"fmt"
	"strings"

	"codeberg.org/go-fonts/liberation/liberationmonobold"
	"codeberg.org/go-fonts/liberation/liberationmonobolditalic"
	"codeberg.org/go-fonts/liberation/liberationmonoitalic"
	"codeberg.org/go-fonts/liberation/liberationmonoregular"
	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansbolditalic"
	"codeberg.org/go-fonts/liberation/liberationsansitalic"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"codeberg.org/go-fonts/liberation/liberationserifbold"
	"codeberg.org/go-fonts/liberation/liberationserifbolditalic"
	"codeberg.org/go-fonts/liberation/liberationserifitalic"
	"codeberg.org/go-fonts/liberation/liberationserifregular"
	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/image/font/sfnt"
)

// The PDF's font families: the Liberation fonts (metric-compatible with
// Helvetica, Times and Courier, and the fonts of the figures' SVG),
// embedded as Unicode TrueType subsets.
const (
	sansFont  = "LiberationSans"
	serifFont = "LiberationSerif"
	monoFont  = "LiberationMono"
)

// fontData is the TrueType file of a family in a style ("", "B", "I", "BI").
func fontData(family, style string) []byte {
	type key struct{ family, style string }
	switch (key{family, style}) {
	case key{sansFont, ""}:
		return liberationsansregular.TTF
	case key{sansFont, "B"}:
		return liberationsansbold.TTF
	case key{sansFont, "I"}:
		return liberationsansitalic.TTF
	case key{sansFont, "BI"}:
		return liberationsansbolditalic.TTF
	case key{serifFont, ""}:
		return liberationserifregular.TTF
	case key{serifFont, "B"}:
		return liberationserifbold.TTF
	case key{serifFont, "I"}:
		return liberationserifitalic.TTF
	case key{serifFont, "BI"}:
		return liberationserifbolditalic.TTF
	case key{monoFont, ""}:
		return liberationmonoregular.TTF
	case key{monoFont, "B"}:
		return liberationmonobold.TTF
	case key{monoFont, "I"}:
		return liberationmonoitalic.TTF
	case key{monoFont, "BI"}:
		return liberationmonobolditalic.TTF
	}
	return nil
}

// fonts sets the PDF's font, embedding each family and style the first
// time it is used, so a PDF carries only the fonts it shows.
type fonts struct {
	pdf   *fpdf.Fpdf
	added map[string]bool
}

// set selects family (one of the Liberation families) in style at size
// points; an unknown family falls back to Liberation Sans, an unknown style
// to regular.
func (f *fonts) set(family, style string, size float64) {
	if fontData(family, "") == nil {
		family = sansFont
	}
	if fontData(family, style) == nil {
		style = ""
	}
	if !f.added[family+style] {
		f.pdf.AddUTF8FontFromBytes(family, style, fontData(family, style))
		f.added[family+style] = true
	}
	f.pdf.SetFont(family, style, size)
}

// superDigit is the value of a superscript digit (⁰ to ⁹), or -1.
func superDigit(r rune) int {
	for d, s := range []rune("⁰¹²³⁴⁵⁶⁷⁸⁹") {
		if r == s {
			return d
		}
	}
	return -1
}

// newEncoder returns the function that prepares text for the PDF: a
// character Liberation Sans has (Latin, Greek, Cyrillic, ≥ ≤ ± × † …)
// prints as itself. A run of superscript digits with one the font lacks
// prints as ^ and plain digits (10⁹ as 10^9; R² stays), ∝ as ~, and any
// other missing character as a \uXXXX escape, so a Chinese file name stays
// legible and distinct instead of becoming empty boxes.
func newEncoder() (func(string) string, error) {
	font, err := sfnt.Parse(liberationsansregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("report: pdf: font: %w", err)
	}
	var buf sfnt.Buffer
	has := map[rune]bool{}
	hasGlyph := func(r rune) bool {
		ok, seen := has[r]
		if !seen {
			g, err := font.GlyphIndex(&buf, r)
			ok = r < 0x80 || (err == nil && g != 0)
			has[r] = ok
		}
		return ok
	}
	return func(s string) string {
		var b strings.Builder
		rs := []rune(s)
		for i := 0; i < len(rs); i++ {
			r := rs[i]
			if superDigit(r) >= 0 {
				j, all := i, true
				for j < len(rs) && superDigit(rs[j]) >= 0 {
					all = all && hasGlyph(rs[j])
					j++
				}
				if all {
					b.WriteString(string(rs[i:j]))
				} else {
					b.WriteByte('^')
					for _, d := range rs[i:j] {
						b.WriteByte(byte('0' + superDigit(d)))
					}
				}
				i = j - 1
				continue
			}
			switch {
			case hasGlyph(r):
				b.WriteRune(r)
			case r == '∝':
				b.WriteByte('~')
			case r > 0xffff:
				fmt.Fprintf(&b, `\U%08x`, r)
			default:
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		}
		return b.String()
	}, nil
}
