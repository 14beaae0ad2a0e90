package zoo

// convnextArchs lists ConvNeXt (Liu et al. 2022, "A ConvNet for the
// 2020s") as torchvision defines it (models/convnext.py).
func convnextArchs() []Arch {
	return []Arch{{Name: "convnext_tiny", Family: "convnext", Reference: "torchvision:ConvNeXt_Tiny_Weights.IMAGENET1K_V1",
		Build: func(g *Graph) Tensor { return convnext(g, [4]int64{96, 192, 384, 768}, [4]int{3, 3, 9, 3}) }}}
}

// convnextEps is the LayerNorm epsilon torchvision uses throughout.
const convnextEps = 1e-6

// convnext builds torchvision's ConvNeXt: a 4×4 stride-4 patchify stem with
// LayerNorm2d, four stages of CNBlocks separated by LayerNorm2d + 2×2
// stride-2 downsampling convolutions, then pooling, LayerNorm and the linear
// head. Stochastic depth is the identity at inference.
func convnext(g *Graph, dims [4]int64, depths [4]int) Tensor {
	x := g.ConvX(g.Input(), ConvSpec{Out: dims[0], K: 4, Stride: 4, Bias: true})
	x = convnextLayerNorm2d(g, x)
	for i := range dims {
		for j := 0; j < depths[i]; j++ {
			x = convnextBlock(g, x)
		}
		if i+1 < len(dims) {
			x = convnextLayerNorm2d(g, x)
			x = g.ConvX(x, ConvSpec{Out: dims[i+1], K: 2, Stride: 2, Bias: true})
		}
	}
	// avgpool → LayerNorm2d on N×C×1×1 → Flatten is LayerNorm on N×C.
	x = g.LayerNorm(g.Flatten(g.GlobalAvgPool(x)), convnextEps)
	return g.Linear(x, 1000, true)
}

// convnextLayerNorm2d normalises an N×C×H×W tensor over its channels, as
// torchvision's LayerNorm2d does: permute to channels-last, LayerNorm,
// permute back.
func convnextLayerNorm2d(g *Graph, x Tensor) Tensor {
	y := g.Transpose(x, 0, 2, 3, 1)
	y = g.LayerNorm(y, convnextEps)
	return g.Transpose(y, 0, 3, 1, 2)
}

// convnextBlock is torchvision's CNBlock: depthwise 7×7 convolution with
// bias, channels-last LayerNorm, Linear to 4C, GELU, Linear back to C,
// channels-first again, scaled by the learned layer scale (C×1×1, 1e-6 at
// initialisation) and added to the input.
func convnextBlock(g *Graph, x Tensor) Tensor {
	c := x.C()
	y := g.ConvX(x, ConvSpec{Out: c, K: 7, Pad: 3, Groups: c, Bias: true})
	y = g.Transpose(y, 0, 2, 3, 1)
	y = g.LayerNorm(y, convnextEps)
	y = g.GELU(g.LinearND(y, 4*c, true))
	y = g.LinearND(y, c, true)
	y = g.Transpose(y, 0, 3, 1, 2)
	y = g.Mul(y, g.Param("layer_scale", []int64{c, 1, 1}, InitConst, 1e-6))
	return g.Add(x, y)
}
