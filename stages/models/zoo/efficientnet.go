package zoo

// efficientnetArchs lists EfficientNet (Tan and Le 2019, "EfficientNet:
// Rethinking Model Scaling for Convolutional Neural Networks") as
// torchvision defines it (models/efficientnet.py).
func efficientnetArchs() []Arch {
	return []Arch{{Name: "efficientnet_b0", Family: "efficientnet", Reference: "torchvision:EfficientNet_B0_Weights.IMAGENET1K_V1",
		Build: func(g *Graph) Tensor { return efficientnet(g, 1.0, 1.0) }}}
}

// efficientnet builds torchvision's EfficientNet-B* at the given width and
// depth multipliers: SiLU, BatchNorm eps 1e-5 (B0–B4), MBConv blocks with
// squeeze-excitation; stochastic depth and dropout are the identity at
// inference.
func efficientnet(g *Graph, width, depth float64) Tensor {
	ch := func(c int64) int64 { return mobilenetDivisible(float64(c)*width, 8) }
	// expand ratio, kernel, stride, input channels, output channels, layers.
	setting := [][6]int64{
		{1, 3, 1, 32, 16, 1},
		{6, 3, 2, 16, 24, 2},
		{6, 5, 2, 24, 40, 2},
		{6, 3, 2, 40, 80, 3},
		{6, 5, 1, 80, 112, 3},
		{6, 5, 2, 112, 192, 4},
		{6, 3, 1, 192, 320, 1},
	}
	x := mobilenetConvBN(g, g.Input(), ch(setting[0][3]), 3, 2, 1, 1e-5, "silu")
	for _, s := range setting {
		exp, k, stride, out := s[0], s[1], s[2], ch(s[4])
		layers := int64(efficientnetCeil(float64(s[5]) * depth))
		for i := int64(0); i < layers; i++ {
			if i > 0 {
				stride = 1
			}
			x = efficientnetMBConv(g, x, out, k, stride, exp)
		}
	}
	x = mobilenetConvBN(g, x, 4*x.C(), 1, 1, 1, 1e-5, "silu")
	return g.Classifier(x, 1000)
}

func efficientnetCeil(v float64) int64 {
	n := int64(v)
	if float64(n) < v {
		n++
	}
	return n
}

// efficientnetMBConv is torchvision's MBConv: optional 1×1 expansion,
// depthwise k×k, squeeze-excitation to a quarter of the block's input
// channels (SiLU, sigmoid gate), linear 1×1 projection, residual when
// shapes allow.
func efficientnetMBConv(g *Graph, x Tensor, out, k, stride, exp int64) Tensor {
	expanded := mobilenetDivisible(float64(x.C()*exp), 8)
	y := x
	if expanded != x.C() {
		y = mobilenetConvBN(g, y, expanded, 1, 1, 1, 1e-5, "silu")
	}
	y = mobilenetConvBN(g, y, expanded, k, stride, expanded, 1e-5, "silu")
	y = g.SE(y, max(1, x.C()/4), "silu", "sigmoid")
	y = mobilenetConvBN(g, y, out, 1, 1, 1, 1e-5, "none")
	if stride == 1 && x.C() == out {
		y = g.Add(x, y)
	}
	return y
}
