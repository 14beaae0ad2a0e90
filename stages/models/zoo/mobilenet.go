package zoo

// mobilenetArchs lists the MobileNets: V2 (Sandler et al. 2018) and V3
// (Howard et al. 2019) as torchvision defines them (models/mobilenetv2.py,
// models/mobilenetv3.py), and V1 (Howard et al. 2017) as timm builds
// mobilenetv1_100 (models/efficientnet.py, _gen_mobilenet_v1: the
// EfficientNet builder with 'dsa' depthwise-separable blocks, ReLU6, no head
// convolution).
func mobilenetArchs() []Arch {
	return []Arch{
		{Name: "mobilenet_v2", Family: "mobilenet", Reference: "torchvision:MobileNet_V2_Weights.IMAGENET1K_V2", Build: mobilenetV2},
		{Name: "mobilenet_v3_large", Family: "mobilenet", Reference: "torchvision:MobileNet_V3_Large_Weights.IMAGENET1K_V2",
			Build: func(g *Graph) Tensor { return mobilenetV3(g, mobilenetV3Large, 1280) }},
		{Name: "mobilenet_v3_small", Family: "mobilenet", Reference: "torchvision:MobileNet_V3_Small_Weights.IMAGENET1K_V1",
			Build: func(g *Graph) Tensor { return mobilenetV3(g, mobilenetV3Small, 1024) }},
		{Name: "mobilenetv1_100", Family: "mobilenet", Reference: "timm:mobilenetv1_100.ra4_e3600_r224_in1k", Build: mobilenetV1},
	}
}

// mobilenetDivisible is torchvision's _make_divisible: v rounded to the
// nearest multiple of divisor, never below divisor nor 10% below v.
func mobilenetDivisible(v float64, divisor int64) int64 {
	n := max(divisor, int64(v+float64(divisor)/2)/divisor*divisor)
	if float64(n) < 0.9*v {
		n += divisor
	}
	return n
}

// mobilenetConvBN is torchvision's Conv2dNormActivation: a bias-free
// convolution padded to keep the size (at stride 1), BatchNorm, activation.
func mobilenetConvBN(g *Graph, x Tensor, out, k, stride, groups int64, eps float32, act string) Tensor {
	y := g.ConvX(x, ConvSpec{Out: out, K: k, Stride: stride, Pad: (k - 1) / 2, Groups: groups})
	return g.Act(g.BNEps(y, eps), act)
}

// mobilenetV2 follows torchvision's MobileNetV2 at width 1.0.
func mobilenetV2(g *Graph) Tensor {
	// t (expansion), c (channels), n (repeats), s (first stride).
	setting := [][4]int64{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}}
	x := mobilenetConvBN(g, g.Input(), 32, 3, 2, 1, 1e-5, "relu6")
	for _, s := range setting {
		t, c, n, stride := s[0], s[1], s[2], s[3]
		for i := int64(0); i < n; i++ {
			if i > 0 {
				stride = 1
			}
			in := x
			hidden := x.C() * t
			y := x
			if t != 1 {
				y = mobilenetConvBN(g, y, hidden, 1, 1, 1, 1e-5, "relu6")
			}
			y = mobilenetConvBN(g, y, hidden, 3, stride, hidden, 1e-5, "relu6")
			y = mobilenetConvBN(g, y, c, 1, 1, 1, 1e-5, "none")
			if stride == 1 && in.C() == c {
				y = g.Add(in, y)
			}
			x = y
		}
	}
	x = mobilenetConvBN(g, x, 1280, 1, 1, 1, 1e-5, "relu6")
	return g.Classifier(x, 1000) // Dropout(0.2) is the identity at inference
}

// mobilenetV3Block is one row of torchvision's InvertedResidualConfig
// tables: input, kernel, expanded and output channels, squeeze-excitation,
// activation and stride (dilation is 1 throughout).
type mobilenetV3Block struct {
	in, k, exp, out int64
	se              bool
	act             string
	stride          int64
}

// mobilenetV3Large and mobilenetV3Small are torchvision's
// _mobilenet_v3_conf tables at width 1.0.
var (
	mobilenetV3Large = []mobilenetV3Block{
		{16, 3, 16, 16, false, "relu", 1},
		{16, 3, 64, 24, false, "relu", 2},
		{24, 3, 72, 24, false, "relu", 1},
		{24, 5, 72, 40, true, "relu", 2},
		{40, 5, 120, 40, true, "relu", 1},
		{40, 5, 120, 40, true, "relu", 1},
		{40, 3, 240, 80, false, "hardswish", 2},
		{80, 3, 200, 80, false, "hardswish", 1},
		{80, 3, 184, 80, false, "hardswish", 1},
		{80, 3, 184, 80, false, "hardswish", 1},
		{80, 3, 480, 112, true, "hardswish", 1},
		{112, 3, 672, 112, true, "hardswish", 1},
		{112, 5, 672, 160, true, "hardswish", 2},
		{160, 5, 960, 160, true, "hardswish", 1},
		{160, 5, 960, 160, true, "hardswish", 1},
	}
	mobilenetV3Small = []mobilenetV3Block{
		{16, 3, 16, 16, true, "relu", 2},
		{16, 3, 72, 24, false, "relu", 2},
		{24, 3, 88, 24, false, "relu", 1},
		{24, 5, 96, 40, true, "hardswish", 2},
		{40, 5, 240, 40, true, "hardswish", 1},
		{40, 5, 240, 40, true, "hardswish", 1},
		{40, 5, 120, 48, true, "hardswish", 1},
		{48, 5, 144, 48, true, "hardswish", 1},
		{48, 5, 288, 96, true, "hardswish", 2},
		{96, 5, 576, 96, true, "hardswish", 1},
		{96, 5, 576, 96, true, "hardswish", 1},
	}
)

// mobilenetV3 follows torchvision's MobileNetV3: BatchNorm eps 1e-3,
// squeeze-excitation with ReLU and hard-sigmoid gate, and the classifier
// Linear → Hardswish → (Dropout) → Linear.
func mobilenetV3(g *Graph, blocks []mobilenetV3Block, lastChannel int64) Tensor {
	const eps = 1e-3
	x := mobilenetConvBN(g, g.Input(), blocks[0].in, 3, 2, 1, eps, "hardswish")
	for _, b := range blocks {
		in := x
		y := x
		if b.exp != b.in {
			y = mobilenetConvBN(g, y, b.exp, 1, 1, 1, eps, b.act)
		}
		y = mobilenetConvBN(g, y, b.exp, b.k, b.stride, b.exp, eps, b.act)
		if b.se {
			y = g.SE(y, mobilenetDivisible(float64(b.exp/4), 8), "relu", "hardsigmoid")
		}
		y = mobilenetConvBN(g, y, b.out, 1, 1, 1, eps, "none")
		if b.stride == 1 && b.in == b.out {
			y = g.Add(in, y)
		}
		x = y
	}
	x = mobilenetConvBN(g, x, 6*x.C(), 1, 1, 1, eps, "hardswish")
	x = g.Flatten(g.GlobalAvgPool(x))
	x = g.HardSwish(g.Linear(x, lastChannel, true))
	return g.Linear(x, 1000, true)
}

// mobilenetV1 follows timm's mobilenetv1_100: a 3×3 stride-2 stem of 32
// channels, then 13 depthwise-separable blocks (depthwise 3×3 → BN → ReLU6,
// pointwise 1×1 → BN → ReLU6, no residual), global pooling and a linear
// classifier straight from the 1024 block channels.
func mobilenetV1(g *Graph) Tensor {
	// Channels and first stride of each stage, with repeats.
	stages := []struct{ c, n, s int64 }{{64, 1, 1}, {128, 2, 2}, {256, 2, 2}, {512, 6, 2}, {1024, 2, 2}}
	x := mobilenetConvBN(g, g.Input(), 32, 3, 2, 1, 1e-5, "relu6")
	for _, st := range stages {
		for i := int64(0); i < st.n; i++ {
			stride := st.s
			if i > 0 {
				stride = 1
			}
			x = mobilenetConvBN(g, x, x.C(), 3, stride, x.C(), 1e-5, "relu6")
			x = mobilenetConvBN(g, x, st.c, 1, 1, 1, 1e-5, "relu6")
		}
	}
	return g.Classifier(x, 1000)
}
