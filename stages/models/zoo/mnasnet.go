package zoo

// mnasnetArchs lists MnasNet (Tan et al. 2019, "MnasNet: Platform-Aware
// Neural Architecture Search for Mobile") as torchvision defines it
// (models/mnasnet.py): the B1 variant without squeeze-excitation.
func mnasnetArchs() []Arch {
	return []Arch{{Name: "mnasnet1_0", Family: "mnasnet", Reference: "torchvision:MNASNet1_0_Weights.IMAGENET1K_V1",
		Build: func(g *Graph) Tensor { return mnasnet(g, 1.0) }}}
}

// mnasnetRound is torchvision's _round_to_multiple_of with divisor 8 and
// round_up_bias 0.9.
func mnasnetRound(v float64) int64 {
	const divisor = 8
	n := max(divisor, int64(v+divisor/2)/divisor*divisor)
	if float64(n) >= 0.9*v {
		return n
	}
	return n + divisor
}

// mnasnet builds MNASNet at width alpha (BatchNorm eps 1e-5).
func mnasnet(g *Graph, alpha float64) Tensor {
	var d [8]int64
	for i, v := range []float64{32, 16, 24, 40, 80, 96, 192, 320} {
		d[i] = mnasnetRound(v * alpha)
	}
	x := g.ConvBNReLU(g.Input(), d[0], 3, 2, 1)
	// Depthwise separable, no skip.
	x = g.Relu(g.BN(g.ConvX(x, ConvSpec{Out: d[0], K: 3, Pad: 1, Groups: d[0]})))
	x = g.BN(g.Conv(x, d[1], 1, 1, 0))
	// Stacks of inverted residuals: output, kernel, stride, expansion, repeats.
	for _, s := range [][5]int64{{d[2], 3, 2, 3, 3}, {d[3], 5, 2, 3, 3}, {d[4], 5, 2, 6, 3}, {d[5], 3, 1, 6, 2}, {d[6], 5, 2, 6, 4}, {d[7], 3, 1, 6, 1}} {
		out, k, stride, exp, repeats := s[0], s[1], s[2], s[3], s[4]
		for i := int64(0); i < repeats; i++ {
			if i > 0 {
				stride = 1
			}
			x = mnasnetInvertedResidual(g, x, out, k, stride, exp)
		}
	}
	x = g.ConvBNReLU(x, 1280, 1, 1, 0)
	return g.Classifier(x, 1000) // x.mean([2, 3]), Dropout (identity), Linear
}

// mnasnetInvertedResidual is torchvision's _InvertedResidual: pointwise
// expansion, depthwise k×k, linear pointwise projection, with a residual
// when shapes allow.
func mnasnetInvertedResidual(g *Graph, x Tensor, out, k, stride, exp int64) Tensor {
	mid := x.C() * exp
	y := g.ConvBNReLU(x, mid, 1, 1, 0)
	y = g.Relu(g.BN(g.ConvX(y, ConvSpec{Out: mid, K: k, Stride: stride, Pad: k / 2, Groups: mid})))
	y = g.BN(g.Conv(y, out, 1, 1, 0))
	if stride == 1 && x.C() == out {
		y = g.Add(x, y)
	}
	return y
}
