package zoo

// squeezenetArchs lists SqueezeNet 1.0 (Iandola et al. 2016, "SqueezeNet:
// AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size")
// and 1.1 (the SqueezeNet repository's v1.1), as torchvision defines them in
// torchvision/models/squeezenet.py.
func squeezenetArchs() []Arch {
	return []Arch{
		{Name: "squeezenet1_0", Family: "squeezenet", Reference: "torchvision:SqueezeNet1_0_Weights.IMAGENET1K_V1",
			Build: func(g *Graph) Tensor { return squeezenet(g, "1_0") }},
		{Name: "squeezenet1_1", Family: "squeezenet", Reference: "torchvision:SqueezeNet1_1_Weights.IMAGENET1K_V1",
			Build: func(g *Graph) Tensor { return squeezenet(g, "1_1") }},
	}
}

// squeezenetFire is the Fire module: a 1×1 squeeze convolution, then 1×1
// and 3×3 expand convolutions side by side, concatenated. Every convolution
// has a bias and a ReLU.
func squeezenetFire(g *Graph, x Tensor, squeeze, expand1, expand3 int64) Tensor {
	s := g.Relu(g.ConvX(x, ConvSpec{Out: squeeze, K: 1, Bias: true}))
	e1 := g.Relu(g.ConvX(s, ConvSpec{Out: expand1, K: 1, Bias: true}))
	e3 := g.Relu(g.ConvX(s, ConvSpec{Out: expand3, K: 3, Pad: 1, Bias: true}))
	return g.Concat(e1, e3)
}

func squeezenet(g *Graph, version string) Tensor {
	x := g.Input()
	pool := func(x Tensor) Tensor { return g.MaxPool(x, 3, 2, 0, true) }
	if version == "1_0" {
		x = g.Relu(g.ConvX(x, ConvSpec{Out: 96, K: 7, Stride: 2, Bias: true}))
		x = pool(x)
		x = squeezenetFire(g, x, 16, 64, 64)
		x = squeezenetFire(g, x, 16, 64, 64)
		x = squeezenetFire(g, x, 32, 128, 128)
		x = pool(x)
		x = squeezenetFire(g, x, 32, 128, 128)
		x = squeezenetFire(g, x, 48, 192, 192)
		x = squeezenetFire(g, x, 48, 192, 192)
		x = squeezenetFire(g, x, 64, 256, 256)
		x = pool(x)
		x = squeezenetFire(g, x, 64, 256, 256)
	} else {
		x = g.Relu(g.ConvX(x, ConvSpec{Out: 64, K: 3, Stride: 2, Bias: true}))
		x = pool(x)
		x = squeezenetFire(g, x, 16, 64, 64)
		x = squeezenetFire(g, x, 16, 64, 64)
		x = pool(x)
		x = squeezenetFire(g, x, 32, 128, 128)
		x = squeezenetFire(g, x, 32, 128, 128)
		x = pool(x)
		x = squeezenetFire(g, x, 48, 192, 192)
		x = squeezenetFire(g, x, 48, 192, 192)
		x = squeezenetFire(g, x, 64, 256, 256)
		x = squeezenetFire(g, x, 64, 256, 256)
	}
	// Classifier: (dropout,) a 1×1 convolution to the classes with ReLU,
	// global average pooling, flatten.
	x = g.Relu(g.ConvX(x, ConvSpec{Out: 1000, K: 1, Bias: true}))
	return g.Flatten(g.GlobalAvgPool(x))
}
