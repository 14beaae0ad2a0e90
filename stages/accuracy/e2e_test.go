package accuracy

import (
	"bytes"
	"context"
	"fmt"
	"github.com/dnnbench/dnnbench/internal/diag"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/stages/accuracy/dataset"
)

// The test classifier scores class c by -|x-μ_c|² up to a constant, where x
// is the mean colour of the crop in 0..1: GlobalAveragePool → Flatten →
// Gemm with W_c = 2μ_c and b_c = -|μ_c|². Classes 0..7 have these colour
// prototypes; every other class sits far away at (3,3,3).
var prototypes = [][3]float32{
	{1, 0, 0},    // 0 red
	{0, 1, 0},    // 1 green
	{0, 0, 1},    // 2 blue
	{.5, .5, .5}, // 3 gray
	{1, .5, 0},   // 4 orange
	{1, 1, 1},    // 5 white
	{0, 0, 0},    // 6 black
	{.5, 0, .6},  // 7 purple
}

const (
	clsRed, clsGreen, clsBlue, clsGray, clsOrange, clsWhite, clsBlack, clsPurple = 0, 1, 2, 3, 4, 5, 6, 7
	clsFar                                                                       = 999
)

// testPreprocess matches the test model: 32-pixel crops of the colour in 0..1.
var testPreprocess = Preprocess{Resize: 36, Crop: 32, Interpolation: "bilinear", Std: [3]float64{1, 1, 1}, Scale: 1}

// buildColourModel writes the test classifier as an ONNX file.
func buildColourModel(t testing.TB, path string, nclass int) {
	buildColourModelSize(t, path, nclass, 32)
}

// colourGemm is the test classifier's Gemm: W (nclass×3, RGB columns) and b.
func colourGemm(nclass int) (w, b []float32) {
	w = make([]float32, nclass*3)
	b = make([]float32, nclass)
	for c := 0; c < nclass; c++ {
		mu := [3]float32{3, 3, 3}
		if c < len(prototypes) {
			mu = prototypes[c]
		}
		for i := 0; i < 3; i++ {
			w[c*3+i] = 2 * mu[i]
			b[c] -= mu[i] * mu[i]
		}
	}
	return w, b
}

// buildColourModelSize is buildColourModel for crops of the given size.
func buildColourModelSize(t testing.TB, path string, nclass, size int) {
	t.Helper()
	w, b := colourGemm(nclass)
	dim := func(v int64, p string) *onnx.TensorShapeProto_Dimension {
		if p != "" {
			return &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimParam{DimParam: p}}
		}
		return &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: v}}
	}
	vi := func(name string, dims ...*onnx.TensorShapeProto_Dimension) *onnx.ValueInfoProto {
		return &onnx.ValueInfoProto{Name: name, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
			TensorType: &onnx.TypeProto_Tensor{ElemType: int32(onnx.TensorProto_FLOAT), Shape: &onnx.TensorShapeProto{Dim: dims}}}}}
	}
	m := &onnx.ModelProto{
		IrVersion:    8,
		ProducerName: "dnnbench accuracy test",
		OpsetImport:  []*onnx.OperatorSetIdProto{{Version: 13}},
		Graph: &onnx.GraphProto{
			Name: "colour",
			Node: []*onnx.NodeProto{
				{OpType: "GlobalAveragePool", Input: []string{"input"}, Output: []string{"pooled"}},
				{OpType: "Flatten", Input: []string{"pooled"}, Output: []string{"flat"},
					Attribute: []*onnx.AttributeProto{{Name: "axis", Type: onnx.AttributeProto_INT, I: 1}}},
				{OpType: "Gemm", Input: []string{"flat", "W", "b"}, Output: []string{"logits"},
					Attribute: []*onnx.AttributeProto{{Name: "transB", Type: onnx.AttributeProto_INT, I: 1}}},
			},
			Initializer: []*onnx.TensorProto{
				{Name: "W", Dims: []int64{int64(nclass), 3}, DataType: int32(onnx.TensorProto_FLOAT), FloatData: w},
				{Name: "b", Dims: []int64{int64(nclass)}, DataType: int32(onnx.TensorProto_FLOAT), FloatData: b},
			},
			Input:  []*onnx.ValueInfoProto{vi("input", dim(0, "N"), dim(3, ""), dim(int64(size), ""), dim(int64(size), ""))},
			Output: []*onnx.ValueInfoProto{vi("logits", dim(0, "N"), dim(int64(nclass), ""))},
		},
	}
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func encodeJPEG(t testing.TB, im image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, im, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func solidRGB(c color.RGBA) *image.RGBA {
	im := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := 0; i < len(im.Pix); i += 4 {
		im.Pix[i], im.Pix[i+1], im.Pix[i+2], im.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return im
}

// testImage is one dataset entry with its designed outcome.
type testImage struct {
	name       string
	data       func(t testing.TB) []byte
	label      int
	top1, top5 bool
	skipped    bool
}

var (
	red   = color.RGBA{R: 255, A: 255}
	green = color.RGBA{G: 255, A: 255}
	blue  = color.RGBA{B: 255, A: 255}
)

// testImages: for a red crop the classes rank red, orange, purple, gray,
// black (then green, blue, white tied far behind); for green: green, gray,
// black, orange, purple; for blue: blue, purple, gray, black; for gray 128:
// gray first.
func testImages() []testImage {
	jpg := func(c color.RGBA) func(t testing.TB) []byte {
		return func(t testing.TB) []byte { return encodeJPEG(t, solidRGB(c)) }
	}
	gray := func(t testing.TB) []byte {
		g := image.NewGray(image.Rect(0, 0, 48, 64))
		for i := range g.Pix {
			g.Pix[i] = 128
		}
		return encodeJPEG(t, g)
	}
	return []testImage{
		{name: "01", data: jpg(red), label: clsRed, top1: true, top5: true},
		{name: "02", data: jpg(red), label: clsBlack, top5: true},
		{name: "03", data: jpg(red), label: clsGreen},
		{name: "04", data: jpg(green), label: clsGreen, top1: true, top5: true},
		{name: "05", label: clsOrange, top5: true, data: func(t testing.TB) []byte { // a PNG named .JPEG
			var buf bytes.Buffer
			if err := png.Encode(&buf, solidRGB(green)); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}},
		{name: "06", data: jpg(blue), label: clsBlue, top1: true, top5: true},
		{name: "07", label: clsPurple, top5: true, data: func(t testing.TB) []byte { // CMYK JPEG, blue
			b, err := os.ReadFile("decode/testdata/cmyk_blue.jpg")
			if err != nil {
				t.Fatal(err)
			}
			return b
		}},
		{name: "08", data: gray, label: clsGray, top1: true, top5: true},
		{name: "09", data: gray, label: clsFar},
		{name: "10", label: clsWhite, skipped: true, data: func(testing.TB) []byte { return []byte("not an image, just text\n") }},
		{name: "11", label: clsWhite, skipped: true, data: func(t testing.TB) []byte { // truncated JPEG
			im := image.NewRGBA(image.Rect(0, 0, 64, 48))
			for i := range im.Pix {
				im.Pix[i] = uint8(i*7919 + i/13)
			}
			b := encodeJPEG(t, im)
			return b[:len(b)*6/10]
		}},
		{name: "12", label: clsWhite, skipped: true, data: func(testing.TB) []byte { // corrupt JPEG
			return append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{0x13, 0x37}, 64)...)
		}},
	}
}

func fileName(n string) string { return "ILSVRC2012_val_000000" + n + ".JPEG" }

// buildDataset writes the test images in one of the three layouts.
func buildDataset(t testing.TB, layout string, images []testImage, classes *dataset.Classes) string {
	t.Helper()
	dir := t.TempDir()
	var list strings.Builder
	switch layout {
	case dataset.Kaggle:
		list.WriteString("ImageId,PredictionString\n")
	}
	for _, im := range images {
		wnid := classes.WNIDs[im.label]
		p := filepath.Join(dir, fileName(im.name))
		switch layout {
		case dataset.ImageFolder:
			p = filepath.Join(dir, wnid, fileName(im.name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
		case dataset.Kaggle:
			fmt.Fprintf(&list, "%s,%s 10 20 30 40 %s 1 2 3 4 \n", strings.TrimSuffix(fileName(im.name), ".JPEG"), wnid, wnid)
		case dataset.ValTxt:
			fmt.Fprintf(&list, "%s %d\n", fileName(im.name), im.label)
		}
		if err := os.WriteFile(p, im.data(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	switch layout {
	case dataset.Kaggle:
		if err := os.WriteFile(filepath.Join(dir, dataset.KaggleSolution), []byte(list.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	case dataset.ValTxt:
		if err := os.WriteFile(filepath.Join(dir, dataset.CaffeList), []byte(list.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func expected(images []testImage) (n, top1, top5, skipped int64) {
	for _, im := range images {
		switch {
		case im.skipped:
			skipped++
		default:
			n++
			if im.top1 {
				top1++
			}
			if im.top5 {
				top5++
			}
		}
	}
	return
}

func loadClasses(t testing.TB) *dataset.Classes {
	t.Helper()
	c, err := dataset.LoadClasses(configs.FS)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func libraryPath(t testing.TB) string {
	t.Helper()
	lib, err := onnxrt.Locate("")
	if err != nil {
		t.Fatalf("ONNX Runtime is needed by this test (run make setup): %v", err)
	}
	return lib
}

// mapCheckpoint is an in-memory Checkpoint that counts its calls.
type mapCheckpoint struct {
	m           map[string]ChunkResult
	loads, hits int
	saves       int
}

func (c *mapCheckpoint) Load(k Chunk) (ChunkResult, bool, error) {
	c.loads++
	r, ok := c.m[k.Key]
	if ok {
		c.hits++
	}
	return r, ok, nil
}

func (c *mapCheckpoint) Save(k Chunk, r ChunkResult) error {
	c.saves++
	c.m[k.Key] = r
	return nil
}

func TestEndToEndLayouts(t *testing.T) {
	classes := loadClasses(t)
	lib := libraryPath(t)
	modelPath := filepath.Join(t.TempDir(), "colour.onnx")
	buildColourModel(t, modelPath, classes.Len())
	images := testImages()
	wantN, want1, want5, wantSkip := expected(images)
	if wantN != 9 || want1 != 4 || want5 != 7 || wantSkip != 3 {
		t.Fatalf("test table: n=%d top1=%d top5=%d skipped=%d, want 9/4/7/3", wantN, want1, want5, wantSkip)
	}
	m := Model{Name: "colour", Path: modelPath, Weights: "pretrained", Preprocess: testPreprocess}
	for _, layout := range []string{dataset.ImageFolder, dataset.Kaggle, dataset.ValTxt} {
		t.Run(layout, func(t *testing.T) {
			dir := buildDataset(t, layout, images, classes)
			cfg := Config{Dataset: dir, Crops: []string{CropCenter, CropTen}, BatchSize: 4, Workers: 2, ChunkSize: 5, Library: lib, MaxSkippedPercent: 25}
			var calls, last int
			rows, warns, err := runModel(context.Background(), cfg, m, nil, func(done, total int) {
				calls++
				if total != 2*len(images) || done <= last {
					t.Errorf("progress(%d, %d) after %d", done, total, last)
				}
				last = done
			})
			if err != nil {
				t.Fatal(err)
			}
			if last != 2*len(images) || calls < 6 {
				t.Errorf("progress ended at %d after %d calls, want %d after at least 6 (3 chunks × 2 crops)", last, calls, 2*len(images))
			}
			if len(rows) != 2 {
				t.Fatalf("got %d rows, want 2", len(rows))
			}
			for i, r := range rows {
				if r.DatasetImages != int64(len(images)) {
					t.Errorf("row %d: dataset_images %d, want %d", i, r.DatasetImages, len(images))
				}
				if r.Crop != cfg.Crops[i] || r.Model != "colour" || r.Source != "measured" || r.Dataset != dir || r.Status != StatusOK {
					t.Errorf("row %d: %+v", i, r)
				}
				if r.N != wantN || r.Skipped != wantSkip {
					t.Errorf("%s: n=%d skipped=%d, want %d, %d", r.Crop, r.N, r.Skipped, wantN, wantSkip)
				}
				if r.Top1 != 100*float64(want1)/float64(wantN) || r.Top5 != 100*float64(want5)/float64(wantN) {
					t.Errorf("%s: top1 %.4f top5 %.4f, want %.4f %.4f", r.Crop, r.Top1, r.Top5, 100*float64(want1)/float64(wantN), 100*float64(want5)/float64(wantN))
				}
				if want := 100 * WilsonHalfWidth(want1, wantN); r.Top1CI95 != want || r.Top1CI95 <= 0 {
					t.Errorf("%s: CI %.4f, want %.4f", r.Crop, r.Top1CI95, want)
				}
				for _, n := range []string{"10", "11", "12"} {
					if !strings.Contains(strings.Join(r.Warnings, "\n"), fileName(n)) {
						t.Errorf("%s: row warnings %q do not name %s", r.Crop, r.Warnings, fileName(n))
					}
				}
			}
			skipWarn := 0
			for _, w := range warns {
				if w.Code == "image-skipped" && w.Model == "colour" && strings.Contains(w.Message, "skipped") {
					skipWarn++
				}
			}
			if skipWarn != 6 {
				t.Errorf("%d skip warnings, want 6 (3 images × 2 crop modes): %q", skipWarn, warns)
			}
		})
	}
}

// A measured model with a reference also gets its published row, so the
// report can set the two side by side; a limit is visible as a subset.
func TestMeasuredModelKeepsItsPublishedRow(t *testing.T) {
	classes := loadClasses(t)
	modelPath := filepath.Join(t.TempDir(), "colour.onnx")
	buildColourModel(t, modelPath, classes.Len())
	images := testImages()
	dir := buildDataset(t, dataset.ImageFolder, images, classes)
	m := Model{Name: "colour", Path: modelPath, Weights: "pretrained", Preprocess: testPreprocess, Reference: "torchvision:ResNet50_Weights.IMAGENET1K_V1"}
	cfg := Config{Dataset: dir, Crops: []string{CropCenter}, BatchSize: 4, Workers: 1, Library: libraryPath(t), MaxSkippedPercent: 50, Limit: 6}
	rows, _, err := runModel(context.Background(), cfg, m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Source != "measured" || rows[1].Source != "published:"+m.Reference {
		t.Fatalf("rows %+v, want measured then published", rows)
	}
	if rows[1].Model != "colour" || rows[1].Top1 != 76.13 || rows[1].Status != StatusOK {
		t.Errorf("published row %+v", rows[1])
	}
	if got := rows[0].N + rows[0].Skipped; got != 6 || rows[0].DatasetImages != int64(len(images)) {
		t.Errorf("scored %d of %d listed, want 6 of %d", got, rows[0].DatasetImages, len(images))
	}
	m.Reference = "torchvision:NoSuch_Weights"
	rows, warns, err := runModel(context.Background(), cfg, m, nil, nil)
	if err != nil || len(rows) != 1 || !slices.ContainsFunc(warns, func(w diag.Warning) bool { return w.Code == "reference-not-found" }) {
		t.Errorf("unknown reference: rows %d, warns %q, err %v; want the measured row and a warning", len(rows), warns, err)
	}
}

func TestCheckpointResumes(t *testing.T) {
	classes := loadClasses(t)
	lib := libraryPath(t)
	modelPath := filepath.Join(t.TempDir(), "colour.onnx")
	buildColourModel(t, modelPath, classes.Len())
	images := testImages()
	dir := buildDataset(t, dataset.ValTxt, images, classes)
	m := Model{Name: "colour", Path: modelPath, Weights: "pretrained", Preprocess: testPreprocess}
	cfg := Config{Dataset: dir, BatchSize: 3, Workers: 1, ChunkSize: 4, Library: lib, MaxSkippedPercent: 25}
	cp := &mapCheckpoint{m: map[string]ChunkResult{}}
	first, _, err := runModel(context.Background(), cfg, m, cp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cp.saves != 3 || cp.hits != 0 {
		t.Fatalf("first run: %d saves, %d hits; want 3 chunks saved, none found", cp.saves, cp.hits)
	}
	// A second run must take every chunk from the checkpoint: doctor one to prove it.
	for k, r := range cp.m {
		if r.Scored == 4 && r.Skipped == nil {
			r.Top1 = 4
			cp.m[k] = r
			break
		}
	}
	second, _, err := runModel(context.Background(), cfg, m, cp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cp.saves != 3 || cp.hits != 3 {
		t.Fatalf("second run: %d saves, %d hits; want no new saves and 3 hits", cp.saves, cp.hits)
	}
	if first[0].Top1 == second[0].Top1 {
		t.Errorf("second run top-1 %.3f equals the first; the doctored checkpoint was not used", second[0].Top1)
	}
	if first[0].N != second[0].N || first[0].Top5 != second[0].Top5 {
		t.Errorf("resumed run %+v differs from the first %+v", second[0], first[0])
	}
	// Changing the limit changes the chunks, so nothing is reused.
	cfg.Limit = 6
	cp2 := &mapCheckpoint{m: cp.m}
	rows, _, err := runModel(context.Background(), cfg, m, cp2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cp2.hits != 0 {
		t.Errorf("limit 6 reused %d chunks of the full run", cp2.hits)
	}
	// Every 2nd of 12 sorted images: 01 03 05 07 09 11.
	if rows[0].N != 5 || rows[0].Skipped != 1 || math.Abs(rows[0].Top1-20) > 1e-9 || math.Abs(rows[0].Top5-60) > 1e-9 {
		t.Errorf("limit 6: %+v, want n=5 skipped=1 top1=20 top5=60", rows[0])
	}
}

func TestRandomWeightsArePublishedNotMeasured(t *testing.T) {
	m := Model{Name: "r50", Path: "/nonexistent.onnx", Weights: "random", Reference: "torchvision:ResNet50_Weights.IMAGENET1K_V1"}
	rows, _, err := runModel(context.Background(), Config{Dataset: "/nonexistent"}, m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Source != "published:torchvision:ResNet50_Weights.IMAGENET1K_V1" || rows[0].Top1 != 76.13 || rows[0].Model != "r50" || rows[0].N != 0 {
		t.Errorf("got %+v", rows)
	}
	m.Reference = ""
	rows, warns, err := runModel(context.Background(), Config{Dataset: "/nonexistent"}, m, nil, nil)
	if err != nil || len(rows) != 0 || len(warns) != 1 {
		t.Errorf("no reference: rows %v, warnings %q, err %v; want no rows and one warning", rows, warns, err)
	}
}

// linkTree rebuilds the ImageFolder at src out of symbolic links: every
// other class folder is itself a link, the others are real folders of
// linked files; the result is reached through a linked root.
func linkTree(t *testing.T, src string) string {
	t.Helper()
	tree := t.TempDir()
	classes, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range classes {
		from, to := filepath.Join(src, c.Name()), filepath.Join(tree, c.Name())
		if i%2 == 0 {
			if err := os.Symlink(from, to); err != nil {
				t.Fatal(err)
			}
			continue
		}
		files, err := os.ReadDir(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(to, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.Symlink(filepath.Join(from, f.Name()), filepath.Join(to, f.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	root := filepath.Join(t.TempDir(), "val")
	if err := os.Symlink(tree, root); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestSymlinkedImageFolderScoresLikeACopy: a dataset made of links (files,
// class folders, root) gives exactly the rows of the real files.
func TestSymlinkedImageFolderScoresLikeACopy(t *testing.T) {
	classes := loadClasses(t)
	lib := libraryPath(t)
	modelPath := filepath.Join(t.TempDir(), "colour.onnx")
	buildColourModel(t, modelPath, classes.Len())
	images := testImages()
	m := Model{Name: "colour", Path: modelPath, Weights: "pretrained", Preprocess: testPreprocess}
	copyDir := buildDataset(t, dataset.ImageFolder, images, classes)
	linked := linkTree(t, copyDir)
	score := func(dir string) []Row {
		cfg := Config{Dataset: dir, Crops: []string{CropCenter, CropTen}, BatchSize: 4, Workers: 2, Library: lib, MaxSkippedPercent: 100}
		rows, _, err := runModel(context.Background(), cfg, m, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			rows[i].Dataset = ""
		}
		return rows
	}
	want, got := score(copyDir), score(linked)
	if len(want) != 2 || want[0].N != 9 {
		t.Fatalf("copy: %+v, want two rows of 9 images", want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("linked dataset:\n%+v\nwant the copy's\n%+v", got, want)
	}
}
