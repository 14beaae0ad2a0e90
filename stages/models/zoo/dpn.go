package zoo

// dpnArchs lists the Dual Path Networks as timm defines them
// (timm/models/dpn.py, compatible with cypw's MXNet weights; Chen et al.
// 2017, "Dual Path Networks").
func dpnArchs() []Arch {
	return []Arch{{Name: "dpn68", Family: "dpn", Reference: "timm:dpn68.mx_in1k",
		Build: func(g *Graph) Tensor {
			return dpn(g, dpnSpec{small: true, initFeatures: 10, kR: 128, groups: 32,
				kSec: [4]int64{3, 4, 12, 3}, incSec: [4]int64{16, 32, 32, 64}})
		}}}
}

// dpnSpec holds DPN's constructor arguments.
type dpnSpec struct {
	small        bool
	initFeatures int64
	kR, groups   int64
	kSec, incSec [4]int64
}

// dpnEps is the epsilon of every BatchNormalization in DPN.
const dpnEps = 1e-3

// dpnPath is the pair a dual path block passes on: the residual path and
// the densely connected path.
type dpnPath struct{ resid, dense Tensor }

func dpn(g *Graph, s dpnSpec) Tensor {
	bwFactor, k := int64(4), int64(7)
	if s.small {
		bwFactor, k = 1, 3
	}
	x := g.ConvX(g.Input(), ConvSpec{Out: s.initFeatures, K: k, Stride: 2, Pad: k / 2})
	x = g.Relu(g.BNEps(x, dpnEps))
	x = g.MaxPool(x, 3, 2, 1, false)
	in := x
	var p dpnPath
	for i := range 4 {
		bw := (int64(64) << i) * bwFactor
		inc := s.incSec[i]
		r := s.kR * bw / (64 * bwFactor)
		kind := "down"
		if i == 0 {
			kind = "proj"
		}
		p = dpnBlock(g, in, r, bw, inc, s.groups, kind, p)
		for range s.kSec[i] - 1 {
			p = dpnBlock(g, g.Concat(p.resid, p.dense), r, bw, inc, s.groups, "normal", p)
		}
		in = g.Concat(p.resid, p.dense)
	}
	// conv5_bn_ac asks for ELU, but timm's get_norm_act_layer keeps the
	// act_layer already bound in norm_layer, so the activation is ReLU.
	x = g.Relu(g.BNEps(in, dpnEps))
	x = g.GlobalAvgPool(x)
	x = g.ConvX(x, ConvSpec{Out: 1000, K: 1, Bias: true}) // classifier as a 1×1 convolution
	return g.Flatten(x)
}

// dpnBnActConv is BnActConv2d: BN, ReLU, then a convolution without bias
// padded by timm's symmetric default ((stride−1)+(k−1))/2.
func dpnBnActConv(g *Graph, x Tensor, out, k, stride, groups int64) Tensor {
	x = g.Relu(g.BNEps(x, dpnEps))
	return g.ConvX(x, ConvSpec{Out: out, K: k, Stride: stride, Pad: (stride - 1 + k - 1) / 2, Groups: groups})
}

// dpnBlock is DualPathBlock (the non-"b" variant); xIn is the concatenated
// input, prev the paths it came from (used by "normal" blocks).
func dpnBlock(g *Graph, xIn Tensor, r, c, inc, groups int64, kind string, prev dpnPath) dpnPath {
	stride := int64(1)
	if kind == "down" {
		stride = 2
	}
	s1, s2 := prev.resid, prev.dense
	if kind != "normal" {
		parts := g.Split(dpnBnActConv(g, xIn, c+2*inc, 1, stride, 1), c, 2*inc)
		s1, s2 = parts[0], parts[1]
	}
	y := dpnBnActConv(g, xIn, r, 1, 1, 1)
	y = dpnBnActConv(g, y, r, 3, stride, groups)
	y = dpnBnActConv(g, y, c+inc, 1, 1, 1)
	out := g.Split(y, c, inc)
	return dpnPath{resid: g.Add(s1, out[0]), dense: g.Concat(s2, out[1])}
}
