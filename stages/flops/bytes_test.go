package flops

import "testing"

// bytesGraph is a small network whose bytes moved are worked out by hand in
// TestBytesMoved: Conv → BatchNormalization → Relu → (folded Shape/Gather,
// Constant) → Reshape → Gemm → Mul by a Constant → Add of a shared weight.
func bytesGraph() *builder {
	return newBuilder(13).input("x", "N", 3, 8, 8).
		weight("w", 4, 3, 3, 3).weight("b", 4).
		weight("s", 4).weight("bb", 4).weight("m", 4).weight("v", 4).
		weight("W", 10, 256).weight("C", 10).weight("unused", 7).
		ints("i0", []int64{}, 0).
		node("Conv", []string{"x", "w", "b"}, []string{"y1"}, aInts("kernel_shape", 3, 3), aInts("pads", 1, 1, 1, 1)).
		node("BatchNormalization", []string{"y1", "s", "bb", "m", "v"}, []string{"y2"}).
		node("Relu", []string{"y2"}, []string{"y3"}).
		node("Shape", []string{"y3"}, []string{"sh"}).
		node("Gather", []string{"sh", "i0"}, []string{"n0"}).
		node("Constant", nil, []string{"tgt"}, aTensorInts("value", []int64{2}, 0, -1)).
		node("Reshape", []string{"y3", "tgt"}, []string{"f"}).
		node("Gemm", []string{"f", "W", "C"}, []string{"g"}, aInt("transB", 1)).
		node("Constant", nil, []string{"k"}, aFloat("value_float", 2)).
		node("Mul", []string{"g", "k"}, []string{"h"}).
		node("Add", []string{"h", "C"}, []string{"out"}).
		output("out")
}

func TestBytesMoved(t *testing.T) {
	// Weights, each once: w 108 + b 4 + BatchNormalization's s, bb, m, v 4×4
	// + W 2560 + C 10 (read by Gemm and Add) floats, and the Constant k (one
	// float): 2699 floats = 10796 bytes. Not counted: "unused" (no reader),
	// i0 (read only by the folded Gather) and tgt (read only by Reshape,
	// whose output shares its input's buffer).
	const weights = 4 * (108 + 4 + 16 + 2560 + 10 + 1)
	// Activations per image, read + written, in floats:
	//   Conv  x 3·8·8 = 192 in, y1 4·8·8 = 256 out
	//   BatchNormalization 256 + 256, Relu 256 + 256
	//   Shape, Gather (folded), Constant ×2, Reshape (alias): nothing
	//   Gemm  f 256 in, g 10 out; Mul 10 + 10; Add 10 + 10
	const perImage = 4 * (192 + 256 + 512 + 512 + 256 + 10 + 20 + 20)
	for _, batch := range []int64{1, 2} {
		res := bytesGraph().analyze(t, batch)
		if res.Row.WeightBytes != weights {
			t.Errorf("batch %d: weight bytes %d, want %d", batch, res.Row.WeightBytes, weights)
		}
		if res.Row.IOBytesPerImage != perImage {
			t.Errorf("batch %d: io bytes per image %d, want %d", batch, res.Row.IOBytesPerImage, perImage)
		}
		if len(res.Row.Warnings) != 0 {
			t.Errorf("batch %d: warnings %q", batch, res.Row.Warnings)
		}
	}
}

func TestBytesMovedLeavesOutUnknownShapes(t *testing.T) {
	// y's shape comes from an unknown op and is not recorded: Relu's input
	// is left out, its output r (unknown too) as well, so only the unknown
	// op's own input x counts (the unknown op still runs and reads it).
	res := newBuilder(13).input("x", 1, 4).
		node("Mystery", []string{"x"}, []string{"y"}).
		node("Relu", []string{"y"}, []string{"r"}).output("r").
		analyze(t, 1)
	if res.Row.IOBytesPerImage != 16 || res.Row.WeightBytes != 0 {
		t.Errorf("io bytes %d, weight bytes %d; want 16 and 0", res.Row.IOBytesPerImage, res.Row.WeightBytes)
	}
}
