package accuracy

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/dnnbench/dnnbench/stages/accuracy/decode"
)

// imagenetPreprocess is the standard torchvision evaluation recipe.
var imagenetPreprocess = Preprocess{
	Resize: 256, Crop: 224, Interpolation: "bilinear",
	Mean: [3]float64{0.485, 0.456, 0.406}, Std: [3]float64{0.229, 0.224, 0.225}, Scale: 1,
}

// goldenDir finds ../shared/golden next to the repository root.
func goldenDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("accuracy: cannot find the repository root (go.mod) above the test directory")
		}
		dir = parent
	}
	g := filepath.Join(dir, "..", "shared", "golden")
	if _, err := os.Stat(filepath.Join(g, "manifest.csv")); err != nil {
		t.Fatalf("accuracy: golden preprocessing data missing: %v", err)
	}
	return g
}

type goldenImage struct{ image, wnid, mode, center, tencrop string }

func goldenManifest(t testing.TB, dir string) []goldenImage {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "manifest.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenImage
	for _, r := range recs[1:] {
		out = append(out, goldenImage{image: r[0], wnid: r[1], mode: r[2], center: r[5], tencrop: r[6]})
	}
	if len(out) == 0 {
		t.Fatal("golden manifest is empty")
	}
	return out
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
	dir := goldenDir(t)
	var total float64
	imgs := goldenManifest(t, dir)
	for _, g := range imgs {
		im := decodeFile(t, filepath.Join(dir, g.image))
		got, err := imagenetPreprocess.Tensor(im, CropCenter)
		if err != nil {
			t.Fatalf("%s: %v", g.image, err)
		}
		shape, want, err := readNPY(filepath.Join(dir, g.center))
		if err != nil {
			t.Fatal(err)
		}
		if len(shape) != 3 || len(want) != len(got) {
			t.Fatalf("%s: golden shape %v, got %d values", g.image, shape, len(got))
		}
		d := levelDiff(imagenetPreprocess, got, want)
		t.Logf("%s (%s): mean abs diff %.4f levels", g.image, g.mode, d)
		if n := differing(got, want); decode.Backend == "libjpeg-turbo" && n != 0 {
			// Same decoder as PIL, exact resampling, same float32 arithmetic.
			t.Errorf("%s: %d of %d values differ from torchvision's; want bit-identical with libjpeg-turbo", g.image, n, len(got))
		}
		if d > 0.75 {
			t.Errorf("%s: mean abs diff %.4f levels > 0.75", g.image, d)
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
	dir := goldenDir(t)
	var total float64
	n := 0
	for _, g := range goldenManifest(t, dir) {
		if g.tencrop == "" {
			continue
		}
		path := filepath.Join(dir, g.tencrop)
		if _, err := os.Stat(path); err != nil {
			continue // the manifest lists ten-crop tensors for the first rows only
		}
		im := decodeFile(t, filepath.Join(dir, g.image))
		got, err := imagenetPreprocess.Tensor(im, CropTen)
		if err != nil {
			t.Fatalf("%s: %v", g.image, err)
		}
		shape, want, err := readNPY(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(shape) != 4 || shape[0] != 10 || len(want) != len(got) {
			t.Fatalf("%s: golden shape %v, got %d values", g.image, shape, len(got))
		}
		if n := differing(got, want); decode.Backend == "libjpeg-turbo" && n != 0 {
			t.Errorf("%s: %d of %d ten-crop values differ from torchvision's; want bit-identical", g.image, n, len(got))
		}
		size := 3 * 224 * 224
		for k := 0; k < 10; k++ {
			d := levelDiff(imagenetPreprocess, got[k*size:(k+1)*size], want[k*size:(k+1)*size])
			if d > 0.75 {
				t.Errorf("%s crop %d: mean abs diff %.4f levels > 0.75", g.image, k, d)
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
