package flops

import (
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// dtInt8 is TensorProto's INT8 element type, which only these tests write.
const dtInt8 = 3

// typed adds an initializer of zeros of element type dt (1, 4 or 8 bytes
// per element here) with the given dims; no dims makes a scalar.
func (b *builder) typed(name string, dt int32, dims ...int64) *builder {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	size := int64(1)
	switch dt {
	case dtFloat, dtInt32:
		size = 4
	case dtInt64:
		size = 8
	}
	b.g.Initializer = append(b.g.Initializer, &onnx.TensorProto{Name: name, DataType: dt, Dims: dims, RawData: make([]byte, size*n)})
	return b
}

// scaleZP adds a float scale and a zero point of type zp named prefix_s and prefix_z.
func (b *builder) scaleZP(prefix string, zp int32) *builder {
	return b.typed(prefix+"_s", dtFloat).typed(prefix+"_z", zp)
}

func TestQLinearConvAndMatMul(t *testing.T) {
	// QLinearConv 3→4 channels, 3×3, pad 1, int32 bias on a uint8 1×3×8×8
	// input: out 1×4×8×8 = 256 elements; MACs = 256 × 3 × 9 = 6912;
	// FLOPs = 2×6912 + 256 bias = 14080. Flatten to 1×256, QLinearMatMul
	// with a 256×10 int8 matrix: 2560 MACs, 5120 FLOPs. Params: 108 conv
	// weights + 4 bias + 2560 matrix = 2672; the six scales and zero points
	// are not parameters.
	b := newBuilder(13)
	b.g.Input = append(b.g.Input, valueInfo("x", dtUint8, "N", 3, 8, 8))
	b.scaleZP("x", dtUint8).typed("w", dtInt8, 4, 3, 3, 3).scaleZP("w", dtInt8).scaleZP("y", dtUint8).typed("b", dtInt32, 4).
		typed("m", dtInt8, 256, 10).scaleZP("m", dtInt8).scaleZP("z", dtUint8).
		node("QLinearConv", []string{"x", "x_s", "x_z", "w", "w_s", "w_z", "y_s", "y_z", "b"}, []string{"y"}, aInts("pads", 1, 1, 1, 1)).
		node("Flatten", []string{"y"}, []string{"f"}).
		node("QLinearMatMul", []string{"f", "y_s", "y_z", "m", "m_s", "m_z", "z_s", "z_z"}, []string{"z"})
	b.g.Output = append(b.g.Output, valueInfo("z", dtUint8, 1, 10))
	res := b.analyze(t, 1)
	check(t, res, 2672, 6912+2560, 14080+5120)
	checkShape(t, res, "y", 1, 4, 8, 8)
	checkShape(t, res, "z", 1, 10)
	if res.Row.IntMACs != 6912+2560 || res.Row.PaperMACs != 6912 {
		t.Errorf("int MACs %d paper MACs %d, want 9472 and 6912", res.Row.IntMACs, res.Row.PaperMACs)
	}
	// Outputs are uint8 (y_zero_point's type): y is 256 bytes, z 10.
	if res.Row.ActivationBytes != 256+256+10 {
		t.Errorf("activation bytes %d, want 522 (uint8 outputs)", res.Row.ActivationBytes)
	}
}

func TestConvIntegerMatMulIntegerDynamic(t *testing.T) {
	// DynamicQuantizeLinear on a float 1×3×8×8 input: 192 FLOPs. ConvInteger
	// 3→4, 3×3, no pad: out 1×4×6×6 = 144 int32; MACs 144×27 = 3888, no
	// bias. MatMulInteger of the 1×4×6×6 output (int32 here, ignoring the
	// usual cast back: shapes are what count) with a 6×5 matrix: batch 1×4,
	// M 6, K 6, N 5 → 720 MACs. DequantizeLinear of 1×4×6×5 = 120 FLOPs.
	b := newBuilder(13).input("x", "N", 3, 8, 8).
		typed("w", dtInt8, 4, 3, 3, 3).typed("w_z", dtInt8).typed("m", dtInt8, 6, 5).scaleZP("o", dtInt32).
		node("DynamicQuantizeLinear", []string{"x"}, []string{"q", "q_s", "q_z"}).
		node("ConvInteger", []string{"q", "w", "q_z", "w_z"}, []string{"c"}).
		node("MatMulInteger", []string{"c", "m"}, []string{"p"}).
		node("DequantizeLinear", []string{"p", "o_s", "o_z"}, []string{"y"}).output("y")
	res := b.analyze(t, 1)
	macs := int64(3888 + 720)
	check(t, res, 108+30, macs, 192+2*macs+120)
	checkShape(t, res, "c", 1, 4, 6, 6)
	checkShape(t, res, "p", 1, 4, 6, 5)
	checkShape(t, res, "q_s")
	if res.Row.IntMACs != macs {
		t.Errorf("int MACs %d, want %d", res.Row.IntMACs, macs)
	}
	// q is uint8 (192 B), q_s float (4 B), q_z uint8 (1 B), c and p int32
	// (576 B, 480 B), y float (480 B).
	if want := int64(192 + 4 + 1 + 576 + 480 + 480); res.Row.ActivationBytes != want {
		t.Errorf("activation bytes %d, want %d", res.Row.ActivationBytes, want)
	}
}

// convNet builds Conv(3→8, 3×3, pad 1, bias) → Relu → GlobalAveragePool →
// Flatten → Gemm(8→10, bias) in float, or its QDQ form: int8 weights and
// int32 biases through DequantizeLinear, and QuantizeLinear →
// DequantizeLinear pairs on the activations, as ONNX Runtime's static
// quantisation writes them.
func convNet(qdq bool) *builder {
	b := newBuilder(13).input("x", "N", 3, 16, 16)
	x, w, bias, fw, fb := "x", "w", "b", "fw", "fb"
	if qdq {
		b.typed("w_q", dtInt8, 8, 3, 3, 3).scaleZP("w", dtInt8).typed("b_q", dtInt32, 8).scaleZP("b", dtInt32).
			typed("fw_q", dtInt8, 10, 8).scaleZP("fw", dtInt8).typed("fb_q", dtInt32, 10).scaleZP("fb", dtInt32).
			scaleZP("a", dtUint8).
			node("QuantizeLinear", []string{"x", "a_s", "a_z"}, []string{"x_q"}).
			node("DequantizeLinear", []string{"x_q", "a_s", "a_z"}, []string{"x_d"})
		for _, t := range []string{"w", "b", "fw", "fb"} {
			b.node("DequantizeLinear", []string{t + "_q", t + "_s", t + "_z"}, []string{t + "_d"})
		}
		x, w, bias, fw, fb = "x_d", "w_d", "b_d", "fw_d", "fb_d"
	} else {
		b.weight("w", 8, 3, 3, 3).weight("b", 8).weight("fw", 10, 8).weight("fb", 10)
	}
	return b.node("Conv", []string{x, w, bias}, []string{"c"}, aInts("pads", 1, 1, 1, 1)).
		node("Relu", []string{"c"}, []string{"r"}).
		node("GlobalAveragePool", []string{"r"}, []string{"g"}).
		node("Flatten", []string{"g"}, []string{"f"}).
		node("Gemm", []string{"f", fw, fb}, []string{"y"}, aInt("transB", 1)).output("y")
}

// qlinearNet is convNet with QLinearConv and QLinearMatMul in place of the
// QDQ pairs, as ONNX Runtime's QOperator format writes it (the Gemm as a
// QLinearMatMul followed by a float bias add).
func qlinearNet() *builder {
	b := newBuilder(13).input("x", "N", 3, 16, 16).
		scaleZP("a", dtUint8).typed("w", dtInt8, 8, 3, 3, 3).scaleZP("w", dtInt8).scaleZP("c", dtUint8).typed("b", dtInt32, 8).
		typed("fw", dtInt8, 8, 10).scaleZP("fw", dtInt8).scaleZP("m", dtUint8).weight("fb", 10)
	return b.node("QuantizeLinear", []string{"x", "a_s", "a_z"}, []string{"x_q"}).
		node("QLinearConv", []string{"x_q", "a_s", "a_z", "w", "w_s", "w_z", "c_s", "c_z", "b"}, []string{"c"}, aInts("pads", 1, 1, 1, 1)).
		node("DequantizeLinear", []string{"c", "c_s", "c_z"}, []string{"c_d"}).
		node("Relu", []string{"c_d"}, []string{"r"}).
		node("GlobalAveragePool", []string{"r"}, []string{"g"}).
		node("Flatten", []string{"g"}, []string{"f"}).
		node("QuantizeLinear", []string{"f", "c_s", "c_z"}, []string{"f_q"}).
		node("QLinearMatMul", []string{"f_q", "c_s", "c_z", "fw", "fw_s", "fw_z", "m_s", "m_z"}, []string{"m"}).
		node("DequantizeLinear", []string{"m", "m_s", "m_z"}, []string{"m_d"}).
		node("Add", []string{"m_d", "fb"}, []string{"y"}).output("y")
}

func TestQuantizedTwinsCountAsFloat(t *testing.T) {
	// Conv: 8×16×16 = 2048 outputs × 27 = 55296 MACs; Gemm 8×10 = 80 MACs.
	// Params 216 + 8 + 80 + 10 = 314 in every form.
	const macs, params = 55296 + 80, 314
	fp32 := convNet(false).analyze(t, 1)
	qdq := convNet(true).analyze(t, 1)
	ql := qlinearNet().analyze(t, 1)
	for _, tc := range []struct {
		name    string
		res     *Analysis
		intMACs int64
	}{{"fp32", fp32, 0}, {"qdq", qdq, 0}, {"qlinear", ql, macs}} {
		r := tc.res.Row
		if r.MACs != macs || r.Params != params || r.IntMACs != tc.intMACs {
			t.Errorf("%s: MACs %d params %d int MACs %d, want %d %d %d", tc.name, r.MACs, r.Params, r.IntMACs, macs, params, tc.intMACs)
		}
		if r.UnknownOps != "" || r.UncountedNodes != 0 {
			t.Errorf("%s: unknown ops %q, %d uncounted (warnings %q)", tc.name, r.UnknownOps, r.UncountedNodes, r.Warnings)
		}
		if r.PaperMACs != 55296 {
			t.Errorf("%s: paper MACs %d, want 55296", tc.name, r.PaperMACs)
		}
	}
	// The QDQ form adds one FLOP per element of every QuantizeLinear and
	// DequantizeLinear output: x twice (768 each) and the weights and
	// biases once (216 + 8 + 80 + 10).
	if want := fp32.Row.FLOPs + 2*768 + 314; qdq.Row.FLOPs != want {
		t.Errorf("QDQ FLOPs %d, want fp32's %d + 1850 = %d", qdq.Row.FLOPs, fp32.Row.FLOPs, want)
	}
}

// msNode adds a com.microsoft node.
func (b *builder) msNode(op string, ins, outs []string, attrs ...*onnx.AttributeProto) *builder {
	b.node(op, ins, outs, attrs...)
	b.g.Node[len(b.g.Node)-1].Domain = microsoft
	return b
}

// qoperatorNet is convNet as ONNX Runtime's QOperator quantizer writes it
// with its com.microsoft ops: QLinearConv, a QLinearAdd of the conv output
// with itself (the shape of a residual add), QLinearGlobalAveragePool and a
// QGemm with an int32 bias and float output.
func qoperatorNet() *builder {
	b := newBuilder(13).input("x", "N", 3, 16, 16).
		scaleZP("a", dtUint8).typed("w", dtInt8, 8, 3, 3, 3).scaleZP("w", dtInt8).scaleZP("c", dtUint8).typed("b", dtInt32, 8).
		typed("fw", dtInt8, 10, 8).scaleZP("fw", dtInt8).typed("fb", dtInt32, 10)
	return b.node("QuantizeLinear", []string{"x", "a_s", "a_z"}, []string{"x_q"}).
		node("QLinearConv", []string{"x_q", "a_s", "a_z", "w", "w_s", "w_z", "c_s", "c_z", "b"}, []string{"c"}, aInts("pads", 1, 1, 1, 1)).
		msNode("QLinearAdd", []string{"c", "c_s", "c_z", "c", "c_s", "c_z", "c_s", "c_z"}, []string{"r"}).
		msNode("QLinearGlobalAveragePool", []string{"r", "c_s", "c_z", "c_s", "c_z"}, []string{"g"}).
		node("Flatten", []string{"g"}, []string{"f"}).
		msNode("QGemm", []string{"f", "c_s", "c_z", "fw", "fw_s", "fw_z", "fb"}, []string{"y"}, aInt("transB", 1)).output("y")
}

func TestQOperatorMicrosoftOps(t *testing.T) {
	// Conv 2048 outputs × 27 = 55296 MACs + 2048 bias; QLinearAdd 2048;
	// pool 8; QGemm 80 MACs + 10 bias; QuantizeLinear of x 768.
	res := qoperatorNet().analyze(t, 1)
	const macs = 55296 + 80
	check(t, res, 314, macs, 768+2*55296+2048+2048+8+2*80+10)
	checkShape(t, res, "g", 1, 8, 1, 1)
	checkShape(t, res, "y", 1, 10)
	if res.Row.IntMACs != macs {
		t.Errorf("int MACs %d, want %d", res.Row.IntMACs, macs)
	}
	if fp32 := convNet(false).analyze(t, 1); fp32.Row.MACs != res.Row.MACs || fp32.Row.Params != res.Row.Params {
		t.Errorf("QOperator MACs %d params %d, fp32 twin %d %d", res.Row.MACs, res.Row.Params, fp32.Row.MACs, fp32.Row.Params)
	}

	// channels_last pools the middle dims; an unknown com.microsoft op
	// stays unknown.
	b := newBuilder(13).input("x", "N", 6, 6, 4).scaleZP("s", dtUint8).
		msNode("QLinearGlobalAveragePool", []string{"x", "s_s", "s_z", "s_s", "s_z"}, []string{"g"}, aInt("channels_last", 1)).
		msNode("QAttention", []string{"g"}, []string{"y"}).output("y")
	res = b.analyze(t, 1)
	checkShape(t, res, "g", 1, 1, 1, 4)
	if res.Row.UnknownOps != microsoft+".QAttention" {
		t.Errorf("unknown ops %q, want com.microsoft.QAttention", res.Row.UnknownOps)
	}
}
