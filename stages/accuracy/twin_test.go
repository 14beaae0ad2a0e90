package accuracy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/dnnbench/dnnbench/internal/goldentest"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/stages/accuracy/dataset"
	"github.com/dnnbench/dnnbench/stages/accuracy/decode"
)

// caffeMean is the Caffe ImageNet mean, in BGR order, in 0–255 levels.
var caffeMean = [3]float64{103.939, 116.779, 123.68}

// caffePreprocess is the Caffe-style twin of testPreprocess: the same
// geometry, but BGR raw levels minus the Caffe mean, laid out NHWC.
var caffePreprocess = Preprocess{Resize: 36, Crop: 32, Interpolation: "bilinear",
	Mean: caffeMean, Std: [3]float64{1, 1, 1}, BGR: true, Scale: 255, NHWC: true}

// buildCaffeColourModel writes the Caffe-style twin of the colour model: it
// takes "data" N×size×size×3 in BGR levels minus caffeMean and outputs
// softmax probabilities "prob" N×nclass×1×1. The preprocessing difference
// is folded into the Gemm: the colour model sees x_rgb = (y_bgr + mean)/255
// reversed, so W'[c][j] = W[c][2-j]/255 and b'_c = b_c + Σ_j W'[c][j]·mean_j.
func buildCaffeColourModel(t testing.TB, path string, nclass, size int) {
	t.Helper()
	w, b := colourGemm(nclass)
	wf := make([]float32, len(w))
	bf := make([]float32, len(b))
	for c := 0; c < nclass; c++ {
		bf[c] = b[c]
		for j := 0; j < 3; j++ {
			wf[c*3+j] = w[c*3+2-j] / 255
			bf[c] += wf[c*3+j] * float32(caffeMean[j])
		}
	}
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
	ints := func(name string, v ...int64) *onnx.AttributeProto {
		return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INTS, Ints: v}
	}
	m := &onnx.ModelProto{
		IrVersion:    8,
		ProducerName: "dnnbench accuracy test (caffe twin)",
		OpsetImport:  []*onnx.OperatorSetIdProto{{Version: 13}},
		Graph: &onnx.GraphProto{
			Name: "colour_caffe",
			Node: []*onnx.NodeProto{
				{OpType: "Transpose", Input: []string{"data"}, Output: []string{"nchw"}, Attribute: []*onnx.AttributeProto{ints("perm", 0, 3, 1, 2)}},
				{OpType: "GlobalAveragePool", Input: []string{"nchw"}, Output: []string{"pooled"}},
				{OpType: "Flatten", Input: []string{"pooled"}, Output: []string{"flat"},
					Attribute: []*onnx.AttributeProto{{Name: "axis", Type: onnx.AttributeProto_INT, I: 1}}},
				{OpType: "Gemm", Input: []string{"flat", "W", "b"}, Output: []string{"scores"},
					Attribute: []*onnx.AttributeProto{{Name: "transB", Type: onnx.AttributeProto_INT, I: 1}}},
				{OpType: "Softmax", Input: []string{"scores"}, Output: []string{"softmax"},
					Attribute: []*onnx.AttributeProto{{Name: "axis", Type: onnx.AttributeProto_INT, I: 1}}},
				{OpType: "Reshape", Input: []string{"softmax", "shape"}, Output: []string{"prob"}},
			},
			Initializer: []*onnx.TensorProto{
				{Name: "W", Dims: []int64{int64(nclass), 3}, DataType: int32(onnx.TensorProto_FLOAT), FloatData: wf},
				{Name: "b", Dims: []int64{int64(nclass)}, DataType: int32(onnx.TensorProto_FLOAT), FloatData: bf},
				{Name: "shape", Dims: []int64{4}, DataType: int32(onnx.TensorProto_INT64), Int64Data: []int64{-1, int64(nclass), 1, 1}},
			},
			Input:  []*onnx.ValueInfoProto{vi("data", dim(0, "N"), dim(int64(size), ""), dim(int64(size), ""), dim(3, ""))},
			Output: []*onnx.ValueInfoProto{vi("prob", dim(0, "N"), dim(int64(nclass), ""), dim(1, ""), dim(1, ""))},
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

// top1 runs one image through a model and returns the best class.
func top1(t *testing.T, s *onnxrt.Session, p Preprocess, im *decode.Image) int {
	t.Helper()
	b, err := s.NewBatch(1)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	x, err := p.Tensor(im, CropCenter)
	if err != nil {
		t.Fatal(err)
	}
	copy(b.Input(), x)
	if err := b.Run(); err != nil {
		t.Fatal(err)
	}
	out := b.Output()
	best := 0
	for c, v := range out {
		if v > out[best] {
			best = c
		}
	}
	return best
}

// TestCaffeTwinSameTop1 checks that a Caffe-style model (NHWC, BGR, 0–255
// minus the mean, softmax probabilities shaped N×1000×1×1) and its
// torchvision-style twin (NCHW logits N×1000 on RGB 0–1) give the same top-1
// on every image: per image on the designed colour images and real golden
// photographs (colour and grayscale), and as the accuracy stage's
// measured top-1/top-5 on a dataset.
func TestCaffeTwinSameTop1(t *testing.T) {
	classes := loadClasses(t)
	lib := libraryPath(t)
	if _, err := onnxrt.Init(lib); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	torchPath, caffePath := filepath.Join(dir, "torch.onnx"), filepath.Join(dir, "caffe.onnx")
	buildColourModel(t, torchPath, classes.Len())
	buildCaffeColourModel(t, caffePath, classes.Len(), 32)
	if err := caffePreprocess.Validate(); err != nil {
		t.Fatal(err)
	}

	torch, err := onnxrt.NewSession(torchPath, onnxrt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer torch.Close()
	caffe, err := onnxrt.NewSession(caffePath, onnxrt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer caffe.Close()

	dec, err := decode.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var ims []*decode.Image
	for _, ti := range testImages() {
		if ti.skipped {
			continue
		}
		im, err := dec.Decode(ti.data(t))
		if err != nil {
			t.Fatalf("image %s: %v", ti.name, err)
		}
		ims = append(ims, im)
	}
	for _, g := range goldentest.Manifest(t, goldentest.Dir(t)) {
		ims = append(ims, decodeFile(t, g.JPEG))
	}
	seen := map[int]bool{}
	for i, im := range ims {
		a, b := top1(t, torch, testPreprocess, im), top1(t, caffe, caffePreprocess, im)
		if a != b {
			t.Errorf("image %d: torchvision-style top-1 class %d, Caffe-style %d", i, a, b)
		}
		seen[a] = true
	}
	if len(seen) < 4 {
		t.Errorf("the images reach only %d distinct top-1 classes; the comparison needs variety", len(seen))
	}

	// The accuracy stage scores both alike, reading NHWC input and
	// N×1000×1×1 probabilities from the graph.
	images := testImages()
	data := buildDataset(t, dataset.ValTxt, images, classes)
	cfg := Config{Dataset: data, Crops: []string{CropCenter}, BatchSize: 4, Workers: 2, Library: lib, MaxSkippedPercent: 25}
	var rows [2][]Row
	for i, m := range []Model{
		{Name: "torch", Path: torchPath, Weights: "pretrained", Preprocess: testPreprocess},
		{Name: "caffe", Path: caffePath, Weights: "pretrained", Preprocess: caffePreprocess},
	} {
		if rows[i], _, err = runModel(context.Background(), cfg, m, nil, nil); err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
		if len(rows[i]) != 1 {
			t.Fatalf("%s: %d rows, want 1", m.Name, len(rows[i]))
		}
	}
	n, want1, want5, _ := expected(images)
	for i, r := range []Row{rows[0][0], rows[1][0]} {
		if r.N != n || r.Top1 != 100*float64(want1)/float64(n) || r.Top5 != 100*float64(want5)/float64(n) {
			t.Errorf("model %d: n=%d top1 %.4f top5 %.4f, want %d, %.4f, %.4f", i, r.N, r.Top1, r.Top5, n, 100*float64(want1)/float64(n), 100*float64(want5)/float64(n))
		}
	}
}

// TestSquashWithoutCropScoresCenterOnly scores the Caffe-style model on the
// squashed image without a crop, as the zoo's Caffe models were: the
// center mode gives the designed results, and the ten-crop mode, which
// needs a crop, is left out with a warning rather than failing every image.
func TestSquashWithoutCropScoresCenterOnly(t *testing.T) {
	classes := loadClasses(t)
	lib := libraryPath(t)
	path := filepath.Join(t.TempDir(), "caffe.onnx")
	buildCaffeColourModel(t, path, classes.Len(), 32)
	p := caffePreprocess
	p.Resize, p.Crop, p.SquashWidth, p.SquashHeight = 0, 0, 32, 32
	images := testImages()
	cfg := Config{Dataset: buildDataset(t, dataset.ValTxt, images, classes), Crops: []string{CropCenter, CropTen},
		BatchSize: 4, Workers: 2, Library: lib, MaxSkippedPercent: 25}
	rows, warns, err := runModel(context.Background(), cfg, Model{Name: "caffe", Path: path, Weights: "pretrained", Preprocess: p}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Crop != CropCenter {
		t.Fatalf("rows %+v, want the center row only", rows)
	}
	n, want1, want5, _ := expected(images)
	if r := rows[0]; r.N != n || r.Top1 != 100*float64(want1)/float64(n) || r.Top5 != 100*float64(want5)/float64(n) {
		t.Errorf("n=%d top1 %.4f top5 %.4f, want %d, %.4f, %.4f", r.N, r.Top1, r.Top5, n, 100*float64(want1)/float64(n), 100*float64(want5)/float64(n))
	}
	found := false
	for _, w := range warns {
		found = found || (w.Code == "ten-crop-not-scored" && strings.Contains(w.Message, "ten-crop not scored"))
	}
	if !found {
		t.Errorf("warnings %q, want one saying the ten-crop mode was not scored", warns)
	}
}
