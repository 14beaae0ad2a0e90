package zoo

// alexnetArchs lists AlexNet as torchvision defines it (Krizhevsky 2014,
// "One weird trick…", the single-GPU variant).
func alexnetArchs() []Arch {
	return []Arch{{Name: "alexnet", Family: "alexnet", Reference: "torchvision:AlexNet_Weights.IMAGENET1K_V1", Build: alexnet}}
}

func alexnet(g *Graph) Tensor {
	conv := func(x Tensor, out, k, s, p int64) Tensor {
		return g.Relu(g.ConvX(x, ConvSpec{Out: out, K: k, Stride: s, Pad: p, Bias: true}))
	}
	x := conv(g.Input(), 64, 11, 4, 2)
	x = g.MaxPool(x, 3, 2, 0, false)
	x = conv(x, 192, 5, 1, 2)
	x = g.MaxPool(x, 3, 2, 0, false)
	x = conv(x, 384, 3, 1, 1)
	x = conv(x, 256, 3, 1, 1)
	x = conv(x, 256, 3, 1, 1)
	x = g.MaxPool(x, 3, 2, 0, false) // 6×6 at 224, so the adaptive pool is the identity
	x = g.Flatten(x)
	x = g.Relu(g.Linear(x, 4096, true))
	x = g.Relu(g.Linear(x, 4096, true))
	return g.Linear(x, 1000, true)
}
