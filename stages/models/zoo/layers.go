package zoo

import (
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

func sqrt(v float64) float64 { return math.Sqrt(v) }

// ConvSpec describes a 2-D convolution. Zero values mean: KW = K,
// Stride 1, Dilation 1, Groups 1, no padding, no bias.
type ConvSpec struct {
	Out      int64
	K, KW    int64
	Stride   int64
	StrideW  int64
	Pad      int64   // symmetric padding on every side
	Pads     []int64 // explicit [top, left, bottom, right]; overrides Pad
	Dilation int64
	Groups   int64
	Bias     bool
}

func orOne(v int64) int64 {
	if v == 0 {
		return 1
	}
	return v
}

// outSize is the output length of a sliding window.
func outSize(in, k, stride, padBegin, padEnd, dil int64, ceil bool) int64 {
	eff := dil*(k-1) + 1
	num := in + padBegin + padEnd - eff
	if ceil {
		o := (num+stride-1)/stride + 1
		// PyTorch/ONNX: the last window must start inside the input or left padding.
		if (o-1)*stride >= in+padBegin {
			o--
		}
		return o
	}
	return num/stride + 1
}

// ConvX adds a convolution (weights OIHW, optional bias).
func (g *Graph) ConvX(x Tensor, s ConvSpec) Tensor {
	kh, kw := s.K, s.KW
	if kw == 0 {
		kw = kh
	}
	sh, sw := orOne(s.Stride), s.StrideW
	if sw == 0 {
		sw = sh
	}
	dil, groups := orOne(s.Dilation), orOne(s.Groups)
	pads := s.Pads
	if pads == nil {
		pads = []int64{s.Pad, s.Pad, s.Pad, s.Pad}
	}
	if x.C()%groups != 0 || s.Out%groups != 0 {
		panic(fmt.Sprintf("zoo: conv groups %d do not divide channels %d→%d", groups, x.C(), s.Out))
	}
	cin := x.C() / groups
	w := g.Weight("conv_w", []int64{s.Out, cin, kh, kw}, cin*kh*kw)
	in := []Tensor{x, w}
	if s.Bias {
		in = append(in, g.Param("conv_b", []int64{s.Out}, InitConst, 0))
	}
	oh := outSize(x.H(), kh, sh, pads[0], pads[2], dil, false)
	ow := outSize(x.W(), kw, sw, pads[1], pads[3], dil, false)
	g.macs += s.Out * oh * ow * cin * kh * kw
	return g.Node("Conv", in, []int64{s.Out, oh, ow},
		AttrInts("kernel_shape", kh, kw), AttrInts("strides", sh, sw),
		AttrInts("pads", pads...), AttrInts("dilations", dil, dil), AttrInt("group", groups))
}

// Conv adds a square convolution without bias.
func (g *Graph) Conv(x Tensor, out, k, stride, pad int64) Tensor {
	return g.ConvX(x, ConvSpec{Out: out, K: k, Stride: stride, Pad: pad})
}

// BN adds BatchNormalization with epsilon 1e-5.
func (g *Graph) BN(x Tensor) Tensor { return g.BNEps(x, 1e-5) }

// BNEps adds BatchNormalization with the given epsilon. Scale and bias are
// parameters; running mean and variance are not.
func (g *Graph) BNEps(x Tensor, eps float32) Tensor {
	c := []int64{x.C()}
	scale := g.Param("bn_scale", c, InitConst, 1)
	bias := g.Param("bn_bias", c, InitConst, 0)
	mean := g.Param("bn_mean", c, InitConst, 0)
	vr := g.Param("bn_var", c, InitConst, 1)
	g.inits[len(g.inits)-1].stat = true
	g.inits[len(g.inits)-2].stat = true
	return g.Node("BatchNormalization", []Tensor{x, scale, bias, mean, vr}, x.Shape, AttrFloat("epsilon", eps))
}

// ConvBNReLU is the common conv → BN → ReLU unit.
func (g *Graph) ConvBNReLU(x Tensor, out, k, stride, pad int64) Tensor {
	return g.Relu(g.BN(g.Conv(x, out, k, stride, pad)))
}

// Relu, Sigmoid, Tanh, HardSwish and HardSigmoid are elementwise activations.
func (g *Graph) Relu(x Tensor) Tensor      { return g.Node("Relu", []Tensor{x}, x.Shape) }
func (g *Graph) Sigmoid(x Tensor) Tensor   { return g.Node("Sigmoid", []Tensor{x}, x.Shape) }
func (g *Graph) Tanh(x Tensor) Tensor      { return g.Node("Tanh", []Tensor{x}, x.Shape) }
func (g *Graph) HardSwish(x Tensor) Tensor { return g.Node("HardSwish", []Tensor{x}, x.Shape) }

// HardSigmoid follows PyTorch: relu6(x+3)/6.
func (g *Graph) HardSigmoid(x Tensor) Tensor {
	return g.Node("HardSigmoid", []Tensor{x}, x.Shape, AttrFloat("alpha", 1.0/6), AttrFloat("beta", 0.5))
}

// Relu6 clips to [0, 6].
func (g *Graph) Relu6(x Tensor) Tensor {
	return g.Node("Clip", []Tensor{x, g.Scalar(0), g.Scalar(6)}, x.Shape)
}

// SiLU is x·sigmoid(x) (Swish).
func (g *Graph) SiLU(x Tensor) Tensor { return g.Mul(x, g.Sigmoid(x)) }

// GELU is the exact erf form: 0.5·x·(1+erf(x/√2)).
func (g *Graph) GELU(x Tensor) Tensor {
	e := g.Node("Erf", []Tensor{g.Node("Div", []Tensor{x, g.Scalar(1.4142135)}, x.Shape)}, x.Shape)
	e = g.Node("Add", []Tensor{e, g.Scalar(1)}, x.Shape)
	return g.Node("Mul", []Tensor{g.Node("Mul", []Tensor{x, e}, x.Shape), g.Scalar(0.5)}, x.Shape)
}

// Add and Mul are elementwise with broadcasting; the result has a's shape
// unless b's is larger.
func (g *Graph) Add(a, b Tensor) Tensor { return g.Node("Add", []Tensor{a, b}, bigger(a, b)) }
func (g *Graph) Mul(a, b Tensor) Tensor { return g.Node("Mul", []Tensor{a, b}, bigger(a, b)) }

func bigger(a, b Tensor) []int64 {
	if numel(b.Shape) > numel(a.Shape) {
		return b.Shape
	}
	return a.Shape
}

func numel(s []int64) int64 {
	n := int64(1)
	for _, d := range s {
		n *= d
	}
	return n
}

// MaxPool adds max pooling with a square window.
func (g *Graph) MaxPool(x Tensor, k, stride, pad int64, ceil bool) Tensor {
	return g.pool("MaxPool", x, k, stride, pad, ceil)
}

// AvgPool adds average pooling; countPad includes padding in the divisor.
func (g *Graph) AvgPool(x Tensor, k, stride, pad int64, ceil, countPad bool) Tensor {
	extra := []int64{0}
	if countPad {
		extra[0] = 1
	}
	return g.pool("AveragePool", x, k, stride, pad, ceil, AttrInt("count_include_pad", extra[0]))
}

func (g *Graph) pool(op string, x Tensor, k, stride, pad int64, ceil bool, extra ...any) Tensor {
	c := int64(0)
	if ceil {
		c = 1
	}
	oh := outSize(x.H(), k, stride, pad, pad, 1, ceil)
	ow := outSize(x.W(), k, stride, pad, pad, 1, ceil)
	attrs := []*onnx.AttributeProto{AttrInts("kernel_shape", k, k), AttrInts("strides", stride, stride),
		AttrInts("pads", pad, pad, pad, pad), AttrInt("ceil_mode", c)}
	for _, e := range extra {
		attrs = append(attrs, e.(*onnx.AttributeProto))
	}
	return g.Node(op, []Tensor{x}, []int64{x.C(), oh, ow}, attrs...)
}

// GlobalAvgPool averages each channel to 1×1.
func (g *Graph) GlobalAvgPool(x Tensor) Tensor {
	return g.Node("GlobalAveragePool", []Tensor{x}, []int64{x.C(), 1, 1})
}

// Flatten keeps the batch axis and flattens the rest.
func (g *Graph) Flatten(x Tensor) Tensor {
	return g.Node("Flatten", []Tensor{x}, []int64{numel(x.Shape)}, AttrInt("axis", 1))
}

// Linear is a fully connected layer on N×in (Gemm, weights out×in as PyTorch).
func (g *Graph) Linear(x Tensor, out int64, bias bool) Tensor {
	in := x.Shape[len(x.Shape)-1]
	w := g.Param("fc_w", []int64{out, in}, InitUniform, float32(1/sqrt(float64(in))))
	g.macs += in * out
	ins := []Tensor{x, w}
	if bias {
		ins = append(ins, g.Param("fc_b", []int64{out}, InitConst, 0))
	}
	return g.Node("Gemm", ins, []int64{out}, AttrInt("transB", 1))
}

// LinearND is a fully connected layer on the last axis of an N×…×in tensor
// (MatMul with in×out weights, then Add of the bias).
func (g *Graph) LinearND(x Tensor, out int64, bias bool) Tensor {
	in := x.Shape[len(x.Shape)-1]
	w := g.Param("mm_w", []int64{in, out}, InitUniform, float32(1/sqrt(float64(in))))
	shape := append(append([]int64(nil), x.Shape[:len(x.Shape)-1]...), out)
	g.macs += numel(shape) * in
	y := g.Node("MatMul", []Tensor{x, w}, shape)
	if bias {
		y = g.Node("Add", []Tensor{y, g.Param("mm_b", []int64{out}, InitConst, 0)}, shape)
	}
	return y
}

// Concat joins tensors along the channel axis (axis 1 with batch).
func (g *Graph) Concat(xs ...Tensor) Tensor { return g.ConcatAxis(1, xs...) }

// ConcatAxis joins tensors along the given axis (counting the batch axis).
func (g *Graph) ConcatAxis(axis int64, xs ...Tensor) Tensor {
	shape := append([]int64(nil), xs[0].Shape...)
	shape[axis-1] = 0
	for _, x := range xs {
		shape[axis-1] += x.Shape[axis-1]
	}
	return g.Node("Concat", xs, shape, AttrInt("axis", axis))
}

// Split cuts a tensor along the channel axis into the given sizes.
func (g *Graph) Split(x Tensor, sizes ...int64) []Tensor {
	shapes := make([][]int64, len(sizes))
	for i, s := range sizes {
		shapes[i] = append([]int64{s}, x.Shape[1:]...)
	}
	return g.NodeN("Split", []Tensor{x, g.Ints(sizes...)}, shapes, AttrInt("axis", 1))
}

// Reshape reshapes to shape (without batch; the batch axis is kept).
func (g *Graph) Reshape(x Tensor, shape ...int64) Tensor {
	return g.Node("Reshape", []Tensor{x, g.Ints(append([]int64{0}, shape...)...)}, shape)
}

// Transpose permutes axes; perm includes the batch axis, which must stay at 0.
func (g *Graph) Transpose(x Tensor, perm ...int64) Tensor {
	if perm[0] != 0 {
		panic("zoo: transpose must keep the batch axis first")
	}
	shape := make([]int64, len(perm)-1)
	for i, p := range perm[1:] {
		shape[i] = x.Shape[p-1]
	}
	return g.Node("Transpose", []Tensor{x}, shape, AttrInts("perm", perm...))
}

// ChannelShuffle interleaves channels of groups (ShuffleNet).
func (g *Graph) ChannelShuffle(x Tensor, groups int64) Tensor {
	c, h, w := x.C(), x.H(), x.W()
	y := g.Reshape(x, groups, c/groups, h, w)
	y = g.Transpose(y, 0, 2, 1, 3, 4)
	return g.Reshape(y, c, h, w)
}

// LayerNorm normalises over the last axis with learned scale and bias.
func (g *Graph) LayerNorm(x Tensor, eps float32) Tensor {
	d := []int64{x.Shape[len(x.Shape)-1]}
	scale := g.Param("ln_scale", d, InitConst, 1)
	bias := g.Param("ln_bias", d, InitConst, 0)
	return g.Node("LayerNormalization", []Tensor{x, scale, bias}, x.Shape, AttrInt("axis", -1), AttrFloat("epsilon", eps))
}

// Softmax over the given axis (counting the batch axis).
func (g *Graph) Softmax(x Tensor, axis int64) Tensor {
	return g.Node("Softmax", []Tensor{x}, x.Shape, AttrInt("axis", axis))
}

// SE is a squeeze-and-excitation block: global pool, 1×1 conv to squeeze
// channels with bias, act, 1×1 conv back with bias, gate, then scale x.
// act and gate name activations: "relu", "silu", "sigmoid", "hardsigmoid".
func (g *Graph) SE(x Tensor, squeeze int64, act, gate string) Tensor {
	s := g.GlobalAvgPool(x)
	s = g.Act(g.ConvX(s, ConvSpec{Out: squeeze, K: 1, Bias: true}), act)
	s = g.Act(g.ConvX(s, ConvSpec{Out: x.C(), K: 1, Bias: true}), gate)
	return g.Mul(x, s)
}

// Act applies a named activation: relu, relu6, silu, sigmoid, hardsigmoid,
// hardswish, gelu, tanh, or none.
func (g *Graph) Act(x Tensor, name string) Tensor {
	switch name {
	case "relu":
		return g.Relu(x)
	case "relu6":
		return g.Relu6(x)
	case "silu", "swish":
		return g.SiLU(x)
	case "sigmoid":
		return g.Sigmoid(x)
	case "hardsigmoid":
		return g.HardSigmoid(x)
	case "hardswish":
		return g.HardSwish(x)
	case "gelu":
		return g.GELU(x)
	case "tanh":
		return g.Tanh(x)
	case "none", "":
		return x
	}
	panic("zoo: unknown activation " + name)
}

// Classifier is the usual head: global average pool, flatten, linear to classes.
func (g *Graph) Classifier(x Tensor, classes int64) Tensor {
	return g.Linear(g.Flatten(g.GlobalAvgPool(x)), classes, true)
}
