package zoo

// inceptionTFArchs lists Inception-v4 and Inception-ResNet-v2 as timm
// defines them (timm/models/inception_v4.py and inception_resnet_v2.py,
// Cadene's ports of Google's TensorFlow models; Szegedy et al. 2016,
// "Inception-v4, Inception-ResNet and the Impact of Residual Connections on
// Learning"), at their native 299 px. Every convolution unit is conv (no
// bias, no padding unless stated) → BN (epsilon 1e-3) → ReLU.
func inceptionTFArchs() []Arch {
	return []Arch{
		{Name: "inception_resnet_v2", Family: "inception_tf", Size: 299,
			Reference: "timm:inception_resnet_v2.tf_in1k", Build: inceptionResNetV2},
		{Name: "inception_v4", Family: "inception_tf", Size: 299,
			Reference: "timm:inception_v4.tf_in1k", Build: inceptionV4},
	}
}

// tfConv is BasicConv2d / ConvNormAct with a kh×kw kernel and symmetric
// padding ph, pw.
func tfConv(g *Graph, x Tensor, out, kh, kw, stride, ph, pw int64) Tensor {
	x = g.ConvX(x, ConvSpec{Out: out, K: kh, KW: kw, Stride: stride, Pads: []int64{ph, pw, ph, pw}})
	return g.Relu(g.BNEps(x, 1e-3))
}

// tfConvK is tfConv with a square kernel and equal padding.
func tfConvK(g *Graph, x Tensor, out, k, stride, pad int64) Tensor {
	return tfConv(g, x, out, k, k, stride, pad, pad)
}

// tfAvgBranch is the pooling branch: 3×3 average pool (stride 1, padding 1,
// padding not counted) then a 1×1 unit.
func tfAvgBranch(g *Graph, x Tensor, out int64) Tensor {
	return tfConvK(g, g.AvgPool(x, 3, 1, 1, false, false), out, 1, 1, 0)
}

func inceptionV4(g *Graph) Tensor {
	x := tfConvK(g, g.Input(), 32, 3, 2, 0)
	x = tfConvK(g, x, 32, 3, 1, 0)
	x = tfConvK(g, x, 64, 3, 1, 1)
	// Mixed3a, Mixed4a, Mixed5a.
	x = g.Concat(g.MaxPool(x, 3, 2, 0, false), tfConvK(g, x, 96, 3, 2, 0))
	b0 := tfConvK(g, tfConvK(g, x, 64, 1, 1, 0), 96, 3, 1, 0)
	b1 := tfConvK(g, x, 64, 1, 1, 0)
	b1 = tfConv(g, b1, 64, 1, 7, 1, 0, 3)
	b1 = tfConv(g, b1, 64, 7, 1, 1, 3, 0)
	b1 = tfConvK(g, b1, 96, 3, 1, 0)
	x = g.Concat(b0, b1)
	x = g.Concat(tfConvK(g, x, 192, 3, 2, 0), g.MaxPool(x, 3, 2, 0, false))
	for range 4 {
		x = inceptionV4A(g, x)
	}
	// ReductionA (Mixed6a).
	r1 := tfConvK(g, tfConvK(g, x, 192, 1, 1, 0), 224, 3, 1, 1)
	x = g.Concat(tfConvK(g, x, 384, 3, 2, 0), tfConvK(g, r1, 256, 3, 2, 0), g.MaxPool(x, 3, 2, 0, false))
	for range 7 {
		x = inceptionV4B(g, x)
	}
	// ReductionB (Mixed7a).
	r0 := tfConvK(g, tfConvK(g, x, 192, 1, 1, 0), 192, 3, 2, 0)
	r1 = tfConvK(g, x, 256, 1, 1, 0)
	r1 = tfConv(g, r1, 256, 1, 7, 1, 0, 3)
	r1 = tfConv(g, r1, 320, 7, 1, 1, 3, 0)
	r1 = tfConvK(g, r1, 320, 3, 2, 0)
	x = g.Concat(r0, r1, g.MaxPool(x, 3, 2, 0, false))
	for range 3 {
		x = inceptionV4C(g, x)
	}
	return g.Classifier(x, 1000)
}

func inceptionV4A(g *Graph, x Tensor) Tensor {
	b0 := tfConvK(g, x, 96, 1, 1, 0)
	b1 := tfConvK(g, tfConvK(g, x, 64, 1, 1, 0), 96, 3, 1, 1)
	b2 := tfConvK(g, tfConvK(g, tfConvK(g, x, 64, 1, 1, 0), 96, 3, 1, 1), 96, 3, 1, 1)
	return g.Concat(b0, b1, b2, tfAvgBranch(g, x, 96))
}

func inceptionV4B(g *Graph, x Tensor) Tensor {
	b0 := tfConvK(g, x, 384, 1, 1, 0)
	b1 := tfConvK(g, x, 192, 1, 1, 0)
	b1 = tfConv(g, b1, 224, 1, 7, 1, 0, 3)
	b1 = tfConv(g, b1, 256, 7, 1, 1, 3, 0)
	b2 := tfConvK(g, x, 192, 1, 1, 0)
	b2 = tfConv(g, b2, 192, 7, 1, 1, 3, 0)
	b2 = tfConv(g, b2, 224, 1, 7, 1, 0, 3)
	b2 = tfConv(g, b2, 224, 7, 1, 1, 3, 0)
	b2 = tfConv(g, b2, 256, 1, 7, 1, 0, 3)
	return g.Concat(b0, b1, b2, tfAvgBranch(g, x, 128))
}

func inceptionV4C(g *Graph, x Tensor) Tensor {
	b0 := tfConvK(g, x, 256, 1, 1, 0)
	b1 := tfConvK(g, x, 384, 1, 1, 0)
	b1 = g.Concat(tfConv(g, b1, 256, 1, 3, 1, 0, 1), tfConv(g, b1, 256, 3, 1, 1, 1, 0))
	b2 := tfConvK(g, x, 384, 1, 1, 0)
	b2 = tfConv(g, b2, 448, 3, 1, 1, 1, 0)
	b2 = tfConv(g, b2, 512, 1, 3, 1, 0, 1)
	b2 = g.Concat(tfConv(g, b2, 256, 1, 3, 1, 0, 1), tfConv(g, b2, 256, 3, 1, 1, 1, 0))
	return g.Concat(b0, b1, b2, tfAvgBranch(g, x, 256))
}

func inceptionResNetV2(g *Graph) Tensor {
	x := tfConvK(g, g.Input(), 32, 3, 2, 0)
	x = tfConvK(g, x, 32, 3, 1, 0)
	x = tfConvK(g, x, 64, 3, 1, 1)
	x = g.MaxPool(x, 3, 2, 0, false)
	x = tfConvK(g, x, 80, 1, 1, 0)
	x = tfConvK(g, x, 192, 3, 1, 0)
	x = g.MaxPool(x, 3, 2, 0, false)
	// Mixed_5b.
	b0 := tfConvK(g, x, 96, 1, 1, 0)
	b1 := tfConvK(g, tfConvK(g, x, 48, 1, 1, 0), 64, 5, 1, 2)
	b2 := tfConvK(g, tfConvK(g, tfConvK(g, x, 64, 1, 1, 0), 96, 3, 1, 1), 96, 3, 1, 1)
	x = g.Concat(b0, b1, b2, tfAvgBranch(g, x, 64))
	for range 10 {
		b0 := tfConvK(g, x, 32, 1, 1, 0)
		b1 := tfConvK(g, tfConvK(g, x, 32, 1, 1, 0), 32, 3, 1, 1)
		b2 := tfConvK(g, tfConvK(g, tfConvK(g, x, 32, 1, 1, 0), 48, 3, 1, 1), 64, 3, 1, 1)
		x = irv2Residual(g, x, g.Concat(b0, b1, b2), 0.17, true) // Block35
	}
	// Mixed_6a.
	r1 := tfConvK(g, tfConvK(g, tfConvK(g, x, 256, 1, 1, 0), 256, 3, 1, 1), 384, 3, 2, 0)
	x = g.Concat(tfConvK(g, x, 384, 3, 2, 0), r1, g.MaxPool(x, 3, 2, 0, false))
	for range 20 {
		b0 := tfConvK(g, x, 192, 1, 1, 0)
		b1 := tfConvK(g, x, 128, 1, 1, 0)
		b1 = tfConv(g, b1, 160, 1, 7, 1, 0, 3)
		b1 = tfConv(g, b1, 192, 7, 1, 1, 3, 0)
		x = irv2Residual(g, x, g.Concat(b0, b1), 0.10, true) // Block17
	}
	// Mixed_7a.
	r0 := tfConvK(g, tfConvK(g, x, 256, 1, 1, 0), 384, 3, 2, 0)
	r1 = tfConvK(g, tfConvK(g, x, 256, 1, 1, 0), 288, 3, 2, 0)
	r2 := tfConvK(g, tfConvK(g, tfConvK(g, x, 256, 1, 1, 0), 288, 3, 1, 1), 320, 3, 2, 0)
	x = g.Concat(r0, r1, r2, g.MaxPool(x, 3, 2, 0, false))
	for i := range 10 {
		b0 := tfConvK(g, x, 192, 1, 1, 0)
		b1 := tfConvK(g, x, 192, 1, 1, 0)
		b1 = tfConv(g, b1, 224, 1, 3, 1, 0, 1)
		b1 = tfConv(g, b1, 256, 3, 1, 1, 1, 0)
		if i < 9 {
			x = irv2Residual(g, x, g.Concat(b0, b1), 0.20, true) // Block8
		} else {
			x = irv2Residual(g, x, g.Concat(b0, b1), 1, false) // block8, no ReLU
		}
	}
	x = tfConvK(g, x, 1536, 1, 1, 0)
	return g.Classifier(x, 1000)
}

// irv2Residual ends Block35/17/8: a 1×1 convolution with bias back to x's
// width, scaled, added to x, then ReLU unless noRelu.
func irv2Residual(g *Graph, x, branches Tensor, scale float32, relu bool) Tensor {
	y := g.ConvX(branches, ConvSpec{Out: x.C(), K: 1, Bias: true})
	if scale != 1 {
		y = g.Mul(y, g.Scalar(scale))
	}
	y = g.Add(y, x)
	if relu {
		y = g.Relu(y)
	}
	return y
}
