package accuracy

import (
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/dnnbench/dnnbench/internal/goldentest"
)

func TestWritePreprocessed(t *testing.T) {
	g := goldentest.Dir(t)
	src := filepath.Join(g, "images", "n01440764_tench.JPEG")
	// The same image under an awkward name, twice, to exercise name cleaning.
	odd := filepath.Join(t.TempDir(), "we ird$name.JPEG")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(odd, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	files, err := WritePreprocessed(imagenetPreprocess, CropCenter, []string{src, odd, odd}, out)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"n01440764_tench.npy", "n01440764_tench.png", "we_ird_name.npy", "we_ird_name.png", "we_ird_name-2.npy", "we_ird_name-2.png"}
	var got []string
	for _, f := range files {
		if filepath.Dir(f) != out {
			t.Errorf("%s written outside %s", f, out)
		}
		got = append(got, filepath.Base(f))
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("wrote %v, want %v", got, want)
	}
	shape, x, err := readNPY(files[0])
	if err != nil {
		t.Fatal(err)
	}
	golden := goldentest.Tensor(t, goldentest.ReadLevels(t, g), filepath.Join(g, "center", "n01440764_tench.png"), 1)
	if !reflect.DeepEqual(shape, []int{3, 224, 224}) || levelDiff(imagenetPreprocess, x, golden) > 0.75 {
		t.Errorf("npy shape %v, or tensor far from the golden one", shape)
	}
	f, err := os.Open(files[1])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := im.Bounds(); b.Dx() != 224 || b.Dy() != 224 {
		t.Errorf("crop PNG is %v, want 224×224", b)
	}
	// The PNG holds the crop's levels: red of the first pixel matches the tensor.
	r, _, _, _ := im.At(0, 0).RGBA()
	if want := (float32(r>>8)/255 - float32(0.485)) / float32(0.229); x[0] != want {
		t.Errorf("PNG level %d does not give tensor value %v", r>>8, x[0])
	}

	files, err = WritePreprocessed(imagenetPreprocess, CropTen, []string{src}, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 11 || filepath.Base(files[10]) != "n01440764_tench_crop9.png" {
		t.Fatalf("ten-crop wrote %v", files)
	}
	shape, _, err = readNPY(files[0])
	if err != nil || !reflect.DeepEqual(shape, []int{10, 3, 224, 224}) {
		t.Errorf("ten-crop npy shape %v, err %v", shape, err)
	}
	if _, err := WritePreprocessed(imagenetPreprocess, "five", []string{src}, out); err == nil {
		t.Error("crop mode five accepted")
	}
	if _, err := WritePreprocessed(imagenetPreprocess, CropCenter, []string{filepath.Join(out, "missing.JPEG")}, out); err == nil {
		t.Error("missing image accepted")
	}
}

func TestSafeName(t *testing.T) {
	for in, want := range map[string]string{
		"/a/b/ILSVRC2012_val_00000001.JPEG": "ILSVRC2012_val_00000001",
		"../../etc/passwd":                  "passwd",
		".hidden.jpg":                       "_.hidden",
		"<script>x.png":                     "_script_x",
		"/":                                 "_",
	} {
		if got := safeName(in); got != want {
			t.Errorf("safeName(%q) = %q, want %q", in, got, want)
		}
	}
}
