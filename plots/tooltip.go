package plots

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strconv"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// tipMark starts the placeholder text that tipCanvas writes where a
// marker's <title> goes: a private-use character, which cleanLabel removes
// from every drawn name, so no label can forge a placeholder.
const tipMark = "\uE000tip"

// tipCanvas is the SVG canvas of a figure: WithTooltip groups a marker's
// shapes and leaves a placeholder that svg replaces with the <title>.
type tipCanvas struct {
	*vgsvg.Canvas
	face font.Face
	tips []string
}

func newTipCanvas(w, h vg.Length) *tipCanvas {
	return &tipCanvas{Canvas: vgsvg.New(w, h), face: font.DefaultCache.Lookup(font.From(sansFont, 1), 1)}
}

// WithTooltip draws a marker with fn. In the SVG output the shapes fn draws
// form one group whose first child is <title>title</title>, which browsers
// show as a tooltip (no script); other formats draw fn alone.
func WithTooltip(c draw.Canvas, title string, fn func(draw.Canvas)) {
	t, ok := baseCanvas(c).(*tipCanvas)
	if !ok || title == "" {
		fn(c)
		return
	}
	t.Push()
	// vgsvg opens a group for a transform and closes it on Pop.
	t.Translate(vg.Point{})
	t.Canvas.FillString(t.face, vg.Point{}, tipMark+strconv.Itoa(len(t.tips)))
	t.tips = append(t.tips, title)
	fn(c)
	t.Pop()
}

var tipText = regexp.MustCompile("<text [^>]*>" + tipMark + "([0-9]+)</text>")

// svg writes the canvas and replaces each placeholder by its escaped title.
func (t *tipCanvas) svg() ([]byte, error) {
	var buf bytes.Buffer
	if _, err := t.Canvas.WriteTo(&buf); err != nil {
		return nil, err
	}
	var bad error
	out := tipText.ReplaceAllFunc(buf.Bytes(), func(m []byte) []byte {
		i, err := strconv.Atoi(string(tipText.FindSubmatch(m)[1]))
		if err != nil || i >= len(t.tips) {
			bad = fmt.Errorf("svg tooltip placeholder %q has no title", m)
			return m
		}
		return []byte("<title>" + html.EscapeString(cleanLabel(t.tips[i])) + "</title>")
	})
	if bad != nil {
		return nil, bad
	}
	return out, nil
}

// baseCanvas returns the vg.Canvas under c and the draw.Canvases that
// gonum/plot wraps around it when it crops.
func baseCanvas(c draw.Canvas) vg.Canvas {
	v := c.Canvas
	for {
		switch w := v.(type) {
		case draw.Canvas:
			v = w.Canvas
		case *draw.Canvas:
			v = w.Canvas
		default:
			return v
		}
	}
}
