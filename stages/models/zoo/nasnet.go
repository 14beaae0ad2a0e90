package zoo

// nasnetArchs lists NASNet-A Large as timm defines it (timm/models/nasnet.py,
// Cadene's port of the TensorFlow-Slim model; Zoph et al. 2018, "Learning
// Transferable Architectures for Scalable Image Recognition"), at its native
// 331 px. timm builds it with pad_type "same": strided convolutions and
// pools pad TensorFlow-style (odd padding at the end, explicitly zero-padded
// for average pools), stride-1 ones symmetrically.
func nasnetArchs() []Arch {
	return []Arch{{Name: "nasnetalarge", Family: "nasnet", Size: 331,
		Reference: "timm:nasnetalarge.tf_in1k", Build: nasnetALarge}}
}

// nasnetEps is the epsilon of every BatchNormalization in NASNet.
const nasnetEps = 1e-3

func nasnetALarge(g *Graph) Tensor {
	const stem, features = 96, 4032
	ch := int64(features / 24) // 168
	x0 := g.BNEps(g.Conv(g.Input(), stem, 3, 2, 0), nasnetEps)

	s0 := nasnetStem0(g, x0, ch/4)
	s1 := nasnetStem1(g, x0, s0, ch/2)

	// Each cell takes the last two outputs (x, xPrev).
	prev, cur := s0, s1
	step := func(next Tensor) { prev, cur = cur, next }
	step(nasnetFirstCell(g, cur, prev, ch/2, ch))
	for range 5 {
		step(nasnetNormalCell(g, cur, prev, ch, ch))
	}
	// reduction_cell_0 takes (cell_5, cell_4); cell_6 then takes cell_4 as its
	// previous input, skipping cell_5.
	before := prev
	red := nasnetReductionCell(g, cur, prev, 2*ch, 2*ch)
	prev, cur = red, nasnetFirstCell(g, red, before, ch, 2*ch)
	for range 5 {
		step(nasnetNormalCell(g, cur, prev, 2*ch, 2*ch))
	}
	before = prev
	red = nasnetReductionCell(g, cur, prev, 4*ch, 4*ch)
	prev, cur = red, nasnetFirstCell(g, red, before, 2*ch, 4*ch)
	for range 5 {
		step(nasnetNormalCell(g, cur, prev, 4*ch, 4*ch))
	}
	return g.Classifier(g.Relu(cur), 1000)
}

// nasnetActConvBN is ActConvBn: ReLU, 1×1 convolution without bias, BN.
func nasnetActConvBN(g *Graph, x Tensor, out int64) Tensor {
	return g.BNEps(g.Conv(g.Relu(x), out, 1, 1, 0), nasnetEps)
}

// nasnetSepConv is SeparableConv2d: k×k depthwise ("same" padding) then 1×1
// pointwise, neither with bias.
func nasnetSepConv(g *Graph, x Tensor, out, k, stride int64) Tensor {
	x = g.ConvX(x, ConvSpec{Out: x.C(), K: k, Stride: stride, Pads: SamePads(x, k, stride), Groups: x.C()})
	return g.Conv(x, out, 1, 1, 0)
}

// nasnetBranch is BranchSeparables: two ReLU → separable conv → BN units,
// the first strided; stem cells widen in the first unit, others in the second.
func nasnetBranch(g *Graph, x Tensor, out, k, stride int64, stemCell bool) Tensor {
	mid := x.C()
	if stemCell {
		mid = out
	}
	x = g.BNEps(nasnetSepConv(g, g.Relu(x), mid, k, stride), nasnetEps)
	return g.BNEps(nasnetSepConv(g, g.Relu(x), out, k, 1), nasnetEps)
}

// nasnetPool is create_pool2d with "same" padding: 3×3 max or average
// pooling; strided average pools count the explicit zero padding, stride-1
// ones (symmetric padding 1) do not.
func nasnetPool(g *Graph, kind string, x Tensor, stride int64) Tensor {
	return g.PoolPads(kind, x, 3, stride, SamePads(x, 3, stride), stride != 1)
}

// nasnetFactorizedReduce is the path_1/path_2 pair of CellStem1 and
// FirstCell: ReLU, then two stride-2 1×1 subsamplings (the second shifted
// by one pixel through ZeroPad2d((-1, 1, -1, 1))), each a 1×1 convolution
// to half the width, concatenated and batch-normalised.
func nasnetFactorizedReduce(g *Graph, x Tensor, half int64) Tensor {
	x = g.Relu(x)
	p1 := g.Conv(g.AvgPool(x, 1, 2, 0, false, false), half, 1, 1, 0)
	p2 := g.PadSpatial(x, []int64{-1, -1, 1, 1})
	p2 = g.Conv(g.AvgPool(p2, 1, 2, 0, false, false), half, 1, 1, 0)
	return g.BNEps(g.Concat(p1, p2), nasnetEps)
}

// nasnetStem0 is CellStem0 on the stem convolution's output.
func nasnetStem0(g *Graph, x Tensor, n int64) Tensor {
	x1 := nasnetActConvBN(g, x, n)
	c0 := g.Add(nasnetBranch(g, x1, n, 5, 2, false), nasnetBranch(g, x, n, 7, 2, true))
	c1 := g.Add(nasnetPool(g, "max", x1, 2), nasnetBranch(g, x, n, 7, 2, true))
	c2 := g.Add(nasnetPool(g, "avg", x1, 2), nasnetBranch(g, x, n, 5, 2, true))
	c3 := g.Add(nasnetPool(g, "avg", c0, 1), c1)
	c4 := g.Add(nasnetBranch(g, c0, n, 3, 1, false), nasnetPool(g, "max", x1, 2))
	return g.Concat(c1, c2, c3, c4)
}

// nasnetStem1 is CellStem1 on the stem convolution's and CellStem0's outputs.
func nasnetStem1(g *Graph, xConv0, xStem0 Tensor, n int64) Tensor {
	left := nasnetActConvBN(g, xStem0, n)
	right := nasnetFactorizedReduce(g, xConv0, n/2)
	return nasnetReduce(g, left, right, n)
}

// nasnetReductionCell is ReductionCell0/1: 1×1 units on both inputs, then
// the reducing combinations.
func nasnetReductionCell(g *Graph, x, xPrev Tensor, outLeft, outRight int64) Tensor {
	left := nasnetActConvBN(g, xPrev, outLeft)
	right := nasnetActConvBN(g, x, outRight)
	return nasnetReduce(g, right, left, outRight)
}

// nasnetReduce holds the five combinations shared by CellStem1 and the
// reduction cells: a is the input the pools and the 5×5 branch of
// combination 0 read, b the one the 7×7/5×5 branches read.
func nasnetReduce(g *Graph, a, b Tensor, n int64) Tensor {
	c0 := g.Add(nasnetBranch(g, a, n, 5, 2, false), nasnetBranch(g, b, n, 7, 2, false))
	c1 := g.Add(nasnetPool(g, "max", a, 2), nasnetBranch(g, b, n, 7, 2, false))
	c2 := g.Add(nasnetPool(g, "avg", a, 2), nasnetBranch(g, b, n, 5, 2, false))
	c3 := g.Add(nasnetPool(g, "avg", c0, 1), c1)
	c4 := g.Add(nasnetBranch(g, c0, n, 3, 1, false), nasnetPool(g, "max", a, 2))
	return g.Concat(c1, c2, c3, c4)
}

// nasnetFirstCell is FirstCell: the previous input is reduced by the
// factorized path (it has twice the resolution), the current one by a 1×1 unit.
func nasnetFirstCell(g *Graph, x, xPrev Tensor, outLeft, outRight int64) Tensor {
	left := nasnetFactorizedReduce(g, xPrev, outLeft)
	right := nasnetActConvBN(g, x, outRight)
	return nasnetNormal(g, left, right, outRight)
}

// nasnetNormalCell is NormalCell: 1×1 units on both inputs.
func nasnetNormalCell(g *Graph, x, xPrev Tensor, outLeft, outRight int64) Tensor {
	left := nasnetActConvBN(g, xPrev, outLeft)
	right := nasnetActConvBN(g, x, outRight)
	return nasnetNormal(g, left, right, outRight)
}

// nasnetNormal holds the five combinations of FirstCell and NormalCell.
func nasnetNormal(g *Graph, left, right Tensor, n int64) Tensor {
	c0 := g.Add(nasnetBranch(g, right, n, 5, 1, false), nasnetBranch(g, left, left.C(), 3, 1, false))
	c1 := g.Add(nasnetBranch(g, left, left.C(), 5, 1, false), nasnetBranch(g, left, left.C(), 3, 1, false))
	c2 := g.Add(nasnetPool(g, "avg", right, 1), left)
	c3 := g.Add(nasnetPool(g, "avg", left, 1), nasnetPool(g, "avg", left, 1))
	c4 := g.Add(nasnetBranch(g, right, n, 3, 1, false), right)
	return g.Concat(left, c0, c1, c2, c3, c4)
}
