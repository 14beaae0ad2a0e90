package zoo

// vitArchs lists the Vision Transformer (Dosovitskiy et al. 2021, "An Image
// is Worth 16x16 Words") as torchvision defines it
// (models/vision_transformer.py).
func vitArchs() []Arch {
	return []Arch{{Name: "vit_b_16", Family: "vit", Reference: "torchvision:ViT_B_16_Weights.IMAGENET1K_V1",
		Build: func(g *Graph) Tensor {
			return vit(g, vitSpec{patch: 16, layers: 12, heads: 12, hidden: 768, mlp: 3072})
		}}}
}

// vitSpec is torchvision's VisionTransformer configuration.
type vitSpec struct {
	patch, layers, heads, hidden, mlp int64
}

// vitEps is the LayerNorm epsilon of torchvision's encoder.
const vitEps = 1e-6

// vit builds torchvision's VisionTransformer: a patchifying convolution,
// the class token prepended, learned position embeddings added, pre-norm
// encoder blocks, a final LayerNorm and a linear head on the class token.
// Dropouts are the identity at inference.
func vit(g *Graph, s vitSpec) Tensor {
	in := g.Input()
	n := (in.H() / s.patch) * (in.W() / s.patch)
	x := g.ConvX(in, ConvSpec{Out: s.hidden, K: s.patch, Stride: s.patch, Bias: true})
	x = g.Reshape(x, s.hidden, n)
	x = g.Transpose(x, 0, 2, 1) // N × patches × hidden

	// class_token (1×1×hidden) expanded to the batch: the batch size is
	// read from the patches at run time (Shape → Concat → Expand).
	cls := g.Param("class_token", []int64{1, 1, s.hidden}, InitUniform, 0.02)
	batch := g.Node("Shape", []Tensor{x}, nil, AttrInt("start", 0), AttrInt("end", 1))
	shape := g.Node("Concat", []Tensor{batch, g.Ints(1, s.hidden)}, nil, AttrInt("axis", 0))
	cls = g.Node("Expand", []Tensor{cls, shape}, []int64{1, s.hidden})
	x = g.ConcatAxis(1, cls, x)

	x = g.Add(x, g.Param("pos_embedding", []int64{1, n + 1, s.hidden}, InitUniform, 0.02))
	for i := int64(0); i < s.layers; i++ {
		x = vitBlock(g, x, s)
	}
	x = g.LayerNorm(x, vitEps)
	x = g.Node("Gather", []Tensor{x, g.Ints(0)}, []int64{1, s.hidden}, AttrInt("axis", 1))
	x = g.Flatten(x) // x[:, 0]
	return g.Linear(x, 1000, true)
}

// vitBlock is torchvision's EncoderBlock: x + MHA(LN(x)), then
// x + MLP(LN(x)) with a GELU MLP.
func vitBlock(g *Graph, x Tensor, s vitSpec) Tensor {
	y := vitAttention(g, g.LayerNorm(x, vitEps), s)
	x = g.Add(x, y)
	y = g.LayerNorm(x, vitEps)
	y = g.GELU(g.LinearND(y, s.mlp, true))
	y = g.LinearND(y, s.hidden, true)
	return g.Add(x, y)
}

// vitAttention is nn.MultiheadAttention(hidden, heads) used as
// self-attention: one packed in_proj (weight 3·hidden × hidden and bias),
// per-head softmax(q·kᵀ/√d)·v, and out_proj.
func vitAttention(g *Graph, x Tensor, s vitSpec) Tensor {
	l, d, hd := x.Shape[0], s.hidden, s.hidden/s.heads
	qkv := g.LinearND(x, 3*d, true)
	parts := g.NodeN("Split", []Tensor{qkv, g.Ints(d, d, d)}, [][]int64{{l, d}, {l, d}, {l, d}}, AttrInt("axis", 2))
	heads := func(t Tensor, perm ...int64) Tensor {
		return g.Transpose(g.Reshape(t, l, s.heads, hd), perm...)
	}
	q := heads(g.Mul(parts[0], g.Scalar(float32(1/sqrt(float64(hd))))), 0, 2, 1, 3) // N × heads × L × hd
	k := heads(parts[1], 0, 2, 3, 1)                                                // N × heads × hd × L
	v := heads(parts[2], 0, 2, 1, 3)                                                // N × heads × L × hd
	att := g.Node("MatMul", []Tensor{q, k}, []int64{s.heads, l, l})
	g.AddMACs(s.heads * l * l * hd)
	att = g.Softmax(att, 3)
	y := g.Node("MatMul", []Tensor{att, v}, []int64{s.heads, l, hd})
	g.AddMACs(s.heads * l * l * hd)
	y = g.Reshape(g.Transpose(y, 0, 2, 1, 3), l, d)
	return g.LinearND(y, d, true)
}
