package report

import (
	"testing"

	"github.com/yuin/goldmark/ast"
)

// TestEscRoundTrip checks that escaped text parses back to itself as plain
// text, whatever Markdown or HTML it contains.
func TestEscRoundTrip(t *testing.T) {
	for _, s := range []string{
		"resnet50", "efficientnet_b0", "_em_ and *strong*", "1. not a list", "- not a bullet", "+ nor this",
		"# no heading", "a|b|c", "<script>alert(1)</script>", "[link](javascript:x)", "![img](x.png)",
		"&amp; &#65;", "`code`", "~~strike~~", "back\\slash", "10) item", "= underline", "x > y",
	} {
		doc := parse([]byte("- " + esc(s) + "\n"))
		item := doc.FirstChild().FirstChild()
		if item == nil || item.FirstChild() == nil {
			t.Errorf("esc(%q) did not stay one list item", s)
			continue
		}
		got := string(plainText(item.FirstChild(), []byte("- "+esc(s)+"\n")))
		if got != s {
			t.Errorf("esc(%q) parses back as %q", s, got)
		}
		for c := item.FirstChild().FirstChild(); c != nil; c = c.NextSibling() {
			if c.Kind() != ast.KindText {
				t.Errorf("esc(%q) parses to a %s, want plain text", s, c.Kind())
			}
		}
	}
}
