package zoo

// densenetArchs lists the densely connected networks (Huang et al. 2017,
// "Densely Connected Convolutional Networks", DenseNet-BC) as torchvision
// defines them in torchvision/models/densenet.py.
func densenetArchs() []Arch {
	type spec struct {
		name, ref string
		growth    int64
		blocks    [4]int
		init      int64
	}
	var archs []Arch
	for _, s := range []spec{
		{"densenet121", "DenseNet121_Weights.IMAGENET1K_V1", 32, [4]int{6, 12, 24, 16}, 64},
		{"densenet161", "DenseNet161_Weights.IMAGENET1K_V1", 48, [4]int{6, 12, 36, 24}, 96},
		{"densenet169", "DenseNet169_Weights.IMAGENET1K_V1", 32, [4]int{6, 12, 32, 32}, 64},
		{"densenet201", "DenseNet201_Weights.IMAGENET1K_V1", 32, [4]int{6, 12, 48, 32}, 64},
	} {
		archs = append(archs, Arch{Name: s.name, Family: "densenet", Reference: "torchvision:" + s.ref,
			Build: func(g *Graph) Tensor { return densenet(g, s.growth, s.blocks, s.init) }})
	}
	return archs
}

// densenetBottleneck is torchvision's bn_size: the 1×1 convolution of a
// dense layer outputs bn_size × growth channels.
const densenetBottleneck = 4

// densenet builds the stem (7×7/2 convolution, BN, ReLU, 3×3/2 max pool),
// four dense blocks joined by transitions (BN, ReLU, 1×1 convolution
// halving the channels, 2×2 average pool), the final BN, ReLU, global
// average pooling and the classifier.
func densenet(g *Graph, growth int64, blocks [4]int, init int64) Tensor {
	x := g.ConvBNReLU(g.Input(), init, 7, 2, 3)
	x = g.MaxPool(x, 3, 2, 1, false)
	for i, n := range blocks {
		x = densenetBlock(g, x, n, growth)
		if i < len(blocks)-1 {
			x = g.Conv(g.Relu(g.BN(x)), x.C()/2, 1, 1, 0)
			x = g.AvgPool(x, 2, 2, 0, false, false)
		}
	}
	x = g.Relu(g.BN(x))
	return g.Classifier(x, 1000)
}

// densenetBlock adds n dense layers. As in torchvision, every layer
// concatenates the block input and all earlier layers' outputs, then
// applies BN, ReLU, 1×1 convolution, BN, ReLU, 3×3 convolution to growth
// channels; the block returns the concatenation of everything.
func densenetBlock(g *Graph, x Tensor, n int, growth int64) Tensor {
	features := []Tensor{x}
	for i := 0; i < n; i++ {
		in := features[0]
		if len(features) > 1 {
			in = g.Concat(features...)
		}
		y := g.Conv(g.Relu(g.BN(in)), densenetBottleneck*growth, 1, 1, 0)
		y = g.Conv(g.Relu(g.BN(y)), growth, 3, 1, 1)
		features = append(features, y)
	}
	return g.Concat(features...)
}
