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
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	if x.rank < 2 {
		return nil, fmt.Errorf("input rank %d is below 2", x.rank)
	}
	dims := append([]int64{}, x.dims...)
	for i := 2; i < len(dims); i++ {
		dims[i] = 1
	}
	return []*value{shaped(x.dtype, dims)}, nil
}
