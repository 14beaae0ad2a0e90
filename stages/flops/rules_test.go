package flops

import (
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

func TestRuleDispatch(t *testing.T) {
	type want struct {
		kind          opKind
		conv, integer bool
		quantized     bool
	}
	for _, tc := range []struct {
		domain, op string
		want       want
	}{
		{"", "Conv", want{kind: kindMAC, conv: true}},
		{"ai.onnx", "ConvTranspose", want{kind: kindMAC, conv: true}},
		{"", "Gemm", want{kind: kindMAC}},
		{"", "MatMul", want{kind: kindMAC}},
		{"", "QLinearConv", want{kind: kindMAC, conv: true, integer: true, quantized: true}},
		{"", "MatMulInteger", want{kind: kindMAC, integer: true, quantized: true}},
		{microsoft, "QGemm", want{kind: kindMAC, integer: true, quantized: true}},
		{"", "Relu", want{kind: kindPerOutput}},
		{"", "Where", want{kind: kindPerOutput}},
		{"", "BatchNormalization", want{kind: kindPerOutput}},
		{"", "LRN", want{kind: kindPerOutput}},
		{"", "GlobalAveragePool", want{kind: kindPerOutput}},
		{"", "ArgMax", want{kind: kindPerOutput}},
		{"", "Upsample", want{kind: kindPerOutput}},
		{"", "DequantizeLinear", want{kind: kindPerOutput, quantized: true}},
		{"", "DynamicQuantizeLinear", want{kind: kindPerOutput}},
		{microsoft, "QLinearAdd", want{kind: kindPerOutput, quantized: true}},
		{"", "Reshape", want{kind: kindFree}},
		{"", "Constant", want{kind: kindFree}},
		{microsoft, "QLinearConcat", want{kind: kindFree, quantized: true}},
		// Unknown: no rule, whatever a same-named op elsewhere does.
		{microsoft, "Conv", want{kind: kindUnknown}},
		{"custom", "Relu", want{kind: kindUnknown}},
		{"", "QGemm", want{kind: kindUnknown}},
		{"", "Loop", want{kind: kindUnknown}},
	} {
		n := &Node{Proto: &onnx.NodeProto{Domain: tc.domain, OpType: tc.op}}
		r, ok := ruleOf(n)
		got := want{kind: r.kind, conv: r.conv, integer: r.integer, quantized: r.quant != nil}
		if !ok {
			got.kind = kindUnknown
		}
		if got != tc.want {
			t.Errorf("%s.%s: rule %+v, want %+v", tc.domain, tc.op, got, tc.want)
		}
		if ok && (r.infer == nil || (r.kind == kindMAC) != (r.count != nil)) {
			t.Errorf("%s.%s: infer set %v, count set %v for kind %d", tc.domain, tc.op, r.infer != nil, r.count != nil, r.kind)
		}
	}
}

func TestQuantizedInputRoles(t *testing.T) {
	for _, tc := range []struct {
		domain, op string
		roles      []quantRole // by input index
	}{
		{"", "QLinearConv", []quantRole{quantWeight, quantScale, quantScale, quantWeight, quantScale, quantScale, quantScale, quantScale, quantWeight}},
		{"", "ConvInteger", []quantRole{quantWeight, quantWeight, quantScale, quantScale}},
		{"", "QuantizeLinear", []quantRole{quantNone, quantScale, quantScale}},
		{microsoft, "QGemm", []quantRole{quantWeight, quantScale, quantScale, quantWeight, quantScale, quantScale, quantWeight, quantScale, quantScale}},
		{microsoft, "QLinearConcat", []quantRole{quantScale, quantScale, quantWeight, quantScale, quantScale, quantWeight, quantScale, quantScale}},
	} {
		r, ok := ruleOf(&Node{Proto: &onnx.NodeProto{Domain: tc.domain, OpType: tc.op}})
		if !ok || r.quant == nil {
			t.Fatalf("%s.%s: no quantized rule", tc.domain, tc.op)
		}
		for j, want := range tc.roles {
			if got := r.quant(j); got != want {
				t.Errorf("%s.%s input %d: role %d, want %d", tc.domain, tc.op, j, got, want)
			}
		}
	}
}
