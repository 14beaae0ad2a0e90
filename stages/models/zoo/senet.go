package zoo

// senetArchs lists the SENet family as timm's legacy models define it
// (timm/models/senet.py, ported from Cadene's pretrainedmodels; Hu et al.
// 2018, "Squeeze-and-Excitation Networks"). Unlike torchvision's ResNet,
// SE-ResNet strides its first 1×1 convolution, and the stem's max pool uses
// ceil mode instead of padding.
func senetArchs() []Arch {
	return []Arch{
		{Name: "legacy_senet154", Family: "senet", Reference: "timm:legacy_senet154.in1k",
			Build: func(g *Graph) Tensor {
				return senet(g, senetSpec{block: "senet", layers: [4]int64{3, 8, 36, 3}, groups: 64, inplanes: 128, stem3x3: true, dsK: 3, dsPad: 1})
			}},
		{Name: "legacy_seresnet50", Family: "senet", Reference: "timm:legacy_seresnet50.in1k",
			Build: func(g *Graph) Tensor {
				return senet(g, senetSpec{block: "seresnet", layers: [4]int64{3, 4, 6, 3}, groups: 1, inplanes: 64, dsK: 1})
			}},
		{Name: "legacy_seresnext50_32x4d", Family: "senet", Reference: "timm:legacy_seresnext50_32x4d.in1k",
			Build: func(g *Graph) Tensor {
				return senet(g, senetSpec{block: "seresnext", layers: [4]int64{3, 4, 6, 3}, groups: 32, inplanes: 64, dsK: 1})
			}},
	}
}

// senetSpec holds SENet's constructor arguments.
type senetSpec struct {
	block      string // "senet" (SEBottleneck), "seresnet" or "seresnext"
	layers     [4]int64
	groups     int64
	inplanes   int64
	stem3x3    bool  // three 3×3 convolutions instead of one 7×7
	dsK, dsPad int64 // downsampling convolution of layers 2–4
}

// senetReduction is the squeeze ratio of every SE module.
const senetReduction = 16

func senet(g *Graph, s senetSpec) Tensor {
	x := g.Input()
	if s.stem3x3 {
		x = g.ConvBNReLU(x, 64, 3, 2, 1)
		x = g.ConvBNReLU(x, 64, 3, 1, 1)
		x = g.ConvBNReLU(x, s.inplanes, 3, 1, 1)
	} else {
		x = g.ConvBNReLU(x, s.inplanes, 7, 2, 3)
	}
	x = g.MaxPool(x, 3, 2, 0, true)
	for i, n := range s.layers {
		planes := int64(64) << i
		stride, dsK, dsPad := int64(2), s.dsK, s.dsPad
		if i == 0 {
			stride, dsK, dsPad = 1, 1, 0
		}
		for b := int64(0); b < n; b++ {
			st := int64(1)
			if b == 0 {
				st = stride
			}
			x = senetBlock(g, x, s, planes, st, dsK, dsPad)
		}
	}
	return g.Classifier(x, 1000)
}

// senetBlock is one bottleneck with squeeze-excitation before the residual sum.
func senetBlock(g *Graph, x Tensor, s senetSpec, planes, stride, dsK, dsPad int64) Tensor {
	out := planes * 4
	var y Tensor
	switch s.block {
	case "senet":
		y = g.ConvBNReLU(x, planes*2, 1, 1, 0)
		y = g.Relu(g.BN(g.ConvX(y, ConvSpec{Out: planes * 4, K: 3, Stride: stride, Pad: 1, Groups: s.groups})))
	case "seresnet":
		y = g.ConvBNReLU(x, planes, 1, stride, 0)
		y = g.Relu(g.BN(g.ConvX(y, ConvSpec{Out: planes, K: 3, Pad: 1, Groups: s.groups})))
	case "seresnext":
		width := planes * 4 / 64 * s.groups // floor(planes·base_width/64)·groups, base_width 4
		y = g.ConvBNReLU(x, width, 1, 1, 0)
		y = g.Relu(g.BN(g.ConvX(y, ConvSpec{Out: width, K: 3, Stride: stride, Pad: 1, Groups: s.groups})))
	}
	y = g.BN(g.Conv(y, out, 1, 1, 0))
	short := x
	if stride != 1 || x.C() != out {
		short = g.BN(g.Conv(x, out, dsK, stride, dsPad))
	}
	y = g.SE(y, out/senetReduction, "relu", "sigmoid")
	return g.Relu(g.Add(y, short))
}
