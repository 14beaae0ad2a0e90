package report

import (
	"bytes"
	"fmt"
	"html"
	"regexp"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/dnnbench/dnnbench/plots"
)

// newMarkdown is the one goldmark configuration both HTML and PDF use.
func newMarkdown(extra ...goldmark.Option) goldmark.Markdown {
	opts := append([]goldmark.Option{goldmark.WithExtensions(extension.Table), goldmark.WithParserOptions(parser.WithAutoHeadingID())}, extra...)
	return goldmark.New(opts...)
}

// parse returns the syntax tree of the report's Markdown.
func parse(src []byte) ast.Node {
	return newMarkdown().Parser().Parse(text.NewReader(src))
}

// figureRenderer writes report figures inline as SVG, so the HTML file
// stands alone; other images keep goldmark's default rendering.
type figureRenderer struct {
	figs map[string]plots.Figure // by Markdown link
}

func (r *figureRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, r.renderImage)
}

var svgProlog = regexp.MustCompile(`(?s)^<\?xml[^>]*\?>\s*(<!--.*?-->\s*)?`)

func (r *figureRenderer) renderImage(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	img := n.(*ast.Image)
	alt := html.EscapeString(string(plainText(img, src)))
	f, ok := r.figs[string(img.Destination)]
	if !ok {
		fmt.Fprintf(w, `<img src="%s" alt="%s">`, html.EscapeString(string(util.URLEscape(img.Destination, true))), alt)
		return ast.WalkSkipChildren, nil
	}
	svg := svgProlog.ReplaceAll(f.SVG, nil)
	svg = bytes.Replace(svg, []byte("<svg "), []byte(`<svg role="img" aria-label="`+alt+`" style="max-width:100%;height:auto" `), 1)
	w.Write(svg)
	return ast.WalkSkipChildren, nil
}

// plainText concatenates the text under a node.
func plainText(n ast.Node, src []byte) []byte {
	var b bytes.Buffer
	ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(util.UnescapePunctuations(t.Segment.Value(src)))
			if t.SoftLineBreak() || t.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(t.Value)
		case *ast.CodeSpan:
			for cc := t.FirstChild(); cc != nil; cc = cc.NextSibling() {
				if tt, ok := cc.(*ast.Text); ok {
					b.Write(tt.Segment.Value(src))
				}
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return b.Bytes()
}

const htmlHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s</title>
<style>
body{font-family:"Liberation Sans",Helvetica,Arial,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.45;color:#111}
table{border-collapse:collapse;margin:0.5em 0 1em;font-size:0.9em}
th,td{border:1px solid #bbb;padding:0.2em 0.5em;vertical-align:top}
th{background:#eee}
code{font-size:0.9em}
svg{display:block;margin:1em auto}
th button.sort{font:inherit;color:inherit;background:none;border:0;padding:0;cursor:pointer;text-align:inherit}
th[aria-sort=ascending] button.sort::after{content:" \25B2"}
th[aria-sort=descending] button.sort::after{content:" \25BC"}
</style>
</head>
<body>
`

// sortScript makes every table sortable by clicking a column header: the
// header's text becomes a button, the first click sorts ascending, the next
// descending. A cell is compared by the number it starts with (so "1.25 †"
// is 1.25), numbers before text, text in natural order; empty and "–"
// cells stay last either way, and equal keys keep their order. Without
// script the tables read as they are.
const sortScript = `<script>
(function () {
  function key(cell) {
    var s = cell ? cell.textContent.trim() : "";
    if (s === "" || s === "\u2013" || s === "-") return {empty: true};
    var m = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i.exec(s);
    return m ? {num: parseFloat(m[0])} : {text: s};
  }
  function compare(a, b, asc) {
    if (a.empty || b.empty) return (a.empty ? 1 : 0) - (b.empty ? 1 : 0);
    var d;
    if (a.num !== undefined && b.num !== undefined) d = a.num - b.num;
    else if (a.num !== undefined) d = -1;
    else if (b.num !== undefined) d = 1;
    else d = a.text.localeCompare(b.text, undefined, {numeric: true});
    return asc ? d : -d;
  }
  function sortBy(table, head, col) {
    var asc = head.getAttribute("aria-sort") !== "ascending";
    var heads = table.tHead.rows[0].cells;
    for (var i = 0; i < heads.length; i++) heads[i].setAttribute("aria-sort", "none");
    head.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (r, i) { return {row: r, i: i, key: key(r.cells[col])}; });
    rows.sort(function (a, b) { return compare(a.key, b.key, asc) || a.i - b.i; });
    rows.forEach(function (r) { body.appendChild(r.row); });
  }
  var tables = document.querySelectorAll("table");
  for (var t = 0; t < tables.length; t++) {
    var table = tables[t];
    if (!table.tHead || !table.tBodies.length) continue;
    var heads = table.tHead.rows[0].cells;
    for (var c = 0; c < heads.length; c++) {
      var head = heads[c], button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.title = "Sort by this column";
      while (head.firstChild) button.appendChild(head.firstChild);
      head.appendChild(button);
      head.setAttribute("aria-sort", "none");
      button.addEventListener("click", sortBy.bind(null, table, head, c));
    }
  }
})();
</script>
`

// toHTML renders the Markdown as a standalone HTML document.
func toHTML(title string, md []byte, figs map[string]plots.Figure) ([]byte, error) {
	conv := newMarkdown(goldmark.WithRendererOptions(
		gmhtml.WithXHTML(),
		renderer.WithNodeRenderers(util.Prioritized(&figureRenderer{figs: figs}, 1)),
	))
	var buf bytes.Buffer
	fmt.Fprintf(&buf, htmlHead, html.EscapeString(title))
	if err := conv.Convert(md, &buf); err != nil {
		return nil, fmt.Errorf("report: html: %w", err)
	}
	buf.WriteString(sortScript)
	buf.WriteString("</body>\n</html>\n")
	return buf.Bytes(), nil
}
