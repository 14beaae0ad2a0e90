// Package goldentest loads the golden preprocessing fixtures in the
// repository's testdata/golden: real ImageNet JPEGs and the input tensors
// torchvision makes from them, stored as 8-bit PNG crops plus the table of
// float32 values torchvision's normalisation gives each level. Tests of
// several packages share them; testdata/README.md says how they were made.
package goldentest

import (
	"encoding/csv"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Side is the side in pixels of every golden crop.
const Side = 224

// Image is one row of testdata/golden/manifest.csv; paths are absolute.
type Image struct {
	// JPEG is the ImageNet validation image.
	JPEG string
	// WNID is its class, Mode its PIL mode (RGB or L).
	WNID, Mode string
	// Center is the centre crop's levels (PNG, Side×Side).
	Center string
	// TenCrop is the ten crops' levels stacked top to bottom in
	// torchvision's TenCrop order (PNG, Side×10·Side), or "" for none.
	TenCrop string
}

// Levels maps a level 0..255 of each RGB channel to the float32 value it
// has in torchvision's normalised tensors (mean 0.485, 0.456, 0.406; std
// 0.229, 0.224, 0.225).
type Levels [3][256]float32

// Dir returns the absolute path of testdata/golden, found from the test's
// working directory up to the repository root. A missing fixture fails t.
func Dir(t testing.TB) string {
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
			t.Fatal("goldentest: cannot find the repository root (go.mod) above the test directory")
		}
		dir = parent
	}
	g := filepath.Join(dir, "testdata", "golden")
	if _, err := os.Stat(filepath.Join(g, "manifest.csv")); err != nil {
		t.Fatalf("goldentest: golden preprocessing fixtures missing (%v): restore them with 'git checkout -- testdata/golden'; testdata/README.md says how they were made", err)
	}
	return g
}

// Manifest reads the images listed in dir's manifest.csv.
func Manifest(t testing.TB, dir string) []Image {
	t.Helper()
	recs := readCSV(t, filepath.Join(dir, "manifest.csv"))
	var out []Image
	for _, r := range recs[1:] {
		if len(r) != 7 {
			t.Fatalf("goldentest: manifest.csv: row %v has %d fields, want 7", r, len(r))
		}
		im := Image{JPEG: filepath.Join(dir, r[0]), WNID: r[1], Mode: r[2], Center: filepath.Join(dir, r[5])}
		if r[6] != "" {
			im.TenCrop = filepath.Join(dir, r[6])
		}
		out = append(out, im)
	}
	if len(out) == 0 {
		t.Fatal("goldentest: manifest.csv lists no images")
	}
	return out
}

// ReadLevels reads dir's levels.csv, which must give all 3×256 levels.
func ReadLevels(t testing.TB, dir string) *Levels {
	t.Helper()
	path := filepath.Join(dir, "levels.csv")
	recs := readCSV(t, path)
	var l Levels
	var seen [3][256]bool
	for i, r := range recs[1:] {
		if len(r) != 4 {
			t.Fatalf("goldentest: %s:%d: %d fields, want channel,level,value,bits", path, i+2, len(r))
		}
		c, err1 := strconv.Atoi(r[0])
		v, err2 := strconv.Atoi(r[1])
		bits, err3 := strconv.ParseUint(r[3], 16, 32)
		if err1 != nil || err2 != nil || err3 != nil || c < 0 || c > 2 || v < 0 || v > 255 || seen[c][v] {
			t.Fatalf("goldentest: %s:%d: bad or repeated row %v", path, i+2, r)
		}
		x := math.Float32frombits(uint32(bits))
		if f, err := strconv.ParseFloat(r[2], 32); err != nil || float32(f) != x {
			t.Fatalf("goldentest: %s:%d: value %s does not match bits %s", path, i+2, r[2], r[3])
		}
		l[c][v], seen[c][v] = x, true
	}
	if len(recs) != 1+3*256 {
		t.Fatalf("goldentest: %s has %d levels, want 768", path, len(recs)-1)
	}
	return &l
}

// Tensor reads the PNG at path, crops×Side×Side pixels stacked top to
// bottom, and returns torchvision's normalised crops×3×Side×Side tensor.
func Tensor(t testing.TB, l *Levels, path string, crops int) []float32 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("goldentest: %v (restore with 'git checkout -- testdata/golden')", err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatalf("goldentest: %s: %v", path, err)
	}
	if b := im.Bounds(); b.Dx() != Side || b.Dy() != crops*Side {
		t.Fatalf("goldentest: %s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), Side, crops*Side)
	}
	plane := Side * Side
	out := make([]float32, crops*3*plane)
	b := im.Bounds()
	for k := 0; k < crops; k++ {
		for y := 0; y < Side; y++ {
			for x := 0; x < Side; x++ {
				c := color.NRGBAModel.Convert(im.At(b.Min.X+x, b.Min.Y+k*Side+y)).(color.NRGBA)
				i := k*3*plane + y*Side + x
				out[i] = l[0][c.R]
				out[plane+i] = l[1][c.G]
				out[2*plane+i] = l[2][c.B]
			}
		}
	}
	return out
}

func readCSV(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("goldentest: %v (restore with 'git checkout -- testdata/golden')", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("goldentest: %s: %v", path, err)
	}
	if len(recs) == 0 {
		t.Fatalf("goldentest: %s is empty", path)
	}
	return recs
}
