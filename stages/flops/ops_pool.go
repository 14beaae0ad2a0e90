package flops

import (
	"errors"
	"fmt"
)

// poolRule gives the rules of pooling. MaxPool, AveragePool, LpPool and the
// global pools cost one FLOP per output element, not per window element,
// like every op that is not a multiply-accumulate: FLOPs here follow the
// paper's, which are dominated by the MACs of convolutions and dense layers.
func poolRule(op string) (rule, bool) {
	switch op {
	case "MaxPool", "AveragePool", "LpPool":
		return rule{kind: kindPerOutput, infer: inferPool}, true
	case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool":
		return rule{kind: kindPerOutput, infer: inferGlobalPool}, true
	}
	return rule{}, false
}

func inferPool(n *Node, ins []*value) ([]*value, error) {
	a := attrs{n}
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	if x.rank < 3 {
		return nil, fmt.Errorf("input rank %d is below 3", x.rank)
	}
	kernel, ok := a.ints("kernel_shape")
	if !ok {
		return nil, errors.New("kernel_shape attribute is missing")
	}
	g, err := geometry(n, x.rank-2, kernel)
	if err != nil {
		return nil, err
	}
	ceil := a.int("ceil_mode", 0) != 0
	dims := []int64{x.dims[0], x.dims[1]}
	for i := range x.rank - 2 {
		d, err := g.outDim(i, x.dims[2+i], ceil)
		if err != nil {
			return nil, err
		}
		dims = append(dims, d)
	}
	return []*value{shaped(x.dtype, dims), shaped(dtInt64, dims)}, nil
}

// inferGlobalPool keeps batch and channels and makes every spatial dim 1.
func inferGlobalPool(_ *Node, ins []*value) ([]*value, error) {
	return globalPool(ins, 2, false)
}

// globalPool makes every spatial dim of input 0 one: dims 2 on, or with
// channelsLast dims 1 to rank−2. The input's rank must be at least minRank.
func globalPool(ins []*value, minRank int, channelsLast bool) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	if x.rank < minRank {
		return nil, fmt.Errorf("input rank %d is below %d", x.rank, minRank)
	}
	dims := append([]int64{}, x.dims...)
	first, last := 2, x.rank
	if channelsLast {
		first, last = 1, x.rank-1
	}
	for i := first; i < last; i++ {
		dims[i] = 1
	}
	return []*value{shaped(x.dtype, dims)}, nil
}
