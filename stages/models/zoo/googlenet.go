package zoo

// googlenetArchs lists GoogLeNet (Szegedy et al. 2015, "Going Deeper with
// Convolutions", Inception v1) as torchvision defines it in
// torchvision/models/googlenet.py with its pretrained weights: the
// evaluation graph, so without the two auxiliary classifiers (torchvision
// drops them after loading the weights), and with transform_input, which
// torchvision switches on for those weights.
func googlenetArchs() []Arch {
	return []Arch{{Name: "googlenet", Family: "googlenet", Reference: "torchvision:GoogLeNet_Weights.IMAGENET1K_V1", Build: googlenet}}
}

func googlenet(g *Graph) Tensor {
	x := g.TransformInput(g.Input())
	x = g.torchvisionBasicConv(x, ConvSpec{Out: 64, K: 7, Stride: 2, Pad: 3})
	x = g.MaxPool(x, 3, 2, 0, true)
	x = g.torchvisionBasicConv(x, ConvSpec{Out: 64, K: 1})
	x = g.torchvisionBasicConv(x, ConvSpec{Out: 192, K: 3, Pad: 1})
	x = g.MaxPool(x, 3, 2, 0, true)

	x = googlenetInception(g, x, 64, 96, 128, 16, 32, 32)     // 3a
	x = googlenetInception(g, x, 128, 128, 192, 32, 96, 64)   // 3b
	x = g.MaxPool(x, 3, 2, 0, true)                           //
	x = googlenetInception(g, x, 192, 96, 208, 16, 48, 64)    // 4a
	x = googlenetInception(g, x, 160, 112, 224, 24, 64, 64)   // 4b
	x = googlenetInception(g, x, 128, 128, 256, 24, 64, 64)   // 4c
	x = googlenetInception(g, x, 112, 144, 288, 32, 64, 64)   // 4d
	x = googlenetInception(g, x, 256, 160, 320, 32, 128, 128) // 4e
	x = g.MaxPool(x, 2, 2, 0, true)
	x = googlenetInception(g, x, 256, 160, 320, 32, 128, 128) // 5a
	x = googlenetInception(g, x, 384, 192, 384, 48, 128, 128) // 5b
	// Global average pooling, (dropout,) fully connected layer.
	return g.Classifier(x, 1000)
}

// googlenetInception is the Inception module: 1×1; 1×1 then 3×3; 1×1 then
// "5×5"; 3×3/1 max pool then 1×1 projection, concatenated. torchvision's
// third branch uses a 3×3 kernel, not the paper's 5×5 (a known quirk kept
// for its pretrained weights, pytorch/vision#906); it is followed here.
func googlenetInception(g *Graph, x Tensor, ch1, ch3red, ch3, ch5red, ch5, poolProj int64) Tensor {
	b1 := g.torchvisionBasicConv(x, ConvSpec{Out: ch1, K: 1})
	b2 := g.torchvisionBasicConv(g.torchvisionBasicConv(x, ConvSpec{Out: ch3red, K: 1}), ConvSpec{Out: ch3, K: 3, Pad: 1})
	b3 := g.torchvisionBasicConv(g.torchvisionBasicConv(x, ConvSpec{Out: ch5red, K: 1}), ConvSpec{Out: ch5, K: 3, Pad: 1})
	b4 := g.torchvisionBasicConv(g.MaxPool(x, 3, 1, 1, true), ConvSpec{Out: poolProj, K: 1})
	return g.Concat(b1, b2, b3, b4)
}
