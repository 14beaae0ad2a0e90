package flops

import (
	"bytes"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/golden"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// TestPyTorchExport counts the Tiny module of testdata/make_fixtures.py,
// exported by PyTorch 1.13 at opsets 13 and 17, against counts worked out
// from the module by hand (input 1×3×16×16):
//
//	conv 3→8, 3×3, stride 2, pad 1: out 8×8×8 = 512; MACs 512×27 = 13824; bias 512
//	relu 512; batchnorm 512 (params: weight+bias 16, running stats excluded)
//	depthwise 3×3, dilation 2, pad 2: out 512; MACs 512×9 = 4608
//	relu6 (Relu + Clip) 512 + 512
//	pointwise 8→16: out 1024; MACs 1024×8 = 8192; bias 1024
//	hardswish: opset 13 HardSigmoid + Mul 2×1024; opset 17 HardSwish 1024
//	t·tᵀ [64,16]·[16,64]: MACs 65536; softmax 4096; a·t: MACs 65536
//	layernorm over 16 on [64,16]: opset 17 one op, 1024; opset 13 decomposed:
//	  ReduceMean 64, Sub 1024, Pow 1024, ReduceMean 64, Add 64, Sqrt 64,
//	  Div 1024, Mul 1024, Add 1024 = 5376
//	mean over dim 1: 16; view: shape ops, free; linear 16→10: MACs 160, bias 10
//
// MACs = 157856; paper MACs (convs) = 26624; biases 1546; FLOPs = 2×157856
// + 1546 + 512×4 + hardswish + 4096 + layernorm + 16. Params = 216+8 + 16 +
// 72 + 128+16 + 32 + 160+10 = 658.
func TestPyTorchExport(t *testing.T) {
	for _, tc := range []struct {
		file  string
		flops int64
	}{
		{"tiny_pytorch_opset13.onnx", 315712 + 1546 + 2048 + 2048 + 4096 + 5376 + 16},
		{"tiny_pytorch_opset17.onnx", 315712 + 1546 + 2048 + 1024 + 4096 + 1024 + 16},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			m, err := Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if m.ProducerName != "pytorch" {
				t.Errorf("producer %q, want pytorch", m.ProducerName)
			}
			res, err := Analyze(m, Config{})
			if err != nil {
				t.Fatal(err)
			}
			check(t, res, 658, 157856, tc.flops)
			if res.Row.PaperMACs != 26624 {
				t.Errorf("paper MACs %d, want 26624", res.Row.PaperMACs)
			}
			if len(res.Row.Warnings) != 0 {
				t.Errorf("warnings %q", res.Row.Warnings)
			}
			checkShape(t, res, "logits", 1, 10)
			// Dynamic batch: batch 8 scales every count but params by 8.
			res8, err := Analyze(m, Config{Batch: 8})
			if err != nil {
				t.Fatal(err)
			}
			if res8.Row.MACs != 8*res.Row.MACs || res8.Row.FLOPs != 8*res.Row.FLOPs || res8.Row.Params != res.Row.Params {
				t.Errorf("batch 8: %+v, batch 1: %+v", res8.Row, res.Row)
			}
			checkShape(t, res8, "logits", 8, 10)
			golden.Check(t, filepath.Join("testdata", strings.TrimSuffix(tc.file, ".onnx")+".golden"), summary(res), *update)
		})
	}
}

// summary renders a result as stable text for golden comparison.
func summary(res *Analysis) []byte {
	var b bytes.Buffer
	r := res.Row
	fmt.Fprintf(&b, "params %d\nfile_bytes %d\nmacs %d\nflops %d\nactivation_bytes %d\npeak_activation_bytes %d\npaper_macs %d\nunknown_ops %q\nwarnings %q\n",
		r.Params, r.FileBytes, r.MACs, r.FLOPs, r.ActivationBytes, r.PeakActivationBytes, r.PaperMACs, r.UnknownOps, r.Warnings)
	fmt.Fprintln(&b, "op,nodes,params,macs,flops,counted")
	for _, o := range res.Ops {
		fmt.Fprintf(&b, "%s,%d,%d,%d,%d,%v\n", o.Op, o.Nodes, o.Params, o.MACs, o.FLOPs, o.Counted)
	}
	return b.Bytes()
}

// TestPyTorchSharedStatistics counts the FreshBN module of
// testdata/make_fixtures.py (input 1×3×8×8), whose batch norms are left as
// initialised. PyTorch 1.13 stores bn1's scale (ones) and bias (zeros)
// once and feeds both running statistics and bn2's four inputs through
// Identity, as in densenet121(weights=None). The ones and zeros reach a
// running-statistic input, so neither is a parameter:
//
//	conv 3→8, 3×3, pad 1: 216 + 8; conv 8→8, 3×3, pad 1: 576 + 8; linear 8→4: 32 + 4
//
// Params = 844 (860 if the statistics passed as parameters). MACs = 512×27
// + 512×72 + 32 = 50720; FLOPs = 2×50720 + biases 1028 + relu 1024 +
// batchnorm 1024 + mean 8.
func TestPyTorchSharedStatistics(t *testing.T) {
	m, err := Read(filepath.Join("testdata", "fresh_bn_pytorch_opset13.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	var identities int
	for _, n := range m.Graph.Nodes {
		if n.OpType() == "Identity" {
			identities++
		}
	}
	if identities != 6 {
		t.Fatalf("%d Identity nodes, want the 6 the exporter writes for shared initializers", identities)
	}
	res, err := Analyze(m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	check(t, res, 844, 50720, 2*50720+1028+1024+1024+8)
	if len(res.Row.Warnings) != 0 {
		t.Errorf("warnings %q", res.Row.Warnings)
	}
}

// TestStatisticsThroughPassThrough: running statistics reach the node
// through a chain of pass-through ops, and a statistic also used as the
// scale still counts as a statistic. Params: the bias only (3).
func TestStatisticsThroughPassThrough(t *testing.T) {
	b := newBuilder(13).input("x", "N", 3, 4, 4).weight("ones", 3).weight("b", 3).weight("m", 3).
		ints("shape", []int64{1}, 3).
		node("Identity", []string{"m"}, []string{"m1"}).
		node("Reshape", []string{"m1", "shape"}, []string{"m2"}).
		node("Cast", []string{"m2"}, []string{"mean"}, aInt("to", 1)).
		node("Identity", []string{"ones"}, []string{"var"}).
		node("BatchNormalization", []string{"x", "ones", "b", "mean", "var"}, []string{"y"}).output("y")
	check(t, b.analyze(t, 1), 3, 0, 48)
}
