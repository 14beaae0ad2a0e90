package zoo

// inceptionArchs lists Inception v3 (Szegedy et al. 2016, "Rethinking the
// Inception Architecture for Computer Vision") as torchvision defines it in
// torchvision/models/inception.py with its pretrained weights: the
// evaluation graph at 299 px, so without the auxiliary classifier (which
// only runs in training; torchvision's num_params, 27,161,264, counts its
// 3,326,696 parameters, the graph has 23,834,568), and with transform_input,
// which torchvision switches on for those weights.
func inceptionArchs() []Arch {
	return []Arch{{Name: "inception_v3", Family: "inception", Size: 299,
		Reference: "torchvision:Inception_V3_Weights.IMAGENET1K_V1", Build: inceptionV3}}
}

func inceptionV3(g *Graph) Tensor {
	conv := func(x Tensor, out, k, stride, pad int64) Tensor {
		return g.torchvisionBasicConv(x, ConvSpec{Out: out, K: k, Stride: stride, Pad: pad})
	}
	x := g.TransformInput(g.Input())
	x = conv(x, 32, 3, 2, 0) // Conv2d_1a_3x3: 149×149
	x = conv(x, 32, 3, 1, 0) // Conv2d_2a_3x3: 147×147
	x = conv(x, 64, 3, 1, 1) // Conv2d_2b_3x3
	x = g.MaxPool(x, 3, 2, 0, false)
	x = conv(x, 80, 1, 1, 0)  // Conv2d_3b_1x1: 73×73
	x = conv(x, 192, 3, 1, 0) // Conv2d_4a_3x3: 71×71
	x = g.MaxPool(x, 3, 2, 0, false)

	x = inceptionV3A(g, x, 32) // Mixed_5b: 35×35
	x = inceptionV3A(g, x, 64) // Mixed_5c
	x = inceptionV3A(g, x, 64) // Mixed_5d
	x = inceptionV3B(g, x)     // Mixed_6a: 17×17
	x = inceptionV3C(g, x, 128)
	x = inceptionV3C(g, x, 160)
	x = inceptionV3C(g, x, 160)
	x = inceptionV3C(g, x, 192) // Mixed_6e (the aux head would branch here)
	x = inceptionV3D(g, x)      // Mixed_7a: 8×8
	x = inceptionV3E(g, x)      // Mixed_7b
	x = inceptionV3E(g, x)      // Mixed_7c
	// Global average pooling, (dropout,) fully connected layer.
	return g.Classifier(x, 1000)
}

// inceptionV3ConvKW is a BasicConv2d with a kh×kw kernel and "same" padding
// for stride 1, for the factorised 1×n and n×1 convolutions.
func inceptionV3ConvKW(g *Graph, x Tensor, out, kh, kw int64) Tensor {
	return g.torchvisionBasicConv(x, ConvSpec{Out: out, K: kh, KW: kw, Pads: []int64{kh / 2, kw / 2, kh / 2, kw / 2}})
}

// inceptionV3AvgBranch is the pooling branch of modules A, C and E: a 3×3/1
// average pool padded by 1 (PyTorch's default counts the padding), then a
// 1×1 BasicConv2d.
func inceptionV3AvgBranch(g *Graph, x Tensor, out int64) Tensor {
	return inceptionV3ConvKW(g, g.AvgPool(x, 3, 1, 1, false, true), out, 1, 1)
}

// inceptionV3A is the 35×35 module (the paper's Figure 5): 1×1; 1×1→5×5;
// 1×1→3×3→3×3; pool→1×1.
func inceptionV3A(g *Graph, x Tensor, poolFeatures int64) Tensor {
	b1 := inceptionV3ConvKW(g, x, 64, 1, 1)
	b5 := inceptionV3ConvKW(g, inceptionV3ConvKW(g, x, 48, 1, 1), 64, 5, 5)
	b3 := inceptionV3ConvKW(g, x, 64, 1, 1)
	b3 = inceptionV3ConvKW(g, inceptionV3ConvKW(g, b3, 96, 3, 3), 96, 3, 3)
	return g.Concat(b1, b5, b3, inceptionV3AvgBranch(g, x, poolFeatures))
}

// inceptionV3B is the 35→17 grid reduction: 3×3/2; 1×1→3×3→3×3/2; 3×3/2 max
// pool.
func inceptionV3B(g *Graph, x Tensor) Tensor {
	b3 := g.torchvisionBasicConv(x, ConvSpec{Out: 384, K: 3, Stride: 2})
	d := inceptionV3ConvKW(g, inceptionV3ConvKW(g, x, 64, 1, 1), 96, 3, 3)
	d = g.torchvisionBasicConv(d, ConvSpec{Out: 96, K: 3, Stride: 2})
	return g.Concat(b3, d, g.MaxPool(x, 3, 2, 0, false))
}

// inceptionV3C is the 17×17 module with factorised 7×7 convolutions (the
// paper's Figure 6): 1×1; 1×1→1×7→7×1; 1×1→7×1→1×7→7×1→1×7; pool→1×1.
func inceptionV3C(g *Graph, x Tensor, c7 int64) Tensor {
	b1 := inceptionV3ConvKW(g, x, 192, 1, 1)
	b7 := inceptionV3ConvKW(g, x, c7, 1, 1)
	b7 = inceptionV3ConvKW(g, b7, c7, 1, 7)
	b7 = inceptionV3ConvKW(g, b7, 192, 7, 1)
	d := inceptionV3ConvKW(g, x, c7, 1, 1)
	d = inceptionV3ConvKW(g, d, c7, 7, 1)
	d = inceptionV3ConvKW(g, d, c7, 1, 7)
	d = inceptionV3ConvKW(g, d, c7, 7, 1)
	d = inceptionV3ConvKW(g, d, 192, 1, 7)
	return g.Concat(b1, b7, d, inceptionV3AvgBranch(g, x, 192))
}

// inceptionV3D is the 17→8 grid reduction: 1×1→3×3/2; 1×1→1×7→7×1→3×3/2;
// 3×3/2 max pool.
func inceptionV3D(g *Graph, x Tensor) Tensor {
	b3 := inceptionV3ConvKW(g, x, 192, 1, 1)
	b3 = g.torchvisionBasicConv(b3, ConvSpec{Out: 320, K: 3, Stride: 2})
	b7 := inceptionV3ConvKW(g, x, 192, 1, 1)
	b7 = inceptionV3ConvKW(g, b7, 192, 1, 7)
	b7 = inceptionV3ConvKW(g, b7, 192, 7, 1)
	b7 = g.torchvisionBasicConv(b7, ConvSpec{Out: 192, K: 3, Stride: 2})
	return g.Concat(b3, b7, g.MaxPool(x, 3, 2, 0, false))
}

// inceptionV3E is the 8×8 module with expanded filter banks (the paper's
// Figure 7): 1×1; 1×1→(1×3 ‖ 3×1); 1×1→3×3→(1×3 ‖ 3×1); pool→1×1.
func inceptionV3E(g *Graph, x Tensor) Tensor {
	b1 := inceptionV3ConvKW(g, x, 320, 1, 1)
	b3 := inceptionV3ConvKW(g, x, 384, 1, 1)
	b3 = g.Concat(inceptionV3ConvKW(g, b3, 384, 1, 3), inceptionV3ConvKW(g, b3, 384, 3, 1))
	d := inceptionV3ConvKW(g, x, 448, 1, 1)
	d = inceptionV3ConvKW(g, d, 384, 3, 3)
	d = g.Concat(inceptionV3ConvKW(g, d, 384, 1, 3), inceptionV3ConvKW(g, d, 384, 3, 1))
	return g.Concat(b1, b3, d, inceptionV3AvgBranch(g, x, 192))
}
