package accuracy

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/dnnbench/dnnbench/internal/goldentest"
	"github.com/dnnbench/dnnbench/internal/preprocess"
	"github.com/dnnbench/dnnbench/stages/accuracy/decode"
)

// layoutVariants are the zoo-style preprocessings of testdata/make_layouts.py,
// with the tensor shape each makes.
var layoutVariants = []struct {
	name  string
	p     Preprocess
	shape []int
}{
	{"caffe", Preprocess{SquashWidth: 40, SquashHeight: 32, Interpolation: "bicubic",
		Mean: [3]float64{103.939, 116.779, 123.68}, Std: [3]float64{1, 1, 1}, BGR: true, Scale: 255}, []int{3, 32, 40}},
	{"mxnet", Preprocess{SquashWidth: 48, SquashHeight: 40, Crop: 32, Interpolation: "bilinear",
		Mean: [3]float64{0.485, 0.456, 0.406}, Std: [3]float64{0.229, 0.224, 0.225}, Scale: 1}, []int{3, 32, 32}},
	{"lite4", Preprocess{Resize: 36, Crop: 32, Interpolation: "bilinear",
		Mean: [3]float64{127, 127, 127}, Std: [3]float64{128, 128, 128}, Scale: 255, NHWC: true}, []int{32, 32, 3}},
}

// TestLayoutsMatchPIL compares the squash (with and without a crop), BGR,
// raw-level and NHWC tensors with Pillow and NumPy's (testdata/README.md),
// on an RGB landscape, an RGB portrait and a small grayscale image.
func TestLayoutsMatchPIL(t *testing.T) {
	dir := goldentest.Dir(t)
	for _, img := range []string{"n01440764_tench", "n02669723_academic_gown", "n03804744_nail"} {
		im := decodeFile(t, filepath.Join(dir, "images", img+".JPEG"))
		for _, v := range layoutVariants {
			if err := v.p.Validate(); err != nil {
				t.Fatalf("%s: %v", v.name, err)
			}
			got, err := v.p.Tensor(im, CropCenter)
			if err != nil {
				t.Fatalf("%s %s: %v", img, v.name, err)
			}
			shape, want, err := readNPY(filepath.Join("testdata", "layouts", img+"_"+v.name+".npy"))
			if err != nil {
				t.Fatal(err)
			}
			if !equalInts(shape, v.shape) || len(want) != len(got) {
				t.Fatalf("%s %s: fixture shape %v (%d values), want %v (%d values)", img, v.name, shape, len(want), v.shape, len(got))
			}
			// Largest difference in 0..255 levels; the channel of value i is
			// i%3 in NHWC and i/plane in NCHW.
			worst := 0.0
			plane := len(got) / 3
			scale := v.p.Scale
			for i := range got {
				c := i / plane
				if v.p.NHWC {
					c = i % 3
				}
				d := math.Abs(float64(got[i])-float64(want[i])) * v.p.Std[c] * 255 / scale
				worst = max(worst, d)
			}
			// Same decoder as Pillow and the same float32 arithmetic: exact.
			// Another decoder may differ by a few levels on some pixels.
			limit := 0.0
			if decode.Backend != "libjpeg-turbo" {
				limit = 8
			}
			if worst > limit {
				t.Errorf("%s %s: values differ from Pillow's by up to %.3f levels, want at most %g (decoder %s)", img, v.name, worst, limit, decode.Backend)
			}
		}
	}
}

// TestLayoutOrder checks NHWC and BGR on a one-pixel-coloured image by
// position: NHWC interleaves the three channels of each pixel, NCHW keeps
// them in planes, and BGR puts blue first in both.
func TestLayoutOrder(t *testing.T) {
	im := &decode.Image{Width: 2, Height: 1, Channels: 3, Pix: []uint8{10, 20, 30, 40, 50, 60}}
	base := Preprocess{SquashWidth: 2, SquashHeight: 1, Interpolation: "bilinear", Std: [3]float64{1, 1, 1}, Scale: 255}
	for _, c := range []struct {
		nhwc, bgr bool
		want      []float32
	}{
		{false, false, []float32{10, 40, 20, 50, 30, 60}},
		{true, false, []float32{10, 20, 30, 40, 50, 60}},
		{false, true, []float32{30, 60, 20, 50, 10, 40}},
		{true, true, []float32{30, 20, 10, 60, 50, 40}},
	} {
		p := base
		p.NHWC, p.BGR = c.nhwc, c.bgr
		got, err := p.Tensor(im, CropCenter)
		if err != nil {
			t.Fatal(err)
		}
		if !equalFloats(got, c.want) {
			t.Errorf("%s %s: tensor %v, want %v", preprocess.Spec(p).Layout(), preprocess.Spec(p).Channels(), got, c.want)
		}
	}
}

// TestNoCropNeedsSquash checks the rules for an absent crop: it needs a
// squash, and the ten-crop mode then fails with a clear error.
func TestNoCropNeedsSquash(t *testing.T) {
	p := Preprocess{Resize: 256, Interpolation: "bilinear", Std: [3]float64{1, 1, 1}, Scale: 1}
	if err := p.Validate(); err == nil {
		t.Error("a shorter-side resize without crop validated")
	}
	p = Preprocess{SquashWidth: 8, SquashHeight: 8, Resize: 8, Crop: 8, Interpolation: "bilinear", Std: [3]float64{1, 1, 1}, Scale: 1}
	if err := p.Validate(); err == nil {
		t.Error("resize and squash together validated")
	}
	p = Preprocess{SquashWidth: 8, SquashHeight: 8, Interpolation: "bilinear", Std: [3]float64{1, 1, 1}, Scale: 1}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	im := &decode.Image{Width: 16, Height: 16, Channels: 1, Pix: make([]uint8, 256)}
	if _, err := p.Tensor(im, CropTen); err == nil {
		t.Error("ten-crop without a crop size succeeded")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalFloats(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
