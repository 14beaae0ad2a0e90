package zoo

// xceptionArchs lists Xception as timm's legacy_xception defines it
// (timm/models/xception.py, tstandley's and Cadene's port of the Keras model;
// Chollet 2017, "Xception: Deep Learning with Depthwise Separable
// Convolutions"), at its native 299 px.
func xceptionArchs() []Arch {
	return []Arch{{Name: "legacy_xception", Family: "xception", Size: 299,
		Reference: "timm:legacy_xception.tf_in1k", Build: xception}}
}

func xception(g *Graph) Tensor {
	x := g.ConvBNReLU(g.Input(), 32, 3, 2, 0)
	x = g.ConvBNReLU(x, 64, 3, 1, 0)
	x = xceptionBlock(g, x, 128, 2, 2, false, true)
	x = xceptionBlock(g, x, 256, 2, 2, true, true)
	x = xceptionBlock(g, x, 728, 2, 2, true, true)
	for range 8 {
		x = xceptionBlock(g, x, 728, 3, 1, true, true)
	}
	x = xceptionBlock(g, x, 1024, 2, 2, true, false)
	x = g.Relu(g.BN(xceptionSepConv(g, x, 1536)))
	x = g.Relu(g.BN(xceptionSepConv(g, x, 2048)))
	return g.Classifier(x, 1000)
}

// xceptionSepConv is SeparableConv2d: a 3×3 depthwise convolution (padding
// 1) then a 1×1 pointwise one, neither with bias.
func xceptionSepConv(g *Graph, x Tensor, out int64) Tensor {
	x = g.ConvX(x, ConvSpec{Out: x.C(), K: 3, Pad: 1, Groups: x.C()})
	return g.Conv(x, out, 1, 1, 0)
}

// xceptionBlock is Block: reps of ReLU → separable conv → BN, a 3×3 max
// pool when strided, and a residual (1×1 conv + BN when the shape changes).
func xceptionBlock(g *Graph, in Tensor, out, reps, stride int64, startRelu, growFirst bool) Tensor {
	x := in
	for i := range reps {
		outc := out
		if !growFirst && i < reps-1 {
			outc = in.C()
		}
		if i > 0 || startRelu {
			x = g.Relu(x)
		}
		x = g.BN(xceptionSepConv(g, x, outc))
	}
	if stride != 1 {
		x = g.MaxPool(x, 3, stride, 1, false)
	}
	skip := in
	if out != in.C() || stride != 1 {
		skip = g.BN(g.Conv(in, out, 1, stride, 0))
	}
	return g.Add(x, skip)
}
