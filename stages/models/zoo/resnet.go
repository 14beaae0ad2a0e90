package zoo

// resnetArchs lists the residual networks as torchvision defines them in
// torchvision/models/resnet.py: ResNet (He et al. 2016, "Deep Residual
// Learning for Image Recognition") in torchvision's v1.5 form (the stride of
// a bottleneck sits on its 3×3 convolution), ResNeXt (Xie et al. 2017,
// "Aggregated Residual Transformations for Deep Neural Networks": grouped
// 3×3 convolutions) and Wide ResNet (Zagoruyko & Komodakis 2016, "Wide
// Residual Networks": twice the bottleneck width).
func resnetArchs() []Arch {
	type spec struct {
		name, ref  string
		bottleneck bool
		layers     [4]int
		groups     int64
		width      int64 // width per group (base_width)
	}
	var archs []Arch
	for _, s := range []spec{
		{"resnet18", "ResNet18_Weights.IMAGENET1K_V1", false, [4]int{2, 2, 2, 2}, 1, 64},
		{"resnet34", "ResNet34_Weights.IMAGENET1K_V1", false, [4]int{3, 4, 6, 3}, 1, 64},
		{"resnet50", "ResNet50_Weights.IMAGENET1K_V2", true, [4]int{3, 4, 6, 3}, 1, 64},
		{"resnet101", "ResNet101_Weights.IMAGENET1K_V2", true, [4]int{3, 4, 23, 3}, 1, 64},
		{"resnet152", "ResNet152_Weights.IMAGENET1K_V2", true, [4]int{3, 8, 36, 3}, 1, 64},
		{"resnext50_32x4d", "ResNeXt50_32X4D_Weights.IMAGENET1K_V2", true, [4]int{3, 4, 6, 3}, 32, 4},
		{"resnext101_32x8d", "ResNeXt101_32X8D_Weights.IMAGENET1K_V2", true, [4]int{3, 4, 23, 3}, 32, 8},
		{"wide_resnet50_2", "Wide_ResNet50_2_Weights.IMAGENET1K_V2", true, [4]int{3, 4, 6, 3}, 1, 128},
	} {
		archs = append(archs, Arch{Name: s.name, Family: "resnet", Reference: "torchvision:" + s.ref,
			Build: func(g *Graph) Tensor { return resnet(g, s.bottleneck, s.layers, s.groups, s.width) }})
	}
	return archs
}

// resnet builds the stem (7×7/2 convolution, BN, ReLU, 3×3/2 max pool),
// four stages of residual blocks with 64, 128, 256 and 512 planes (the
// first block of stages 2–4 halves the resolution), global average pooling
// and the fully connected classifier.
func resnet(g *Graph, bottleneck bool, layers [4]int, groups, width int64) Tensor {
	x := g.ConvBNReLU(g.Input(), 64, 7, 2, 3)
	x = g.MaxPool(x, 3, 2, 1, false)
	for stage, n := range layers {
		planes := int64(64) << stage
		for i := 0; i < n; i++ {
			stride := int64(1)
			if i == 0 && stage > 0 {
				stride = 2
			}
			if bottleneck {
				x = resnetBottleneck(g, x, planes, stride, groups, width)
			} else {
				x = resnetBasic(g, x, planes, stride)
			}
		}
	}
	return g.Classifier(x, 1000)
}

// resnetShortcut is the identity, or a 1×1 convolution with BN where the
// block changes resolution or channels.
func resnetShortcut(g *Graph, x Tensor, out, stride int64) Tensor {
	if stride == 1 && x.C() == out {
		return x
	}
	return g.BN(g.Conv(x, out, 1, stride, 0))
}

// resnetBasic is the two-layer block of ResNet-18/34: 3×3, 3×3, add, ReLU.
func resnetBasic(g *Graph, x Tensor, planes, stride int64) Tensor {
	y := g.ConvBNReLU(x, planes, 3, stride, 1)
	y = g.BN(g.Conv(y, planes, 3, 1, 1))
	return g.Relu(g.Add(y, resnetShortcut(g, x, planes, stride)))
}

// resnetBottleneck is the three-layer block: 1×1 reduce to the group width,
// grouped 3×3 carrying the stride, 1×1 expand to 4×planes, add, ReLU.
func resnetBottleneck(g *Graph, x Tensor, planes, stride, groups, baseWidth int64) Tensor {
	width := planes * baseWidth / 64 * groups
	out := planes * 4
	y := g.ConvBNReLU(x, width, 1, 1, 0)
	y = g.Relu(g.BN(g.ConvX(y, ConvSpec{Out: width, K: 3, Stride: stride, Pad: 1, Groups: groups})))
	y = g.BN(g.Conv(y, out, 1, 1, 0))
	return g.Relu(g.Add(y, resnetShortcut(g, x, out, stride)))
}
