package flops

import (
	"errors"
	"fmt"
	"math"
)

// resizeRule gives the rules of resampling. Resize and Upsample cost one
// FLOP per output element, like every op that is not a multiply-accumulate.
func resizeRule(op string) (rule, bool) {
	switch op {
	case "Resize", "Upsample":
		return rule{kind: kindPerOutput, infer: inferResize}, true
	}
	return rule{}, false
}

func inferResize(n *Node, ins []*value) ([]*value, error) {
	op := n.Proto.GetOpType()
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	var sizes []int64
	var scales []float64
	switch {
	case op == "Upsample" && in(ins, 1) == nil:
		s, ok := attrs{n}.floats("scales")
		if !ok {
			return nil, errors.New("scales are missing")
		}
		scales = s
	case op == "Upsample" || len(ins) == 2:
		s, ok := in(ins, 1).constNums()
		if !ok {
			return nil, errors.New("input 1 (scales) is not a constant")
		}
		scales = s
	default:
		if v := in(ins, 3); v != nil && v.elems() != 0 {
			s, ok := v.constInts()
			if !ok {
				return nil, errors.New("input 3 (sizes) is not a constant")
			}
			sizes = s
		} else if v := in(ins, 2); v != nil {
			s, ok := v.constNums()
			if !ok {
				return nil, errors.New("input 2 (scales) is not a constant")
			}
			scales = s
		}
	}
	if axes, ok := (attrs{n}).ints("axes"); ok && len(axes) > 0 {
		return nil, fmt.Errorf("resize with axes %v is not supported", axes)
	}
	dims := append([]int64{}, x.dims...)
	switch {
	case len(sizes) == x.rank:
		copy(dims, sizes)
	case len(scales) == x.rank:
		for i, s := range scales {
			if dims[i] >= 0 {
				if s < 0 || math.IsNaN(s) || s*float64(dims[i]) > math.MaxInt32 {
					return nil, fmt.Errorf("scale %g out of range", s)
				}
				dims[i] = int64(math.Floor(float64(dims[i]) * s))
			}
		}
	default:
		return nil, fmt.Errorf("scales %v or sizes %v do not match rank %d", scales, sizes, x.rank)
	}
	return []*value{shaped(x.dtype, dims)}, nil
}
