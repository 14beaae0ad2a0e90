package flops

// normRule gives the rules of normalisation. BatchNormalization,
// LayerNormalization, InstanceNormalization, MeanVarianceNormalization and
// LRN cost one FLOP per output element, like every op that is not a
// multiply-accumulate; the running mean and variance BatchNormalization
// reads are statistics, not parameters (see runningStatistics).
func normRule(op string) (rule, bool) {
	switch op {
	case "BatchNormalization":
		return rule{kind: kindPerOutput, infer: inferBatchNorm}, true
	case "LayerNormalization":
		return rule{kind: kindPerOutput, infer: inferLayerNorm}, true
	case "InstanceNormalization", "MeanVarianceNormalization", "LRN":
		return rule{kind: kindPerOutput, infer: inferUnary}, true
	}
	return rule{}, false
}

// inferBatchNorm keeps the input's shape; the optional training outputs
// (running and saved statistics) have one element per channel.
func inferBatchNorm(_ *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	outs := []*value{shaped(x.dtype, x.dims)}
	if x.rank >= 2 {
		c := []int64{x.dims[1]}
		for range 4 {
			outs = append(outs, shaped(x.dtype, c))
		}
	}
	return outs, nil
}

// inferLayerNorm keeps the input's shape; the optional mean and inverse
// standard deviation outputs keep the dims before axis and are 1 from it on.
func inferLayerNorm(n *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	axis, err := normAxis(attrs{n}.int("axis", -1), x.rank)
	if err != nil {
		return nil, err
	}
	stat := append([]int64{}, x.dims...)
	for i := axis; i < len(stat); i++ {
		stat[i] = 1
	}
	return []*value{shaped(x.dtype, x.dims), shaped(dtFloat, stat), shaped(dtFloat, stat)}, nil
}

// runningStatistics names the tensors that feed a BatchNormalization's
// running mean or variance (inputs 3 and 4), directly or through
// pass-through ops: PyTorch ≥ 1.13 writes an initializer shared by several
// inputs once and feeds the others through Identity, so the statistics of
// a freshly initialised network (zeros and ones) reach the node as
// Identity outputs of the zeros and ones that also serve as its bias and
// scale. Such an initializer holds statistics and is not a parameter.
func runningStatistics(g *Graph) map[string]bool {
	producer := map[string]*Node{}
	for _, n := range g.Nodes {
		for _, o := range n.Proto.GetOutput() {
			if o != "" {
				producer[o] = n
			}
		}
	}
	stats := map[string]bool{}
	for _, n := range g.Nodes {
		if !isKnown(n) || n.Proto.GetOpType() != "BatchNormalization" {
			continue
		}
		for j, name := range n.Proto.GetInput() {
			if j != 3 && j != 4 {
				continue
			}
			// Walk back through pass-through ops; a graph is acyclic, but a
			// malformed one must not hang the walk.
			for steps := 0; name != "" && !stats[name] && steps <= len(g.Nodes); steps++ {
				stats[name] = true
				p := producer[name]
				if p == nil || !isKnown(p) || !passThrough(p.Proto.GetOpType()) || len(p.Proto.GetInput()) == 0 {
					break
				}
				name = p.Proto.GetInput()[0]
			}
		}
	}
	return stats
}
