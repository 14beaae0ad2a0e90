package zoo

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dnnbench/dnnbench/internal/onnxrt"
)

// TestVitBatchIndependent runs a small ViT (same builder, 2 blocks, width
// 64) at batch 1 and batch 3 and checks each image's logits do not depend on
// the batch it is in: the class token is expanded to the run-time batch and
// attention mixes tokens, never images.
func TestVitBatchIndependent(t *testing.T) {
	lib, err := onnxrt.Locate("")
	if err != nil {
		t.Fatalf("%v (make test runs 'make setup' first)", err)
	}
	if _, err := onnxrt.Init(lib); err != nil {
		t.Fatal(err)
	}
	g := NewGraph(3, 32, 32)
	logits := vit(g, vitSpec{patch: 8, layers: 2, heads: 4, hidden: 64, mlp: 128})
	path := filepath.Join(t.TempDir(), "vit_small.onnx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.WriteTo(f, "vit_small", logits, DefaultSeed); err != nil {
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

	const n, per = 3, 3 * 32 * 32
	pixel := func(img, i int) float32 { return float32((i*7+img*131)%255)/255 - 0.5 }
	b3, err := s.NewBatch(n)
	if err != nil {
		t.Fatal(err)
	}
	defer b3.Close()
	in := b3.Input()
	for img := 0; img < n; img++ {
		for i := 0; i < per; i++ {
			in[img*per+i] = pixel(img, i)
		}
	}
	if err := b3.Run(); err != nil {
		t.Fatal(err)
	}
	out3 := b3.Output()

	b1, err := s.NewBatch(1)
	if err != nil {
		t.Fatal(err)
	}
	defer b1.Close()
	for img := 0; img < n; img++ {
		in := b1.Input()
		for i := range in {
			in[i] = pixel(img, i)
		}
		if err := b1.Run(); err != nil {
			t.Fatal(err)
		}
		out1 := b1.Output()
		for j, v := range out1 {
			if w := out3[img*1000+j]; math.Abs(float64(v-w)) > 1e-4*(1+math.Abs(float64(v))) {
				t.Fatalf("image %d logit %d: %v alone, %v in a batch of %d", img, j, v, w, n)
			}
		}
	}
	if out3[0] == out3[1000] {
		t.Fatalf("images 0 and 1 give the same first logit %v: the input does not reach the output", out3[0])
	}
}
