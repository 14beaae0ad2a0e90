package flops

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// nodeByOp returns the single node count of an op type.
func nodeByOp(t *testing.T, res *Analysis, op string) NodeCount {
	t.Helper()
	var found []NodeCount
	for _, n := range res.Nodes {
		if n.Op == op {
			found = append(found, n)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d %s nodes, want 1", len(found), op)
	}
	return found[0]
}

// check compares the row's counts with hand-worked values.
func check(t *testing.T, res *Analysis, params, macs, flops int64) {
	t.Helper()
	r := res.Row
	if r.Params != params || r.MACs != macs || r.FLOPs != flops {
		t.Errorf("params %d MACs %d FLOPs %d, want %d %d %d", r.Params, r.MACs, r.FLOPs, params, macs, flops)
	}
	if r.UnknownOps != "" || r.UncountedNodes != 0 {
		t.Errorf("unknown ops %q, %d uncounted nodes (warnings %q)", r.UnknownOps, r.UncountedNodes, r.Warnings)
	}
}

func checkShape(t *testing.T, res *Analysis, name string, want ...int64) {
	t.Helper()
	got, ok := res.Shapes.Shape(name)
	if !ok || len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
		t.Errorf("shape of %s = %v (known %v), want %v", name, got, ok, want)
	}
}

func TestConv(t *testing.T) {
	// 3→4 channels, 3×3, pad 1, bias: out 1×4×8×8 = 256 elements.
	// MACs = 256 × 3 × 9 = 6912; FLOPs = 2×6912 + 256 bias = 14080.
	// Params = 4×3×3×3 + 4 = 112.
	b := newBuilder(13).input("x", "N", 3, 8, 8).weight("w", 4, 3, 3, 3).weight("b", 4).
		node("Conv", []string{"x", "w", "b"}, []string{"y"}, aInts("pads", 1, 1, 1, 1)).output("y")
	res := b.analyze(t, 1)
	check(t, res, 112, 6912, 14080)
	checkShape(t, res, "y", 1, 4, 8, 8)
	if res.Row.PaperMACs != 6912 {
		t.Errorf("paper MACs %d, want 6912", res.Row.PaperMACs)
	}
	// Activations: y is 256 floats; peak holds x (192 floats) and y together.
	if res.Row.ActivationBytes != 1024 || res.Row.PeakActivationBytes != 768+1024 {
		t.Errorf("activation %d peak %d, want 1024 and 1792", res.Row.ActivationBytes, res.Row.PeakActivationBytes)
	}
}

func TestConvGroupedDepthwiseDilated(t *testing.T) {
	for _, tc := range []struct {
		name             string
		x                []any
		w                []int64
		attrs            []*onnx.AttributeProto
		out              []int64
		macs             int64
		autoPadSameShape bool
	}{
		// group 2, stride 2, pad 1: out (6+2-3)/2+1 = 3; MACs = 8×3×3 outputs × 2 in/group × 9.
		{"grouped", []any{"N", 4, 6, 6}, []int64{8, 2, 3, 3},
			[]*onnx.AttributeProto{aInt("group", 2), aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1)},
			[]int64{1, 8, 3, 3}, 72 * 2 * 9, false},
		// depthwise: group = channels = 4, no pad: out 3×3; MACs = 36 outputs × 1 × 9.
		{"depthwise", []any{"N", 4, 5, 5}, []int64{4, 1, 3, 3},
			[]*onnx.AttributeProto{aInt("group", 4)}, []int64{1, 4, 3, 3}, 36 * 9, false},
		// dilation 2: effective kernel 5, out 7-5+1 = 3; MACs = 18 outputs × 9.
		{"dilated", []any{"N", 1, 7, 7}, []int64{2, 1, 3, 3},
			[]*onnx.AttributeProto{aInts("dilations", 2, 2)}, []int64{1, 2, 3, 3}, 18 * 9, false},
		// SAME_UPPER, stride 2 on 7: out ceil(7/2) = 4; MACs = 2×16 outputs × 9.
		{"same_upper", []any{"N", 1, 7, 7}, []int64{2, 1, 3, 3},
			[]*onnx.AttributeProto{aStr("auto_pad", "SAME_UPPER"), aInts("strides", 2, 2)}, []int64{1, 2, 4, 4}, 32 * 9, false},
		// 1-D conv: length 10, kernel 3 → 8; MACs = 5×8 outputs × 2 × 3.
		{"conv1d", []any{"N", 2, 10}, []int64{5, 2, 3}, nil, []int64{1, 5, 8}, 40 * 6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(13).input("x", tc.x...).weight("w", tc.w...).
				node("Conv", []string{"x", "w"}, []string{"y"}, tc.attrs...).output("y")
			res := b.analyze(t, 1)
			params := int64(1)
			for _, d := range tc.w {
				params *= d
			}
			check(t, res, params, tc.macs, 2*tc.macs)
			checkShape(t, res, "y", tc.out...)
		})
	}
}

func TestConvTranspose(t *testing.T) {
	// 2→3 channels, kernel 2, stride 2 on 3×3: out (3-1)×2+2 = 6.
	// MACs = input elements 18 × 3 out channels × 4 = 216; bias adds 3×36 = 108.
	b := newBuilder(13).input("x", "N", 2, 3, 3).weight("w", 2, 3, 2, 2).weight("b", 3).
		node("ConvTranspose", []string{"x", "w", "b"}, []string{"y"}, aInts("strides", 2, 2)).output("y")
	res := b.analyze(t, 1)
	check(t, res, 27, 216, 2*216+108)
	checkShape(t, res, "y", 1, 3, 6, 6)
	if res.Row.PaperMACs != 216 {
		t.Errorf("paper MACs %d, want 216", res.Row.PaperMACs)
	}
	// Grouped with padding and output_padding: group 2, 4→4 channels, kernel 3,
	// stride 2, pads 1, output_padding 1 on 4: out 2×3 + 1 + 3 - 2 = 8.
	// MACs = 4×16 inputs × 2 out channels per group × 9 = 1152.
	b = newBuilder(13).input("x", "N", 4, 4, 4).weight("w", 4, 2, 3, 3).
		node("ConvTranspose", []string{"x", "w"}, []string{"y"}, aInt("group", 2), aInts("strides", 2, 2),
			aInts("pads", 1, 1, 1, 1), aInts("output_padding", 1, 1)).output("y")
	res = b.analyze(t, 1)
	check(t, res, 72, 1152, 2304)
	checkShape(t, res, "y", 1, 4, 8, 8)
}

func TestGemm(t *testing.T) {
	// x [N,5] · wᵀ ([3,5]) + c: at batch 2, out 2×3; MACs = 2×3×5 = 30, FLOPs = 60 + 6.
	b := newBuilder(13).input("x", "N", 5).weight("w", 3, 5).weight("c", 3).
		node("Gemm", []string{"x", "w", "c"}, []string{"y"}, aInt("transB", 1)).output("y")
	res := b.analyze(t, 2)
	check(t, res, 18, 30, 66)
	checkShape(t, res, "y", 2, 3)
	if res.Row.PaperMACs != 0 {
		t.Errorf("paper MACs %d counts a Gemm", res.Row.PaperMACs)
	}
	// transA: a is [K, M] = [5, 4], b [5, 2]: out 4×2, MACs 40, no bias.
	b = newBuilder(13).input("a", 5, 4).weight("w", 5, 2).
		node("Gemm", []string{"a", "w"}, []string{"y"}, aInt("transA", 1)).output("y")
	res = b.analyze(t, 1)
	check(t, res, 10, 40, 80)
}

func TestMatMulBatchDims(t *testing.T) {
	for _, tc := range []struct {
		name   string
		a      []any
		w      []int64
		out    []int64
		macs   int64
		params int64
	}{
		// [2,3,4,5]·[5,6] at batch 2: 2×3 batches × 4×5×6 = 720.
		{"weight", []any{"N", 3, 4, 5}, []int64{5, 6}, []int64{2, 3, 4, 6}, 720, 30},
		// [2,1,4,5]·[3,5,6]: batch dims [2,1] and [3] broadcast to [2,3]: 6 × 120 = 720.
		{"broadcast", []any{"N", 1, 4, 5}, []int64{3, 5, 6}, []int64{2, 3, 4, 6}, 720, 90},
		// [2,5]·[5]: 1-D right operand: 2×5 MACs, out [2].
		{"vector", []any{"N", 5}, []int64{5}, []int64{2}, 10, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(13).input("a", tc.a...).weight("w", tc.w...).
				node("MatMul", []string{"a", "w"}, []string{"y"}).output("y")
			res := b.analyze(t, 2)
			check(t, res, tc.params, tc.macs, 2*tc.macs)
			checkShape(t, res, "y", tc.out...)
		})
	}
	// Both operands activations (attention scores): q [N,2,4,8] · kᵀ [N,2,8,4]
	// = [N,2,4,4]; at batch 3: 6 × 4×8×4 = 768 MACs.
	b := newBuilder(13).input("q", "N", 2, 4, 8).input("k", "N", 2, 4, 8).
		node("Transpose", []string{"k"}, []string{"kt"}, aInts("perm", 0, 1, 3, 2)).
		node("MatMul", []string{"q", "kt"}, []string{"s"}).
		node("Softmax", []string{"s"}, []string{"p"}, aInt("axis", -1)).output("p")
	res := b.analyze(t, 3)
	// Softmax: one FLOP per output element, 3×2×4×4 = 96.
	check(t, res, 0, 768, 2*768+96)
	checkShape(t, res, "kt", 3, 2, 8, 4)
}

func TestElementwiseAndActivations(t *testing.T) {
	// x [N,2,3,4]: 24 elements per op at batch 1.
	b := newBuilder(13).input("x", "N", 2, 3, 4).weight("bias", 4).weight("slope", 2, 1, 1).
		node("Relu", []string{"x"}, []string{"a"}).
		node("Add", []string{"a", "bias"}, []string{"b"}).
		node("Sigmoid", []string{"b"}, []string{"c"}).
		node("HardSigmoid", []string{"c"}, []string{"d"}).
		node("HardSwish", []string{"d"}, []string{"e"}).
		node("Mul", []string{"e", "x"}, []string{"f"}).
		node("Tanh", []string{"f"}, []string{"g"}).
		node("Erf", []string{"g"}, []string{"h"}).
		node("PRelu", []string{"h", "slope"}, []string{"i"}).
		node("Sqrt", []string{"i"}, []string{"j"}).
		node("Identity", []string{"j"}, []string{"k"}).
		node("Dropout", []string{"k"}, []string{"l"}).
		output("l")
	res := b.analyze(t, 1)
	// Ten counted ops × 24; Identity and Dropout are free. Params 4 + 2.
	check(t, res, 6, 0, 10*24)
	checkShape(t, res, "b", 1, 2, 3, 4)
	if n := nodeByOp(t, res, "Dropout"); n.FLOPs != 0 || !n.Counted {
		t.Errorf("Dropout %+v, want counted and free", n)
	}
}

func TestClipOpsets(t *testing.T) {
	// Clip's bounds are attributes before opset 11 and inputs from 11; both
	// cost one FLOP per element (here 1×8).
	old := newBuilder(6).input("x", "N", 8).
		node("Clip", []string{"x"}, []string{"y"}, aFloat("min", 0), aFloat("max", 6)).output("y")
	check(t, old.analyze(t, 1), 0, 0, 8)
	b := newBuilder(13).input("x", "N", 8)
	b.g.Initializer = append(b.g.Initializer,
		&onnx.TensorProto{Name: "lo", DataType: dtFloat, FloatData: []float32{0}},
		&onnx.TensorProto{Name: "hi", DataType: dtFloat, FloatData: []float32{6}})
	b.node("Clip", []string{"x", "lo", "hi"}, []string{"y"}).output("y")
	// The scalar bounds are float initializers: 2 params.
	check(t, b.analyze(t, 1), 2, 0, 8)
}

func TestNormalization(t *testing.T) {
	// BatchNormalization on [N,3,4,4]: params = scale + bias = 6 (running
	// mean/var excluded); FLOPs = 48 output elements.
	b := newBuilder(13).input("x", "N", 3, 4, 4).weight("s", 3).weight("b", 3).weight("m", 3).weight("v", 3).
		node("BatchNormalization", []string{"x", "s", "b", "m", "v"}, []string{"y"}).output("y")
	check(t, b.analyze(t, 1), 6, 0, 48)
	// LayerNormalization over the last axis of [N,2,4]: params 8, FLOPs 8.
	b = newBuilder(17).input("x", "N", 2, 4).weight("s", 4).weight("b", 4).
		node("LayerNormalization", []string{"x", "s", "b"}, []string{"y"}, aInt("axis", -1)).output("y")
	res := b.analyze(t, 1)
	check(t, res, 8, 0, 8)
	// LRN and InstanceNormalization: one FLOP per output element each.
	b = newBuilder(13).input("x", "N", 2, 3, 3).weight("s", 2).weight("b", 2).
		node("LRN", []string{"x"}, []string{"l"}, aInt("size", 3)).
		node("InstanceNormalization", []string{"l", "s", "b"}, []string{"y"}).output("y")
	check(t, b.analyze(t, 1), 4, 0, 36)
}

func TestPooling(t *testing.T) {
	for _, tc := range []struct {
		name  string
		x     []any
		op    string
		attrs []*onnx.AttributeProto
		out   []int64
	}{
		// (5-3)/2+1 = 2.
		{"max", []any{"N", 2, 5, 5}, "MaxPool", []*onnx.AttributeProto{aInts("kernel_shape", 3, 3), aInts("strides", 2, 2)}, []int64{1, 2, 2, 2}},
		// ceil_mode: ceil((6-3)/2)+1 = 3.
		{"max_ceil", []any{"N", 1, 6, 6}, "MaxPool", []*onnx.AttributeProto{aInts("kernel_shape", 3, 3), aInts("strides", 2, 2), aInt("ceil_mode", 1)}, []int64{1, 1, 3, 3}},
		// ceil_mode where the last window would start in the right padding:
		// in 5, k 2, s 2, pad 1+1: ceil(5/2)+1 = 4 → 3, since window 4 starts at 6 ≥ 5+1.
		{"max_ceil_clip", []any{"N", 1, 5, 5}, "MaxPool", []*onnx.AttributeProto{aInts("kernel_shape", 2, 2), aInts("strides", 2, 2), aInts("pads", 1, 1, 1, 1), aInt("ceil_mode", 1)}, []int64{1, 1, 3, 3}},
		// AveragePool 3×3 stride 1 pad 1 keeps 4×4.
		{"avg", []any{"N", 3, 4, 4}, "AveragePool", []*onnx.AttributeProto{aInts("kernel_shape", 3, 3), aInts("pads", 1, 1, 1, 1)}, []int64{1, 3, 4, 4}},
		{"global_avg", []any{"N", 2, 5, 5}, "GlobalAveragePool", nil, []int64{1, 2, 1, 1}},
		{"global_max", []any{"N", 2, 5, 5}, "GlobalMaxPool", nil, []int64{1, 2, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBuilder(13).input("x", tc.x...).node(tc.op, []string{"x"}, []string{"y"}, tc.attrs...).output("y")
			res := b.analyze(t, 1)
			elems := int64(1)
			for _, d := range tc.out {
				elems *= d
			}
			// Pooling: one FLOP per output element.
			check(t, res, 0, 0, elems)
			checkShape(t, res, "y", tc.out...)
		})
	}
}

func TestReduceMeanOpsets(t *testing.T) {
	// ReduceMean over H, W of [N,4,3,5] keepdims: out [1,4,1,1], 4 FLOPs.
	old := newBuilder(13).input("x", "N", 4, 3, 5).
		node("ReduceMean", []string{"x"}, []string{"y"}, aInts("axes", 2, 3)).output("y")
	res := old.analyze(t, 1)
	check(t, res, 0, 0, 4)
	checkShape(t, res, "y", 1, 4, 1, 1)
	b := newBuilder(18).input("x", "N", 4, 3, 5).ints("axes", nil, -1, -2).
		node("ReduceMean", []string{"x", "axes"}, []string{"y"}, aInt("keepdims", 0)).output("y")
	res = b.analyze(t, 1)
	check(t, res, 0, 0, 4)
	checkShape(t, res, "y", 1, 4)
}

func TestSplitSqueezePadOpsets(t *testing.T) {
	// Opset 11: Split and Squeeze take attributes, Pad takes pads as input.
	old := newBuilder(11).input("x", "N", 6, 1, 4).ints("pads", nil, 0, 0, 0, 1, 0, 0, 0, 2).
		node("Split", []string{"x"}, []string{"a", "b"}, aInt("axis", 1), aInts("split", 2, 4)).
		node("Squeeze", []string{"b"}, []string{"c"}, aInts("axes", 2)).
		node("Unsqueeze", []string{"c"}, []string{"d"}, aInts("axes", 0)).
		node("Pad", []string{"a", "pads"}, []string{"e"}).
		output("d").output("e")
	res := old.analyze(t, 1)
	check(t, res, 0, 0, 0)
	checkShape(t, res, "a", 1, 2, 1, 4)
	checkShape(t, res, "c", 1, 4, 4)
	checkShape(t, res, "d", 1, 1, 4, 4)
	checkShape(t, res, "e", 1, 2, 1, 7)
	// Opset 13: split and axes are inputs; Split without split divides evenly.
	b := newBuilder(13).input("x", "N", 6, 1, 4).ints("split", nil, 2, 4).ints("axes", nil, -2).
		node("Split", []string{"x", "split"}, []string{"a", "b"}, aInt("axis", 1)).
		node("Squeeze", []string{"b", "axes"}, []string{"c"}).
		node("Split", []string{"c"}, []string{"f", "g"}, aInt("axis", -1)).
		output("f").output("g")
	res = b.analyze(t, 1)
	checkShape(t, res, "c", 1, 4, 4)
	checkShape(t, res, "g", 1, 4, 2)
	// Opset 2 Pad: pads attribute.
	p := newBuilder(2).input("x", "N", 3).node("Pad", []string{"x"}, []string{"y"}, aInts("pads", 0, 1, 0, 2)).output("y")
	checkShape(t, p.analyze(t, 1), "y", 1, 6)
}

// flattenGraph is the PyTorch export of x.view(x.size(0), -1) followed by a
// Linear layer: Shape→Gather→Unsqueeze→Concat→Reshape, then Gemm.
func flattenGraph() *builder {
	b := newBuilder(13).input("x", "batch", 2, 3, 3).ints("zero", []int64{}, 0).ints("minus1", nil, -1).ints("ax0", nil, 0).weight("w", 4, 18)
	b.node("Shape", []string{"x"}, []string{"s"}).
		node("Gather", []string{"s", "zero"}, []string{"n"}, aInt("axis", 0)).
		node("Unsqueeze", []string{"n", "ax0"}, []string{"n1"}).
		node("Concat", []string{"n1", "minus1"}, []string{"shape"}, aInt("axis", 0)).
		node("Reshape", []string{"x", "shape"}, []string{"flat"}).
		node("Gemm", []string{"flat", "w"}, []string{"y"}, aInt("transB", 1)).
		output("y", "batch", 4)
	return b
}

func TestShapeSubgraphFolding(t *testing.T) {
	b := flattenGraph()
	res := b.analyze(t, 3)
	// At batch 3: flat [3,18], Gemm MACs 3×4×18 = 216; the shape ops are folded, free.
	check(t, res, 72, 216, 432)
	checkShape(t, res, "flat", 3, 18)
	if v, ok := res.Shapes.Constant("shape"); !ok || !reflect.DeepEqual(v, []int64{3, -1}) {
		t.Errorf("folded shape = %v (%v), want [3 -1]", v, ok)
	}
	for _, op := range []string{"Shape", "Gather", "Unsqueeze", "Concat"} {
		if n := nodeByOp(t, res, op); !n.Folded || n.FLOPs != 0 {
			t.Errorf("%s: %+v, want folded and free", op, n)
		}
	}
	// Folded constants are not activations: only flat (aliasing x) and y count.
	if want := int64(4 * (3*18 + 3*4)); res.Row.ActivationBytes != want {
		t.Errorf("activation bytes %d, want %d", res.Row.ActivationBytes, want)
	}
}

func TestDynamicBatch(t *testing.T) {
	one, four := flattenGraph().analyze(t, 1), flattenGraph().analyze(t, 4)
	if four.Row.MACs != 4*one.Row.MACs || four.Row.FLOPs != 4*one.Row.FLOPs || four.Row.ActivationBytes != 4*one.Row.ActivationBytes {
		t.Errorf("batch 4 counts %+v are not 4× batch 1 %+v", four.Row, one.Row)
	}
	if one.Row.MACs != 72 {
		t.Errorf("batch 1 MACs %d, want 72", one.Row.MACs)
	}
	// Config{} means batch 1.
	path := flattenGraph().write(t, t.TempDir())
	row, _, err := countOne(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if row.MACs != 72 {
		t.Errorf("default batch MACs %d, want 72", row.MACs)
	}
	if _, _, err := countOne(path, Config{Batch: -1}); err == nil {
		t.Error("negative batch accepted")
	}
	// A fixed batch dim stays as it is, with a warning when another batch is asked for.
	fixed := newBuilder(13).input("x", 1, 8).node("Relu", []string{"x"}, []string{"y"}).output("y")
	res := fixed.analyze(t, 4)
	if res.Row.FLOPs != 8 || !strings.Contains(strings.Join(res.Row.Warnings, "\n"), "fixed batch") {
		t.Errorf("fixed batch: FLOPs %d warnings %q", res.Row.FLOPs, res.Row.Warnings)
	}
}

func TestMoreShapeOps(t *testing.T) {
	// PyTorch-style size arithmetic: Shape → Slice → Cast(float) → Mul(2.0)
	// → Cast(int64) → Concat with N,C → Resize(sizes); plus Expand, Where,
	// Equal, ConstantOfShape, Range, Transpose and Flatten.
	b := newBuilder(13).input("x", "N", 2, 3, 4).ints("st", nil, 2).ints("en", nil, 4).ints("ax", nil, 0)
	b.g.Initializer = append(b.g.Initializer, &onnx.TensorProto{Name: "two", DataType: dtFloat, FloatData: []float32{2}})
	b.node("Shape", []string{"x"}, []string{"s"}).
		node("Slice", []string{"s", "st", "en", "ax"}, []string{"hw"}).
		node("Cast", []string{"hw"}, []string{"hwf"}, aInt("to", dtFloat)).
		node("Mul", []string{"hwf", "two"}, []string{"hw2f"}).
		node("Cast", []string{"hw2f"}, []string{"hw2"}, aInt("to", dtInt64)).
		node("Slice", []string{"s", "ax", "st", "ax"}, []string{"nc"}).
		node("Concat", []string{"nc", "hw2"}, []string{"sizes"}, aInt("axis", 0)).
		node("Resize", []string{"x", "", "", "sizes"}, []string{"up"}, aStr("mode", "nearest")).
		node("ConstantOfShape", []string{"nc"}, []string{"ones"}, aTensorInts("value", []int64{1}, 1)).
		node("Equal", []string{"ones", "nc"}, []string{"eq"}).
		node("Where", []string{"eq", "ones", "nc"}, []string{"ex"}).
		node("Range", []string{"zero", "four", "one"}, []string{"r"})
	b.ints("zero", []int64{}, 0).ints("four", []int64{}, 4).ints("one", []int64{}, 1)
	b.node("Transpose", []string{"up"}, []string{"t"}, aInts("perm", 0, 2, 3, 1)).
		node("Flatten", []string{"t"}, []string{"f"}, aInt("axis", 2)).
		output("f").output("r").output("ex")
	res := b.analyze(t, 1)
	checkShape(t, res, "up", 1, 2, 6, 8)
	checkShape(t, res, "t", 1, 6, 8, 2)
	checkShape(t, res, "f", 6, 16)
	if v, _ := res.Shapes.Constant("sizes"); !reflect.DeepEqual(v, []int64{1, 2, 6, 8}) {
		t.Errorf("sizes = %v, want [1 2 6 8]", v)
	}
	if v, _ := res.Shapes.Constant("ex"); !reflect.DeepEqual(v, []int64{1, 2}) {
		t.Errorf("where = %v, want [1 2]", v)
	}
	if v, _ := res.Shapes.Constant("r"); !reflect.DeepEqual(v, []int64{0, 1, 2, 3}) {
		t.Errorf("range = %v, want [0 1 2 3]", v)
	}
	// Only Resize costs: 96 output elements. The float 2.0 is a 1-element param.
	check(t, res, 1, 0, 96)
	// Expand and Gather on activations: free, shapes only.
	e := newBuilder(13).input("x", "N", 1, 4).ints("shape", nil, 3, 1).ints("idx", nil, 0, 2).
		node("Expand", []string{"x", "shape"}, []string{"y"}).
		node("Gather", []string{"y", "idx"}, []string{"z"}, aInt("axis", 2)).output("z")
	res = e.analyze(t, 2)
	checkShape(t, res, "y", 2, 3, 4)
	checkShape(t, res, "z", 2, 3, 2)
	check(t, res, 0, 0, 0)
}

func TestConstantNodes(t *testing.T) {
	// Constant outputs feed Reshape's shape (value tensor) and Unsqueeze's
	// axes (value_ints).
	b := newBuilder(13).input("x", "N", 2, 3).
		node("Constant", nil, []string{"shape"}, aTensorInts("value", []int64{2}, 0, -1)).
		node("Constant", nil, []string{"axes"}, &onnx.AttributeProto{Name: "value_ints", Type: onnx.AttributeProto_INTS, Ints: []int64{1}}).
		node("Reshape", []string{"x", "shape"}, []string{"r"}).
		node("Unsqueeze", []string{"r", "axes"}, []string{"u"}).output("u")
	res := b.analyze(t, 5)
	checkShape(t, res, "r", 5, 6)
	checkShape(t, res, "u", 5, 1, 6)
	check(t, res, 0, 0, 0)
}

func TestUnknownOp(t *testing.T) {
	// A custom op between Conv and Relu: listed, warned, contributes nothing;
	// the Relu after it is still counted from the file's value_info.
	b := newBuilder(13).input("x", "N", 1, 4, 4).weight("w", 2, 1, 3, 3).
		node("Conv", []string{"x", "w"}, []string{"c"}).
		node("FancyOp", []string{"c"}, []string{"f"}).
		node("Relu", []string{"f"}, []string{"y"}).output("y")
	b.g.ValueInfo = append(b.g.ValueInfo, valueInfo("f", dtFloat, "N", 2, 2, 2))
	b.g.Node[1].Domain = "com.example"
	res := b.analyze(t, 1)
	// Conv: out 1×2×2×2 = 8 elements × 9 MACs; Relu 8 FLOPs.
	if res.Row.MACs != 72 || res.Row.FLOPs != 144+8 {
		t.Errorf("MACs %d FLOPs %d, want 72 and 152", res.Row.MACs, res.Row.FLOPs)
	}
	if res.Row.UnknownOps != "com.example.FancyOp" || res.Row.UncountedNodes != 1 {
		t.Errorf("unknown ops %q, uncounted %d", res.Row.UnknownOps, res.Row.UncountedNodes)
	}
	if !strings.Contains(strings.Join(res.Row.Warnings, "\n"), "unknown op com.example.FancyOp (1 nodes) not counted") {
		t.Errorf("warnings %q do not name the unknown op", res.Row.Warnings)
	}
	var fancy OpRow
	for _, o := range res.Ops {
		if o.Op == "com.example.FancyOp" {
			fancy = o
		}
	}
	if fancy.Counted || fancy.Nodes != 1 {
		t.Errorf("op row %+v, want 1 uncounted node", fancy)
	}
	// Without value_info the Relu's shape is unknown: it is named in a
	// warning and left uncounted, never a silent zero.
	b.g.ValueInfo = nil
	res = b.analyze(t, 1)
	if res.Row.MACs != 72 || res.Row.UncountedNodes != 2 || !strings.Contains(strings.Join(res.Row.Warnings, "\n"), `Relu: 1 nodes not counted, shapes unknown ("n2_Relu"`) {
		t.Errorf("MACs %d uncounted %d warnings %q", res.Row.MACs, res.Row.UncountedNodes, res.Row.Warnings)
	}
	// If/Loop: subgraphs are skipped, the node is unknown.
	sub := newBuilder(13).input("x", "N", 4).input("c", 1).
		node("If", []string{"c"}, []string{"y"}, &onnx.AttributeProto{Name: "then_branch", Type: onnx.AttributeProto_GRAPH, G: newBuilder(13).g}).output("y")
	res = sub.analyze(t, 1)
	if res.Row.UnknownOps != "If" || !strings.Contains(strings.Join(res.Row.Warnings, "\n"), "subgraphs are not counted") {
		t.Errorf("If: unknown %q warnings %q", res.Row.UnknownOps, res.Row.Warnings)
	}
}

func TestPeakActivation(t *testing.T) {
	// x (16 floats) → a = Relu(x) → b = Relu(a) → c = Add(a, b) → r = Reshape(c).
	// Live sets: x+a = 128 B, then x is freed; a+b = 128 B; a+b+c = 192 B,
	// then a and b are freed; r aliases c. Peak 192 bytes.
	b := newBuilder(13).input("x", "N", 16).ints("shape", nil, 4, 4).
		node("Relu", []string{"x"}, []string{"a"}).
		node("Relu", []string{"a"}, []string{"b"}).
		node("Add", []string{"a", "b"}, []string{"c"}).
		node("Reshape", []string{"c", "shape"}, []string{"r"}).output("r")
	res := b.analyze(t, 1)
	if res.Row.PeakActivationBytes != 192 {
		t.Errorf("peak %d, want 192", res.Row.PeakActivationBytes)
	}
	// Activation bytes count every produced tensor, the alias included: a, b, c, r.
	if res.Row.ActivationBytes != 4*64 {
		t.Errorf("activation bytes %d, want 256", res.Row.ActivationBytes)
	}
}

func TestExternalData(t *testing.T) {
	dir := t.TempDir()
	a := newArch(externalWeights)
	a.input("x", "N", 3, 4, 4)
	y := a.conv("x", 3, 2, 3, 1, 1, true)
	a.output(y)
	path := a.writeExternal(t, dir)
	row, _, err := countOne(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	// Params 2×3×9 + 2 = 56 (224 bytes external); MACs 32 outputs × 27.
	if row.Params != 56 || row.MACs != 864 {
		t.Errorf("params %d MACs %d, want 56 and 864", row.Params, row.MACs)
	}
	st, _ := os.Stat(path)
	if row.FileBytes != st.Size()+224 {
		t.Errorf("file bytes %d, want %d", row.FileBytes, st.Size()+224)
	}
	// A missing data file, a location outside the directory, or data too
	// short for the tensor are errors naming the tensor.
	if err := os.Remove(filepath.Join(dir, "weights.bin")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := countOne(path, Config{}); err == nil || !strings.Contains(err.Error(), "external data") {
		t.Errorf("missing data file: %v", err)
	}
	for _, loc := range []string{"../weights.bin", "/etc/passwd", "a/../../b"} {
		a.g.Initializer[0].ExternalData[0].Value = loc
		if _, _, err := countOne(a.writeExternal(t, dir), Config{}); err == nil || !strings.Contains(err.Error(), "location") {
			t.Errorf("location %q: %v", loc, err)
		}
	}
	a.g.Initializer[0].ExternalData[0].Value = "weights.bin"
	a.offset = 100
	if _, _, err := countOne(a.writeExternal(t, dir), Config{}); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("short data: %v", err)
	}
}

func TestExternalIntegerConstant(t *testing.T) {
	// A Reshape shape stored externally is read for folding.
	dir := t.TempDir()
	b := newBuilder(13).input("x", "N", 2, 3)
	b.g.Initializer = append(b.g.Initializer, &onnx.TensorProto{Name: "shape", DataType: dtInt64, Dims: []int64{2},
		DataLocation: onnx.TensorProto_EXTERNAL, ExternalData: []*onnx.StringStringEntryProto{{Key: "location", Value: "ints.bin"}}})
	b.node("Reshape", []string{"x", "shape"}, []string{"y"}).output("y")
	raw := make([]byte, 16)
	raw[0] = 6
	for i := 8; i < 16; i++ {
		raw[i] = 0xff // -1
	}
	if err := os.WriteFile(filepath.Join(dir, "ints.bin"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Read(b.write(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Analyze(m, Config{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, res, "y", 6, 2)
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"empty.onnx":   nil,
		"garbage.onnx": []byte("this is not a protobuf \xff\xff\xff"),
		"nograph.onnx": {0x08, 0x07}, // ir_version 7, no graph
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, _, err := countOne(p, Config{})
		switch {
		case err == nil || !strings.Contains(err.Error(), name):
			t.Errorf("%s: error %v does not name the file", name, err)
		case !errors.Is(err, ErrNotONNX):
			t.Errorf("%s: %v is not ErrNotONNX", name, err)
		case !strings.HasPrefix(err.Error(), "flops: ") || strings.Count(err.Error(), "flops:") != 1:
			t.Errorf("%s: %q should carry the package prefix once", name, err)
		}
	}
	if _, _, err := countOne(filepath.Join(dir, "missing.onnx"), Config{}); err == nil {
		t.Error("missing file accepted")
	}
	if _, _, err := countOne(dir, Config{}); err == nil {
		t.Error("directory accepted")
	}
	// A node reading a tensor nobody produces, and a cycle.
	b := newBuilder(13).input("x", "N", 2).node("Relu", []string{"nope"}, []string{"y"}).output("y")
	if _, err := Analyze(mustReadBytes(t, b.bytes(t)), Config{}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("dangling input: %v", err)
	}
	c := newBuilder(13).input("x", "N", 2).
		node("Add", []string{"x", "b"}, []string{"a"}).node("Relu", []string{"a"}, []string{"b"}).output("b")
	if _, err := Analyze(mustReadBytes(t, c.bytes(t)), Config{}); !errors.Is(err, errCycle) || err.Error() != `flops: node "n0_Add" (Add): graph has a cycle or a node input that is never produced` {
		t.Errorf("cycle: %v", err)
	}
}

func mustReadBytes(t *testing.T, data []byte) *Model {
	t.Helper()
	m, err := ReadBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNodesOutOfOrder(t *testing.T) {
	// Nodes listed consumer first are ordered topologically.
	b := newBuilder(13).input("x", "N", 4).
		node("Sigmoid", []string{"a"}, []string{"y"}).
		node("Relu", []string{"x"}, []string{"a"}).output("y")
	res := b.analyze(t, 1)
	check(t, res, 0, 0, 8)
	if !reflect.DeepEqual(res.Shapes.Order, []int{1, 0}) {
		t.Errorf("order %v, want [1 0]", res.Shapes.Order)
	}
}

func TestLargeTensorsKeepNoPayload(t *testing.T) {
	// The reader keeps headers only: a 2 MB initializer costs no heap.
	b := newBuilder(13).input("x", "N", 512).weight("w", 512, 1024).
		node("MatMul", []string{"x", "w"}, []string{"y"}).output("y")
	m := mustReadBytes(t, b.bytes(t))
	w := m.Graph.Initializers[0]
	if len(w.Header.GetRawData()) != 0 || w.Floats != nil || w.PayloadBytes != 4*512*1024 {
		t.Errorf("initializer keeps %d raw bytes, %d values; payload %d", len(w.Header.GetRawData()), len(w.Floats), w.PayloadBytes)
	}
}

func TestOldOpsetModel(t *testing.T) {
	// IR 3 / opset 7 style: initializers are also listed as graph inputs,
	// Upsample takes scales as an attribute, Unsqueeze axes are attributes,
	// BatchNormalization carries the old spatial attribute, Sum is variadic.
	b := newBuilder(7).input("x", "N", 2, 3, 3).weight("w", 2, 2, 1, 1).weight("s", 2).weight("b", 2).weight("m", 2).weight("v", 2)
	for _, name := range []string{"w", "s", "b", "m", "v"} {
		b.g.Input = append(b.g.Input, valueInfo(name, dtFloat, 1))
	}
	b.node("Conv", []string{"x", "w"}, []string{"c"}).
		node("BatchNormalization", []string{"c", "s", "b", "m", "v"}, []string{"n"}, aInt("spatial", 1)).
		node("Sum", []string{"n", "x", "c"}, []string{"sum"}).
		node("Upsample", []string{"sum"}, []string{"up"}, &onnx.AttributeProto{Name: "scales", Type: onnx.AttributeProto_FLOATS, Floats: []float32{1, 1, 2, 2}}).
		output("up")
	res := b.analyze(t, 1)
	// Conv: 18 outputs × 2 = 36 MACs; BN 18, Sum 18, Upsample 72 FLOPs.
	// Params: w 4 + scale 2 + bias 2 (running statistics excluded).
	check(t, res, 8, 36, 72+18+18+72)
	checkShape(t, res, "up", 1, 2, 6, 6)
	if len(res.Row.Warnings) != 0 {
		t.Errorf("warnings %q", res.Row.Warnings)
	}
	// Outside opsets 7–21 a warning says so.
	b.opset = 6
	if res := b.analyze(t, 1); !strings.Contains(strings.Join(res.Row.Warnings, "\n"), "opset 6 is outside") {
		t.Errorf("opset 6 warnings %q", res.Row.Warnings)
	}
}

func TestLongNamesAreShortened(t *testing.T) {
	long := strings.Repeat("n", 500)
	b := newBuilder(13).input("x", "N", 4).node("Relu", []string{"missing_shape"}, []string{"y"}).output("y")
	b.g.Input = append(b.g.Input, &onnx.ValueInfoProto{Name: "missing_shape"})
	b.g.Node[0].Name = long
	res := b.analyze(t, 1)
	if strings.Contains(strings.Join(res.Row.Warnings, "\n"), long) || !strings.Contains(strings.Join(res.Row.Warnings, "\n"), "Relu: 1 nodes not counted") {
		t.Errorf("warnings %q", res.Row.Warnings)
	}
}

func TestSymbolicSpatialDims(t *testing.T) {
	// A model exported with dynamic height and width: uncounted with a
	// warning unless Config.Dims binds them.
	b := newBuilder(13).input("x", "batch", 3, "height", "width").weight("w", 4, 3, 3, 3).
		node("Conv", []string{"x", "w"}, []string{"y"}, aInts("pads", 1, 1, 1, 1)).
		node("Relu", []string{"y"}, []string{"z"}).output("z", "batch", 4, "height", "width")
	res := b.analyze(t, 1)
	if res.Row.MACs != 0 || res.Row.UncountedNodes != 2 || !strings.Contains(strings.Join(res.Row.Warnings, "\n"), "Config.Dims") {
		t.Errorf("unbound: MACs %d uncounted %d warnings %q", res.Row.MACs, res.Row.UncountedNodes, res.Row.Warnings)
	}
	m := mustReadBytes(t, b.bytes(t))
	res, err := Analyze(m, Config{Batch: 2, Dims: map[string]int64{"height": 8, "width": 6}})
	if err != nil {
		t.Fatal(err)
	}
	// Out 2×4×8×6 = 384 elements × 27 MACs; Relu 384.
	check(t, res, 108, 384*27, 2*384*27+384)
	if _, err := Analyze(m, Config{Dims: map[string]int64{"height": 0}}); err == nil || !strings.Contains(err.Error(), `dim "height" = 0`) {
		t.Errorf("zero dim: %v", err)
	}
}
