package flops

// reduceRule gives the rules of reductions. ReduceMean, ReduceSum and the
// other reductions, ArgMax and ArgMin cost one FLOP per output element, like
// every op that is not a multiply-accumulate. Integer ReduceProd, ReduceSum,
// ReduceMax and ReduceMin of constants (shape arithmetic) are evaluated.
func reduceRule(op string) (rule, bool) {
	switch op {
	case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
		"ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare":
		return rule{kind: kindPerOutput, infer: inferReduce}, true
	case "ArgMax", "ArgMin":
		return rule{kind: kindPerOutput, infer: inferArg}, true
	}
	return rule{}, false
}

// inferArg removes (or keeps as 1) ArgMax's or ArgMin's axis; the indices are int64.
func inferArg(n *Node, ins []*value) ([]*value, error) {
	a := attrs{n}
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	axis, err := normAxis(a.int("axis", 0), x.rank)
	if err != nil {
		return nil, err
	}
	dims := reduceDims(x.dims, []int{axis}, a.int("keepdims", 1) != 0)
	return []*value{shaped(dtInt64, dims)}, nil
}

// reduceDims removes or keeps (as 1) the reduced axes.
func reduceDims(dims []int64, axes []int, keep bool) []int64 {
	red := map[int]bool{}
	for _, ax := range axes {
		red[ax] = true
	}
	var out []int64
	for i, d := range dims {
		switch {
		case !red[i]:
			out = append(out, d)
		case keep:
			out = append(out, 1)
		}
	}
	return out
}

func inferReduce(n *Node, ins []*value) ([]*value, error) {
	a, op := attrs{n}, n.Proto.GetOpType()
	// Axes are an attribute before opset 18 (ReduceSum: 13) and an input after;
	// either form is accepted whatever the declared opset.
	x, axes, present, err := needInts(n, ins, "axes")
	if err != nil {
		return nil, err
	}
	var norm []int
	if present && len(axes) > 0 {
		for _, ax := range axes {
			i, err := normAxis(ax, x.rank)
			if err != nil {
				return nil, err
			}
			norm = append(norm, i)
		}
	} else if a.int("noop_with_empty_axes", 0) != 0 {
		return []*value{shaped(x.dtype, x.dims)}, nil
	} else {
		for i := range x.rank {
			norm = append(norm, i)
		}
	}
	keep := a.int("keepdims", 1) != 0
	out := shaped(x.dtype, reduceDims(x.dims, norm, keep))
	if x.isConst && x.ints != nil && (op == "ReduceProd" || op == "ReduceSum" || op == "ReduceMax" || op == "ReduceMin") && x.known() {
		out.ints = reduceInts(op, x, norm)
		out.isConst = out.ints != nil
	}
	return []*value{out}, nil
}

// reduceInts folds an integer reduction over axes.
func reduceInts(op string, x *value, axes []int) []int64 {
	red := map[int]bool{}
	for _, ax := range axes {
		red[ax] = true
	}
	outDims := make([]int64, len(x.dims))
	for i, d := range x.dims {
		outDims[i] = d
		if red[i] {
			outDims[i] = 1
		}
	}
	total := int64(1)
	for _, d := range outDims {
		total = mulSat(total, d)
	}
	if !foldable(total) {
		return nil
	}
	res := make([]int64, total)
	seen := make([]bool, total)
	ist, ost := strides(x.dims), strides(outDims)
	for flat := range int64(len(x.ints)) {
		o := int64(0)
		for i := range x.dims {
			c := (flat / ist[i]) % x.dims[i]
			if !red[i] {
				o += c * ost[i]
			}
		}
		v := x.ints[flat]
		switch {
		case !seen[o]:
			res[o] = v
		case op == "ReduceProd":
			res[o] *= v
		case op == "ReduceSum":
			res[o] += v
		case op == "ReduceMax":
			res[o] = max(res[o], v)
		default:
			res[o] = min(res[o], v)
		}
		seen[o] = true
	}
	if op == "ReduceProd" {
		for o, ok := range seen {
			if !ok {
				res[o] = 1 // the product of no elements
			}
		}
	}
	return res
}
