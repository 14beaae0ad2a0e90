package accuracy

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dnnbench/dnnbench/internal/goldentest"
	"github.com/dnnbench/dnnbench/stages/accuracy/decode"
)

// imagenetPreprocess is the standard torchvision evaluation recipe.
var imagenetPreprocess = Preprocess{
	Resize: 256, Crop: 224, Interpolation: "bilinear",
	Mean: [3]float64{0.485, 0.456, 0.406}, Std: [3]float64{0.229, 0.224, 0.225}, Scale: 1,
}

// TestNormaliserMatchesTorchvision checks the per-level table against the
// float32 value each level of each channel has in torchvision's golden
// tensors: every golden tensor value is one of these 768, so with the 8-bit
// crops this pins the normalisation bit for bit.
func TestNormaliserMatchesTorchvision(t *testing.T) {
	want := goldentest.ReadLevels(t, goldentest.Dir(t))
	got := imagenetPreprocess.normaliser()
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			if math.Float32bits(got[c][v]) != math.Float32bits(want[c][v]) {
				t.Errorf("channel %d level %d: %v, torchvision %v", c, v, got[c][v], want[c][v])
			}
		}
	}
}

// levelDiff is the mean absolute difference of two normalised tensors in
// 0..255 levels after undoing the normalisation.
func levelDiff(p Preprocess, got, want []float32) float64 {
	plane := len(got) / 3
	if len(got)%(3*p.Crop*p.Crop) == 0 {
		plane = p.Crop * p.Crop
	}
	var sum float64
	for i := range got {
		c := (i / plane) % 3
		g := (float64(got[i])*p.Std[c] + p.Mean[c]) * 255
		w := (float64(want[i])*p.Std[c] + p.Mean[c]) * 255
		sum += math.Abs(g - w)
	}
	return sum / float64(len(got))
}

func decodeFile(t testing.TB, path string) *decode.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := decode.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	im, err := d.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return im
}

func TestFidelityCenter(t *testing.T) {
	dir := goldentest.Dir(t)
	levels := goldentest.ReadLevels(t, dir)
	imgs := goldentest.Manifest(t, dir)
	var total float64
	for _, g := range imgs {
		name := filepath.Base(g.JPEG)
		im := decodeFile(t, g.JPEG)
		got, err := imagenetPreprocess.Tensor(im, CropCenter)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := goldentest.Tensor(t, levels, g.Center, 1)
		if len(want) != len(got) {
			t.Fatalf("%s: golden tensor has %d values, got %d", name, len(want), len(got))
		}
		d := levelDiff(imagenetPreprocess, got, want)
		t.Logf("%s (%s): mean abs diff %.4f levels", name, g.Mode, d)
		if n := differing(got, want); decode.Backend == "libjpeg-turbo" && n != 0 {
			// Same decoder as PIL, exact resampling, same float32 arithmetic.
			t.Errorf("%s: %d of %d values differ from torchvision's; want bit-identical with libjpeg-turbo", name, n, len(got))
		}
		if d > 0.75 {
			t.Errorf("%s: mean abs diff %.4f levels > 0.75", name, d)
		}
		total += d
	}
	mean := total / float64(len(imgs))
	t.Logf("average over %d images: %.4f levels (decoder %s)", len(imgs), mean, decode.Backend)
	if mean > 0.25 {
		t.Errorf("average mean abs diff %.4f levels > 0.25", mean)
	}
}

func TestFidelityTenCrop(t *testing.T) {
	dir := goldentest.Dir(t)
	levels := goldentest.ReadLevels(t, dir)
	var total float64
	n := 0
	for _, g := range goldentest.Manifest(t, dir) {
		if g.TenCrop == "" {
			continue // the manifest lists ten-crop tensors for the first rows only
		}
		name := filepath.Base(g.JPEG)
		im := decodeFile(t, g.JPEG)
		got, err := imagenetPreprocess.Tensor(im, CropTen)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := goldentest.Tensor(t, levels, g.TenCrop, 10)
		if len(want) != len(got) {
			t.Fatalf("%s: golden tensor has %d values, got %d", name, len(want), len(got))
		}
		if n := differing(got, want); decode.Backend == "libjpeg-turbo" && n != 0 {
			t.Errorf("%s: %d of %d ten-crop values differ from torchvision's; want bit-identical", name, n, len(got))
		}
		size := 3 * 224 * 224
		for k := 0; k < 10; k++ {
			d := levelDiff(imagenetPreprocess, got[k*size:(k+1)*size], want[k*size:(k+1)*size])
			if d > 0.75 {
				t.Errorf("%s crop %d: mean abs diff %.4f levels > 0.75", name, k, d)
			}
			total += d
			n++
		}
	}
	if n != 40 {
		t.Fatalf("compared %d ten-crop crops, want 40 (4 images × 10)", n)
	}
	mean := total / float64(n)
	t.Logf("ten-crop average over %d crops: %.4f levels", n, mean)
	if mean > 0.25 {
		t.Errorf("ten-crop average mean abs diff %.4f levels > 0.25", mean)
	}
}

// differing counts values that are not bit-identical.
func differing(got, want []float32) int {
	n := 0
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			n++
		}
	}
	return n
}
