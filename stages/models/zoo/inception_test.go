package zoo

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dnnbench/dnnbench/internal/onnxrt"
)

// trainingOnlyParams is the number of parameters a published count
// includes for heads that run only in training and so are absent from the
// evaluation graph the zoo builds. torchvision's num_params for
// inception_v3 counts its auxiliary classifier.
func trainingOnlyParams(arch string) int64 {
	if arch != "inception_v3" {
		return 0
	}
	return inceptionV3AuxParams()
}

// inceptionV3AuxParams builds torchvision's InceptionAux on Mixed_6e's
// 768×17×17 output (5×5/3 average pool, BasicConv2d 768→128 1×1,
// BasicConv2d 128→768 5×5, global average pool, fully connected 768→1000)
// and counts its parameters.
func inceptionV3AuxParams() int64 {
	g := NewGraph(768, 17, 17)
	x := g.AvgPool(g.Input(), 5, 3, 0, false, true)
	x = g.torchvisionBasicConv(x, ConvSpec{Out: 128, K: 1})
	x = g.torchvisionBasicConv(x, ConvSpec{Out: 768, K: 5})
	g.Classifier(x, 1000)
	return g.Params()
}

// TestInceptionV3EvalParams checks the figure for the evaluation
// graph and that it is torchvision's num_params less the auxiliary head.
func TestInceptionV3EvalParams(t *testing.T) {
	a, err := Lookup("inception_v3")
	if err != nil {
		t.Fatal(err)
	}
	g, logits, err := NewFor(a)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Params(), int64(23_834_568); got != want {
		t.Errorf("inception_v3 evaluation graph has %d params, want %d", got, want)
	}
	if got, want := inceptionV3AuxParams(), int64(3_326_696); got != want {
		t.Errorf("inception_v3 auxiliary head has %d params, want %d", got, want)
	}
	if g.Input().H() != 299 || logits.Shape[0] != 1000 {
		t.Errorf("inception_v3 maps %v to %v, want 3×299×299 to 1000", g.Input().Shape, logits.Shape)
	}
}

// TestTransformInput runs the transform on known pixels through ONNX
// Runtime and compares with torchvision's formula.
func TestTransformInput(t *testing.T) {
	lib, err := onnxrt.Locate("")
	if err != nil {
		t.Fatalf("%v (make test runs 'make setup' first)", err)
	}
	if _, err := onnxrt.Init(lib); err != nil {
		t.Fatal(err)
	}
	g := NewGraph(3, 2, 2)
	out := g.TransformInput(g.Input())
	if g.Params() != 0 {
		t.Errorf("transform_input adds %d parameters, want 0", g.Params())
	}
	path := filepath.Join(t.TempDir(), "transform.onnx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.WriteTo(f, "transform", out, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := onnxrt.NewSession(path, onnxrt.Options{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := s.NewBatch(2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	in := b.Input()
	for i := range in {
		in[i] = float32(i)/4 - 3
	}
	if err := b.Run(); err != nil {
		t.Fatal(err)
	}
	mean := []float64{0.485, 0.456, 0.406}
	std := []float64{0.229, 0.224, 0.225}
	got := b.Output()
	if len(got) != len(in) {
		t.Fatalf("%d outputs, want %d", len(got), len(in))
	}
	for i, v := range got {
		c := (i / 4) % 3
		want := float64(in[i])*(std[c]/0.5) + (mean[c]-0.5)/0.5
		if math.Abs(float64(v)-want) > 1e-5 {
			t.Errorf("element %d (channel %d): %v, want %v", i, c, v, want)
		}
	}
}
