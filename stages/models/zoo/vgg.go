package zoo

// vggArchs lists the VGG networks as torchvision defines them
// (torchvision/models/vgg.py, after Simonyan & Zisserman 2015, "Very Deep
// Convolutional Networks for Large-Scale Image Recognition", configurations
// A, B, D and E), with and without batch normalization.
func vggArchs() []Arch {
	var archs []Arch
	for _, v := range []struct {
		name string
		ref  string
		cfg  []int64
	}{
		{"vgg11", "VGG11", vggCfgA},
		{"vgg13", "VGG13", vggCfgB},
		{"vgg16", "VGG16", vggCfgD},
		{"vgg19", "VGG19", vggCfgE},
	} {
		cfg := v.cfg
		archs = append(archs,
			Arch{Name: v.name, Family: "vgg", Reference: "torchvision:" + v.ref + "_Weights.IMAGENET1K_V1",
				Build: func(g *Graph) Tensor { return vgg(g, cfg, false) }},
			Arch{Name: v.name + "_bn", Family: "vgg", Reference: "torchvision:" + v.ref + "_BN_Weights.IMAGENET1K_V1",
				Build: func(g *Graph) Tensor { return vgg(g, cfg, true) }})
	}
	return archs
}

// vggPool marks a 2×2 max pooling in a VGG configuration; other entries are
// the output channels of a 3×3 convolution.
const vggPool = 0

// VGG configurations from the paper's Table 1 (torchvision cfgs "A", "B",
// "D", "E").
var (
	vggCfgA = []int64{64, vggPool, 128, vggPool, 256, 256, vggPool, 512, 512, vggPool, 512, 512, vggPool}
	vggCfgB = []int64{64, 64, vggPool, 128, 128, vggPool, 256, 256, vggPool, 512, 512, vggPool, 512, 512, vggPool}
	vggCfgD = []int64{64, 64, vggPool, 128, 128, vggPool, 256, 256, 256, vggPool, 512, 512, 512, vggPool, 512, 512, 512, vggPool}
	vggCfgE = []int64{64, 64, vggPool, 128, 128, vggPool, 256, 256, 256, 256, vggPool, 512, 512, 512, 512, vggPool, 512, 512, 512, 512, vggPool}
)

// vgg builds features (3×3 convolutions with bias, optionally followed by
// BatchNorm, then ReLU; 2×2 max pools) and the three-layer classifier. At
// 224 px the features end at 7×7, so torchvision's adaptive 7×7 average pool
// is the identity and is left out; dropout is inference-time identity.
func vgg(g *Graph, cfg []int64, bn bool) Tensor {
	x := g.Input()
	for _, c := range cfg {
		if c == vggPool {
			x = g.MaxPool(x, 2, 2, 0, false)
			continue
		}
		x = g.ConvX(x, ConvSpec{Out: c, K: 3, Pad: 1, Bias: true})
		if bn {
			x = g.BN(x)
		}
		x = g.Relu(x)
	}
	x = g.Flatten(x)
	x = g.Relu(g.Linear(x, 4096, true))
	x = g.Relu(g.Linear(x, 4096, true))
	return g.Linear(x, 1000, true)
}
