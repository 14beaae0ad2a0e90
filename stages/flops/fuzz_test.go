package flops

import (
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds returns serialized models covering every op family the tests
// build, plus the PyTorch fixtures.
func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, b := range []*builder{
		flattenGraph(),
		newBuilder(13).input("x", "N", 3, 8, 8).weight("w", 4, 3, 3, 3).weight("b", 4).
			node("Conv", []string{"x", "w", "b"}, []string{"y"}, aInts("pads", 1, 1, 1, 1), aInt("group", 1)).
			node("MaxPool", []string{"y"}, []string{"p"}, aInts("kernel_shape", 2, 2), aInt("ceil_mode", 1)).output("p"),
		newBuilder(11).input("x", "N", 6, 1, 4).ints("pads", nil, 0, 0, 0, 1, 0, 0, 0, 2).
			node("Split", []string{"x"}, []string{"a", "b"}, aInt("axis", 1), aInts("split", 2, 4)).
			node("Squeeze", []string{"b"}, []string{"c"}, aInts("axes", 2)).
			node("Pad", []string{"a", "pads"}, []string{"e"}).output("c").output("e"),
		newBuilder(13).input("q", "N", 2, 4, 8).input("k", "N", 2, 4, 8).
			node("Transpose", []string{"k"}, []string{"kt"}, aInts("perm", 0, 1, 3, 2)).
			node("MatMul", []string{"q", "kt"}, []string{"s"}).
			node("ReduceMean", []string{"s"}, []string{"p"}, aInts("axes", -1)).output("p"),
		newBuilder(13).input("x", "N", 2, 3).
			node("Constant", nil, []string{"shape"}, aTensorInts("value", []int64{2}, 0, -1)).
			node("Reshape", []string{"x", "shape"}, []string{"r"}).
			node("ConstantOfShape", []string{"shape"}, []string{"c"}, aTensorInts("value", []int64{1}, 1)).
			node("Range", []string{"shape", "shape", "shape"}, []string{"g"}).output("r"),
	} {
		seeds = append(seeds, b.bytes(f))
	}
	for _, name := range []string{"tiny_pytorch_opset13.onnx", "tiny_pytorch_opset17.onnx"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	return append(seeds, nil, []byte{0x3a, 0x02, 0x0a, 0x00}, []byte("\xff\xff\xff\xff"))
}

// FuzzRead checks that any bytes give a model or an error, never a panic.
func FuzzRead(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadBytes(data)
		if err == nil && m == nil {
			t.Fatal("nil model without an error")
		}
	})
}

// FuzzCount runs the reader, shape inference and counting on any bytes
// at a small batch: errors are fine, panics and negative counts are not.
func FuzzCount(f *testing.F) {
	for i, s := range fuzzSeeds(f) {
		f.Add(s, uint8(i%4))
	}
	f.Fuzz(func(t *testing.T, data []byte, batch uint8) {
		m, err := ReadBytes(data)
		if err != nil {
			return
		}
		res, err := Analyze(m, Config{Batch: int64(batch%8) + 1})
		if err != nil {
			return
		}
		r := res.Row
		if r.Params < 0 || r.MACs < 0 || r.FLOPs < 0 || r.ActivationBytes < 0 || r.PeakActivationBytes < 0 || r.PaperMACs > r.MACs {
			t.Fatalf("impossible counts %+v", r)
		}
	})
}
