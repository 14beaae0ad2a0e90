package zoo

// shufflenetArchs lists ShuffleNet V2 (Ma et al. 2018, "ShuffleNet V2:
// Practical Guidelines for Efficient CNN Architecture Design") as
// torchvision defines it (models/shufflenetv2.py).
func shufflenetArchs() []Arch {
	return []Arch{
		{Name: "shufflenet_v2_x0_5", Family: "shufflenet", Reference: "torchvision:ShuffleNet_V2_X0_5_Weights.IMAGENET1K_V1",
			Build: func(g *Graph) Tensor { return shufflenetV2(g, [5]int64{24, 48, 96, 192, 1024}) }},
		{Name: "shufflenet_v2_x1_0", Family: "shufflenet", Reference: "torchvision:ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1",
			Build: func(g *Graph) Tensor { return shufflenetV2(g, [5]int64{24, 116, 232, 464, 1024}) }},
	}
}

// shufflenetV2 builds the network with torchvision's stages_out_channels
// and stages_repeats [4, 8, 4].
func shufflenetV2(g *Graph, chans [5]int64) Tensor {
	x := g.ConvBNReLU(g.Input(), chans[0], 3, 2, 1)
	x = g.MaxPool(x, 3, 2, 1, false)
	for i, repeats := range []int{4, 8, 4} {
		out := chans[i+1]
		x = shufflenetUnit(g, x, out, 2)
		for j := 1; j < repeats; j++ {
			x = shufflenetUnit(g, x, out, 1)
		}
	}
	x = g.ConvBNReLU(x, chans[4], 1, 1, 0)
	return g.Classifier(x, 1000) // x.mean([2, 3]) then fc
}

// shufflenetUnit is torchvision's InvertedResidual: at stride 1 half the
// channels pass through and the other half go through branch2; at stride 2
// both branches see the whole input. The halves are concatenated and
// shuffled in two groups.
func shufflenetUnit(g *Graph, x Tensor, out, stride int64) Tensor {
	half := out / 2
	dw := func(y Tensor) Tensor {
		return g.BN(g.ConvX(y, ConvSpec{Out: y.C(), K: 3, Stride: stride, Pad: 1, Groups: y.C()}))
	}
	branch2 := func(y Tensor) Tensor {
		y = g.ConvBNReLU(y, half, 1, 1, 0)
		y = dw(y)
		return g.ConvBNReLU(y, half, 1, 1, 0)
	}
	var y Tensor
	if stride == 1 {
		parts := g.Split(x, x.C()/2, x.C()-x.C()/2)
		y = g.Concat(parts[0], branch2(parts[1]))
	} else {
		b1 := g.ConvBNReLU(dw(x), half, 1, 1, 0)
		y = g.Concat(b1, branch2(x))
	}
	return g.ChannelShuffle(y, 2)
}
