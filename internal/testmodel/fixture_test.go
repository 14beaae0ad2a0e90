package testmodel

import (
	"flag"
	"testing"

	"github.com/dnnbench/dnnbench/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the committed model fixture")

// The quick config's accuracy check model is this package's 224×224 model,
// committed so a fresh clone runs the quick report without Python; the test
// keeps the file equal to what Bytes builds.
func TestQuickCheckModelFixture(t *testing.T) {
	b, err := Bytes(Spec{Size: 224})
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 20000 {
		t.Fatalf("model is %d bytes; the fixture should stay small", len(b))
	}
	golden.Check(t, "../../testdata/models/meancolour-224.onnx", b, *update)
}
