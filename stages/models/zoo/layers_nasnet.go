package zoo

import "github.com/advancedclimatesystems/gonnx/onnx"

// samePads returns TensorFlow "same" padding (begin, end) of one spatial
// axis: the output is ceil(in/stride), and any odd total padding goes at
// the end, as timm's pad_same and Conv2dSame do.
func samePads(in, k, stride int64) (begin, end int64) {
	out := (in + stride - 1) / stride
	total := max((out-1)*stride+k-in, 0)
	return total / 2, total - total/2
}

// SamePads returns ConvSpec.Pads ([top, left, bottom, right]) for a k×k
// window with "same" padding on x.
func SamePads(x Tensor, k, stride int64) []int64 {
	t, b := samePads(x.H(), k, stride)
	l, r := samePads(x.W(), k, stride)
	return []int64{t, l, b, r}
}

// PoolPads adds MaxPool or AveragePool ("max" or "avg") with a k×k window
// and explicit [top, left, bottom, right] padding. For average pooling,
// countPad includes the padding in the divisor, as pooling explicitly
// zero-padded input does.
func (g *Graph) PoolPads(kind string, x Tensor, k, stride int64, pads []int64, countPad bool) Tensor {
	oh := outSize(x.H(), k, stride, pads[0], pads[2], 1, false)
	ow := outSize(x.W(), k, stride, pads[1], pads[3], 1, false)
	shape := []int64{x.C(), oh, ow}
	attrs := []*onnx.AttributeProto{AttrInts("kernel_shape", k, k), AttrInts("strides", stride, stride), AttrInts("pads", pads...)}
	switch kind {
	case "max":
		return g.Node("MaxPool", []Tensor{x}, shape, attrs...)
	case "avg":
		c := int64(0)
		if countPad {
			c = 1
		}
		return g.Node("AveragePool", []Tensor{x}, shape, append(attrs, AttrInt("count_include_pad", c))...)
	}
	panic("zoo: unknown pooling " + kind)
}

// PadSpatial adds a constant zero Pad of the spatial axes; negative values
// crop, as PyTorch's ZeroPad2d does. pads are [top, left, bottom, right].
func (g *Graph) PadSpatial(x Tensor, pads []int64) Tensor {
	shape := []int64{x.C(), x.H() + pads[0] + pads[2], x.W() + pads[1] + pads[3]}
	return g.Node("Pad", []Tensor{x, g.Ints(0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3])}, shape)
}
