package zoo

import "math"

// regnetArchs lists RegNet (Radosavovic et al. 2020, "Designing Network
// Design Spaces") as torchvision defines it (models/regnet.py).
func regnetArchs() []Arch {
	return []Arch{{Name: "regnet_y_800mf", Family: "regnet", Reference: "torchvision:RegNet_Y_800MF_Weights.IMAGENET1K_V2",
		Build: func(g *Graph) Tensor {
			return regnet(g, regnetParams{depth: 14, w0: 56, wa: 38.84, wm: 2.4, groupWidth: 16, seRatio: 0.25})
		}}}
}

// regnetParams are the inputs of torchvision's BlockParams.from_init_params
// (bottleneck multiplier 1).
type regnetParams struct {
	depth      int
	w0, wa, wm float64
	groupWidth int64
	seRatio    float64
}

// regnetStage is one stage: width, depth and group width.
type regnetStage struct {
	width, depth, groupWidth int64
}

// regnetStages quantises the linear width ramp w0 + wa·i to powers of wm
// (rounded to multiples of 8) and groups equal widths into stages, as
// BlockParams.from_init_params does.
func regnetStages(p regnetParams) []regnetStage {
	var stages []regnetStage
	for i := 0; i < p.depth; i++ {
		cont := float64(i)*p.wa + p.w0
		capacity := math.RoundToEven(math.Log(cont/p.w0) / math.Log(p.wm))
		w := int64(math.RoundToEven(p.w0*math.Pow(p.wm, capacity)/8)) * 8
		if n := len(stages); n > 0 && stages[n-1].width == w {
			stages[n-1].depth++
			continue
		}
		stages = append(stages, regnetStage{width: w, depth: 1})
	}
	// _adjust_widths_groups_compatibilty with bottleneck multiplier 1.
	for i := range stages {
		gw := min(p.groupWidth, stages[i].width)
		stages[i].width = mobilenetDivisible(float64(stages[i].width), gw)
		stages[i].groupWidth = gw
	}
	return stages
}

// regnet builds torchvision's RegNet: a 3×3 stride-2 stem of 32 channels,
// stages of ResBottleneckBlocks each starting with stride 2, then pooling
// and the linear head. BatchNorm eps 1e-5.
func regnet(g *Graph, p regnetParams) Tensor {
	x := g.ConvBNReLU(g.Input(), 32, 3, 2, 1)
	for _, st := range regnetStages(p) {
		for i := int64(0); i < st.depth; i++ {
			stride := int64(2)
			if i > 0 {
				stride = 1
			}
			x = regnetBlock(g, x, st.width, stride, st.groupWidth, p.seRatio)
		}
	}
	return g.Classifier(x, 1000)
}

// regnetBlock is torchvision's ResBottleneckBlock with its
// BottleneckTransform: 1×1 → grouped 3×3 (stride) → squeeze-excitation to
// se_ratio of the block's input width (ReLU, sigmoid) → 1×1, added to the
// input or its 1×1 strided projection, then ReLU.
func regnetBlock(g *Graph, x Tensor, out, stride, groupWidth int64, seRatio float64) Tensor {
	short := x
	if x.C() != out || stride != 1 {
		short = g.BN(g.Conv(x, out, 1, stride, 0))
	}
	y := g.ConvBNReLU(x, out, 1, 1, 0)
	y = g.Relu(g.BN(g.ConvX(y, ConvSpec{Out: out, K: 3, Stride: stride, Pad: 1, Groups: out / groupWidth})))
	if seRatio > 0 {
		y = g.SE(y, int64(math.RoundToEven(seRatio*float64(x.C()))), "relu", "sigmoid")
	}
	y = g.BN(g.Conv(y, out, 1, 1, 0))
	return g.Relu(g.Add(short, y))
}
