package flops

import (
	"errors"
	"fmt"
	"math"

	"github.com/dnnbench/dnnbench/internal/onnxgraph"
)

// shapeRule gives the rules of data movement and shape ops, which cost zero
// FLOPs: Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split,
// Slice, Gather, Pad, Expand, Tile, Cast, CastLike, Identity and Dropout
// move or retype values without arithmetic, and Shape, Size, Constant,
// ConstantOfShape and Range make shape data. Inference evaluates them on
// constant inputs, which is how shape subgraphs fold.
func shapeRule(op string) (rule, bool) {
	var infer func(n *Node, ins []*value) ([]*value, error)
	switch op {
	case "Constant":
		infer = inferConstant
	case "Identity", "Dropout":
		infer = inferIdentity
	case "Cast", "CastLike":
		infer = inferCast
	case "Reshape":
		infer = inferReshape
	case "Flatten":
		infer = inferFlatten
	case "Transpose":
		infer = inferTranspose
	case "Squeeze":
		infer = inferSqueeze
	case "Unsqueeze":
		infer = inferUnsqueeze
	case "Concat":
		infer = inferConcat
	case "Split":
		infer = inferSplit
	case "Slice":
		infer = inferSlice
	case "Gather":
		infer = inferGather
	case "Pad":
		infer = inferPad
	case "Shape":
		infer = inferShape
	case "Size":
		infer = inferSize
	case "Expand":
		infer = inferExpand
	case "Tile":
		infer = inferTile
	case "ConstantOfShape":
		infer = inferConstantOfShape
	case "Range":
		infer = inferRange
	default:
		return rule{}, false
	}
	return rule{kind: kindFree, infer: infer}, true
}

// aliasOp reports ops whose output 0 the runtime stores in its input's
// buffer, so it adds no live memory.
func aliasOp(op string) bool {
	switch op {
	case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout":
		return true
	}
	return false
}

// passThrough reports ops whose output 0 holds the values of input 0
// unchanged (at most retyped or reshaped).
func passThrough(op string) bool {
	return aliasOp(op) || op == "Cast" || op == "CastLike"
}

// inferIdentity passes Identity's or Dropout's input through (a constant
// stays one); Dropout's optional mask has the input's shape.
func inferIdentity(_ *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	out := *x
	out.stored = false
	mask := shaped(dtBool, x.dims)
	mask.rank = x.rank
	return []*value{&out, mask}, nil
}

// inferSize is the input's element count, a constant when its shape is known.
func inferSize(_ *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	if e := x.elems(); e >= 0 {
		return []*value{withInts(dtInt64, nil, []int64{e})}, nil
	}
	return []*value{shaped(dtInt64, nil)}, nil
}

func inferConstant(n *Node, _ []*value) ([]*value, error) {
	a := attrs{n}
	if t, ok := n.Tensors["value"]; ok {
		v := shaped(t.Header.GetDataType(), t.Header.GetDims())
		if t.Ints != nil {
			v.ints, v.isConst = t.Ints, true
		} else if t.Floats != nil {
			v.floats, v.isConst = t.Floats, true
		}
		return []*value{v}, nil
	}
	if at := a.get("value_int"); at != nil {
		return []*value{withInts(dtInt64, nil, []int64{at.GetI()})}, nil
	}
	if at := a.get("value_ints"); at != nil {
		return []*value{withInts(dtInt64, []int64{int64(len(at.GetInts()))}, append([]int64{}, at.GetInts()...))}, nil
	}
	if at := a.get("value_float"); at != nil {
		return []*value{withFloats(dtFloat, nil, []float64{float64(at.GetF())})}, nil
	}
	if f, ok := a.floats("value_floats"); ok {
		return []*value{withFloats(dtFloat, []int64{int64(len(f))}, f)}, nil
	}
	return nil, errors.New("constant has no value, value_int(s) or value_float(s) attribute")
}

func inferCast(n *Node, ins []*value) ([]*value, error) {
	op := n.Proto.GetOpType()
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	to := int32(attrs{n}.int("to", 0))
	if op == "CastLike" {
		t := in(ins, 1)
		if t == nil {
			return nil, errors.New("input 1 is missing")
		}
		to = t.dtype
	}
	out := shaped(to, x.dims)
	out.rank = x.rank
	if !x.isConst {
		return []*value{out}, nil
	}
	switch {
	case onnxgraph.IsFloatType(to):
		nums, _ := x.constNums()
		out.floats, out.isConst = nums, true
	case onnxgraph.IsIntType(to):
		if x.floats != nil {
			out.ints = make([]int64, len(x.floats))
			for i, f := range x.floats {
				out.ints[i] = toInt(f)
			}
		} else {
			out.ints = x.ints
		}
		if to == dtBool {
			b := make([]int64, len(out.ints))
			for i, v := range out.ints {
				b[i] = boolInt(v != 0)
			}
			if x.floats != nil {
				for i, f := range x.floats {
					b[i] = boolInt(f != 0)
				}
			}
			out.ints = b
		}
		out.isConst = out.ints != nil
	}
	return []*value{out}, nil
}

// hasData reports whether a constant's values are all present.
func hasData(v *value) bool {
	if v == nil || !v.isConst || !v.known() {
		return false
	}
	return int64(max(len(v.ints), len(v.floats))) == v.elems()
}

// pick returns a constant of dims whose element i is x's element idx[i].
func pick(x *value, dims []int64, idx []int64) *value {
	if x.floats != nil {
		f := make([]float64, len(idx))
		for i, j := range idx {
			f[i] = x.floats[j]
		}
		return withFloats(x.dtype, dims, f)
	}
	v := make([]int64, len(idx))
	for i, j := range idx {
		v[i] = x.ints[j]
	}
	return withInts(x.dtype, dims, v)
}

// reshaped returns x's values (if constant) under new dims.
func reshaped(x *value, dims []int64) *value {
	out := shaped(x.dtype, dims)
	if hasData(x) {
		out.ints, out.floats, out.isConst = x.ints, x.floats, true
	}
	return out
}

// mapIndex lists, for every element of an output of dims, the flat index of
// its source computed by src from the output coordinates.
func mapIndex(dims []int64, src func(coord []int64) int64) []int64 {
	total := int64(1)
	for _, d := range dims {
		total *= d
	}
	idx := make([]int64, total)
	coord := make([]int64, len(dims))
	for k := range total {
		idx[k] = src(coord)
		for i := len(dims) - 1; i >= 0; i-- {
			coord[i]++
			if coord[i] < dims[i] {
				break
			}
			coord[i] = 0
		}
	}
	return idx
}

func inferConcat(n *Node, ins []*value) ([]*value, error) {
	var vals []*value
	for i, v := range ins {
		if v == nil {
			continue
		}
		if v.rank < 0 {
			return nil, fmt.Errorf("input %d has unknown shape", i)
		}
		vals = append(vals, v)
	}
	if len(vals) == 0 {
		return nil, errors.New("no inputs")
	}
	rank := vals[0].rank
	axis, err := normAxis(attrs{n}.int("axis", 0), rank)
	if err != nil {
		return nil, err
	}
	dims := append([]int64{}, vals[0].dims...)
	dims[axis] = 0
	allConst := true
	for i, v := range vals {
		if v.rank != rank {
			return nil, fmt.Errorf("input %d has rank %d, input 0 has %d", i, v.rank, rank)
		}
		for j := range rank {
			if j != axis && dims[j] < 0 {
				dims[j] = v.dims[j]
			}
		}
		if dims[axis] >= 0 && v.dims[axis] >= 0 {
			dims[axis] += v.dims[axis]
		} else {
			dims[axis] = -1
		}
		allConst = allConst && hasData(v)
	}
	out := shaped(vals[0].dtype, dims)
	if !allConst || !foldable(out.elems()) {
		return []*value{out}, nil
	}
	if out.elems() == 0 {
		return []*value{withInts(out.dtype, dims, nil)}, nil
	}
	anyFloat := false
	for _, v := range vals {
		anyFloat = anyFloat || v.floats != nil
	}
	// Concatenate blockwise: outer × (each input's axis×inner block).
	outer := int64(1)
	for _, d := range dims[:axis] {
		outer *= d
	}
	for o := range outer {
		for _, v := range vals {
			block := int64(1)
			for _, d := range v.dims[axis:] {
				block *= d
			}
			for k := o * block; k < (o+1)*block; k++ {
				if anyFloat {
					nums, _ := v.constNums()
					out.floats = append(out.floats, nums[k])
				} else {
					out.ints = append(out.ints, v.ints[k])
				}
			}
		}
	}
	out.isConst = true
	if out.floats == nil && out.ints == nil {
		out.ints = []int64{}
	}
	return []*value{out}, nil
}

func inferSplit(n *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	axis, err := normAxis(attrs{n}.int("axis", 0), x.rank)
	if err != nil {
		return nil, err
	}
	outs := len(n.Proto.GetOutput())
	split, present, err := intsFrom(n, ins, 1, "split")
	if err != nil {
		return nil, err
	}
	d := x.dims[axis]
	if !present || len(split) == 0 {
		if d < 0 {
			return nil, errors.New("split axis length is unknown")
		}
		parts := int64(outs)
		if k := (attrs{n}).int("num_outputs", 0); k != 0 && k != parts {
			return nil, fmt.Errorf("num_outputs %d but %d outputs", k, parts)
		}
		if parts < 1 {
			return nil, errors.New("no outputs")
		}
		chunk := (d + parts - 1) / parts
		split = nil
		for left := d; int64(len(split)) < parts; left -= chunk {
			split = append(split, max(min(chunk, left), 0))
		}
	}
	if len(split) != outs {
		return nil, fmt.Errorf("split %v has %d parts for %d outputs", split, len(split), outs)
	}
	var vals []*value
	start := int64(0)
	for _, s := range split {
		if s < 0 {
			return nil, fmt.Errorf("split %v has a negative part", split)
		}
		dims := append([]int64{}, x.dims...)
		dims[axis] = s
		v := shaped(x.dtype, dims)
		if hasData(x) && foldable(v.elems()) {
			st := strides(x.dims)
			lo := start
			v = pick(x, dims, mapIndex(dims, func(c []int64) int64 {
				k := int64(0)
				for i, ci := range c {
					if i == axis {
						ci += lo
					}
					k += ci * st[i]
				}
				return k
			}))
		}
		vals = append(vals, v)
		start += s
	}
	if d >= 0 && start != d {
		return nil, fmt.Errorf("split %v does not sum to the axis length %d", split, d)
	}
	return vals, nil
}

func inferFlatten(n *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	axis := attrs{n}.int("axis", 1)
	if axis < 0 {
		axis += int64(x.rank)
	}
	if axis < 0 || axis > int64(x.rank) {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, x.rank)
	}
	prod := func(ds []int64) int64 {
		p := int64(1)
		for _, d := range ds {
			if d < 0 {
				return -1
			}
			p = mulSat(p, d)
		}
		return p
	}
	return []*value{reshaped(x, []int64{prod(x.dims[:axis]), prod(x.dims[axis:])})}, nil
}

func inferReshape(n *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	target, present, err := intsFrom(n, ins, 1, "shape")
	if err != nil {
		if s := in(ins, 1); s != nil && s.rank == 1 && s.dims[0] >= 0 && s.dims[0] <= maxRank {
			dims := make([]int64, s.dims[0])
			for i := range dims {
				dims[i] = -1
			}
			return []*value{shaped(x.dtype, dims)}, nil
		}
		return nil, err
	}
	if !present {
		return nil, errors.New("shape is missing")
	}
	if len(target) > maxRank {
		return nil, fmt.Errorf("shape %v has more than %d dims", target, maxRank)
	}
	allowZero := attrs{n}.int("allowzero", 0) != 0
	dims := make([]int64, len(target))
	infer := -1
	for i, t := range target {
		switch {
		case t == 0 && !allowZero:
			if i >= x.rank {
				return nil, fmt.Errorf("shape %v copies dim %d of a rank-%d input", target, i, x.rank)
			}
			dims[i] = x.dims[i]
		case t == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", target)
			}
			infer = i
		case t < -1:
			return nil, fmt.Errorf("shape %v has a negative dim", target)
		default:
			dims[i] = t
		}
	}
	if infer >= 0 {
		total := x.elems()
		rest := int64(1)
		for i, d := range dims {
			if i == infer {
				continue
			}
			if d < 0 {
				rest = -1
				break
			}
			rest = mulSat(rest, d)
		}
		switch {
		case total < 0 || rest < 0:
			dims[infer] = -1
		case rest == 0 || total%rest != 0:
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", x.dims, total, target)
		default:
			dims[infer] = total / rest
		}
	}
	if e, t := x.elems(), shaped(0, dims).elems(); e >= 0 && t >= 0 && e != t {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", x.dims, e, dims, t)
	}
	return []*value{reshaped(x, dims)}, nil
}

func inferTranspose(n *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	perm, ok := attrs{n}.ints("perm")
	if !ok || len(perm) == 0 {
		perm = make([]int64, x.rank)
		for i := range perm {
			perm[i] = int64(x.rank - 1 - i)
		}
	}
	if len(perm) != x.rank {
		return nil, fmt.Errorf("perm %v does not match rank %d", perm, x.rank)
	}
	seen := make([]bool, x.rank)
	dims := make([]int64, x.rank)
	for i, p := range perm {
		if p < 0 || p >= int64(x.rank) || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation", perm)
		}
		seen[p] = true
		dims[i] = x.dims[p]
	}
	if !hasData(x) {
		return []*value{shaped(x.dtype, dims)}, nil
	}
	st := strides(x.dims)
	return []*value{pick(x, dims, mapIndex(dims, func(c []int64) int64 {
		k := int64(0)
		for i, ci := range c {
			k += ci * st[perm[i]]
		}
		return k
	}))}, nil
}

func inferSqueeze(n *Node, ins []*value) ([]*value, error) {
	x, axes, present, err := needInts(n, ins, "axes")
	if err != nil {
		return nil, err
	}
	drop := make([]bool, x.rank)
	if present && len(axes) > 0 {
		for _, ax := range axes {
			i, err := normAxis(ax, x.rank)
			if err != nil {
				return nil, err
			}
			if x.dims[i] > 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of length %d", i, x.dims[i])
			}
			drop[i] = true
		}
	} else {
		for i, d := range x.dims {
			if d < 0 {
				return nil, errors.New("squeeze without axes needs a known shape")
			}
			drop[i] = d == 1
		}
	}
	var dims []int64
	for i, d := range x.dims {
		if !drop[i] {
			dims = append(dims, d)
		}
	}
	return []*value{reshaped(x, dims)}, nil
}

func inferUnsqueeze(n *Node, ins []*value) ([]*value, error) {
	x, axes, present, err := needInts(n, ins, "axes")
	if err != nil {
		return nil, err
	}
	if !present {
		return nil, errors.New("axes are missing")
	}
	rank := x.rank + len(axes)
	if rank > maxRank {
		return nil, fmt.Errorf("output rank %d exceeds %d", rank, maxRank)
	}
	insert := make([]bool, rank)
	for _, ax := range axes {
		i, err := normAxis(ax, rank)
		if err != nil {
			return nil, err
		}
		if insert[i] {
			return nil, fmt.Errorf("axes %v repeat axis %d", axes, i)
		}
		insert[i] = true
	}
	dims := make([]int64, 0, rank)
	j := 0
	for i := range rank {
		if insert[i] {
			dims = append(dims, 1)
		} else {
			dims = append(dims, x.dims[j])
			j++
		}
	}
	return []*value{reshaped(x, dims)}, nil
}

func inferPad(n *Node, ins []*value) ([]*value, error) {
	x, pads, present, err := needInts(n, ins, "pads")
	if err != nil {
		return nil, err
	}
	if !present {
		pads, present = attrs{n}.ints("paddings")
	}
	if !present {
		return nil, errors.New("pads are missing")
	}
	axes := make([]int64, x.rank)
	for i := range axes {
		axes[i] = int64(i)
	}
	if v := in(ins, 3); v != nil {
		a, ok := v.constInts()
		if !ok {
			return nil, errors.New("input 3 (axes) is not a constant")
		}
		axes = a
	}
	if len(pads) != 2*len(axes) {
		return nil, fmt.Errorf("pads %v do not match %d axes", pads, len(axes))
	}
	dims := append([]int64{}, x.dims...)
	for k, ax := range axes {
		i, err := normAxis(ax, x.rank)
		if err != nil {
			return nil, err
		}
		if dims[i] >= 0 {
			dims[i] += pads[k] + pads[k+len(axes)]
			if dims[i] < 0 {
				return nil, fmt.Errorf("pads %v make axis %d negative", pads, i)
			}
		}
	}
	return []*value{shaped(x.dtype, dims)}, nil
}

func inferShape(n *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	a := attrs{n}
	start, end := a.int("start", 0), a.int("end", int64(x.rank))
	clamp := func(v int64) int64 {
		if v < 0 {
			v += int64(x.rank)
		}
		return max(0, min(v, int64(x.rank)))
	}
	start, end = clamp(start), clamp(end)
	if end < start {
		end = start
	}
	dims := x.dims[start:end]
	out := shaped(dtInt64, []int64{int64(len(dims))})
	for _, d := range dims {
		if d < 0 {
			return []*value{out}, nil
		}
	}
	return []*value{withInts(dtInt64, []int64{int64(len(dims))}, append([]int64{}, dims...))}, nil
}

func inferGather(n *Node, ins []*value) ([]*value, error) {
	x, idx, err := need2(ins, 0, 1)
	if err != nil {
		return nil, err
	}
	if x.rank < 1 {
		return nil, errors.New("cannot gather from a scalar")
	}
	axis, err := normAxis(attrs{n}.int("axis", 0), x.rank)
	if err != nil {
		return nil, err
	}
	dims := append([]int64{}, x.dims[:axis]...)
	dims = append(dims, idx.dims...)
	dims = append(dims, x.dims[axis+1:]...)
	if len(dims) > maxRank {
		return nil, fmt.Errorf("output rank %d exceeds %d", len(dims), maxRank)
	}
	out := shaped(x.dtype, dims)
	if !hasData(x) || !hasData(idx) || !foldable(out.elems()) {
		return []*value{out}, nil
	}
	ids, ok := idx.constInts()
	if !ok {
		return []*value{out}, nil
	}
	axLen := x.dims[axis]
	for _, k := range ids {
		if k < -axLen || k >= axLen {
			return nil, fmt.Errorf("index %d out of range for axis length %d", k, axLen)
		}
	}
	st := strides(x.dims)
	ir := idx.rank
	return []*value{pick(x, dims, mapIndex(dims, func(c []int64) int64 {
		k := int64(0)
		for i := range axis {
			k += c[i] * st[i]
		}
		flat := int64(0)
		ist := strides(idx.dims)
		for i := range ir {
			flat += c[axis+i] * ist[i]
		}
		j := ids[flat]
		if j < 0 {
			j += axLen
		}
		k += j * st[axis]
		for i := axis + 1; i < x.rank; i++ {
			k += c[i-1+ir] * st[i]
		}
		return k
	}))}, nil
}

func inferSlice(n *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	starts, sp, err := intsFrom(n, ins, 1, "starts")
	if err != nil {
		return nil, err
	}
	ends, ep, err := intsFrom(n, ins, 2, "ends")
	if err != nil {
		return nil, err
	}
	if !sp || !ep {
		return nil, errors.New("starts or ends are missing")
	}
	axes, ap, err := intsFrom(n, ins, 3, "axes")
	if err != nil {
		return nil, err
	}
	if !ap || len(axes) == 0 {
		axes = make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	steps, stp, err := intsFrom(n, ins, 4, "steps")
	if err != nil {
		return nil, err
	}
	if !stp || len(steps) == 0 {
		steps = make([]int64, len(starts))
		for i := range steps {
			steps[i] = 1
		}
	}
	if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
		return nil, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	dims := append([]int64{}, x.dims...)
	first := make([]int64, x.rank)
	step := make([]int64, x.rank)
	for i := range step {
		step[i] = 1
	}
	for k, ax := range axes {
		i, err := normAxis(ax, x.rank)
		if err != nil {
			return nil, err
		}
		s := steps[k]
		if s == 0 {
			return nil, errors.New("slice step is 0")
		}
		d := x.dims[i]
		if d < 0 {
			dims[i] = -1
			continue
		}
		lo, hi := sliceBound(starts[k], d, s), sliceBound(ends[k], d, s)
		var cnt int64
		if s > 0 && hi > lo {
			cnt = (hi - lo + s - 1) / s
		} else if s < 0 && lo > hi {
			cnt = (lo - hi - s - 1) / -s
		}
		dims[i], first[i], step[i] = cnt, lo, s
	}
	if !hasData(x) {
		return []*value{shaped(x.dtype, dims)}, nil
	}
	out := shaped(x.dtype, dims)
	if !foldable(out.elems()) {
		return []*value{out}, nil
	}
	st := strides(x.dims)
	return []*value{pick(x, dims, mapIndex(dims, func(c []int64) int64 {
		k := int64(0)
		for i, ci := range c {
			k += (first[i] + ci*step[i]) * st[i]
		}
		return k
	}))}, nil
}

// sliceBound clamps a Slice start or end the way ONNX does.
func sliceBound(v, d, step int64) int64 {
	if v < 0 {
		if v < math.MinInt64+d {
			v = math.MinInt64
		} else {
			v += d
		}
	}
	if step > 0 {
		return max(0, min(v, d))
	}
	return max(-1, min(v, d-1))
}

func inferExpand(_ *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	sv := in(ins, 1)
	shape, ok := sv.constInts()
	if !ok {
		if sv != nil && sv.rank == 1 && sv.dims[0] >= 0 && sv.dims[0] <= maxRank {
			dims := make([]int64, max(int(sv.dims[0]), x.rank))
			for i := range dims {
				dims[i] = -1
			}
			return []*value{shaped(x.dtype, dims)}, nil
		}
		return nil, errors.New("input 1 (shape) is not a constant")
	}
	if len(shape) > maxRank {
		return nil, fmt.Errorf("shape %v has more than %d dims", shape, maxRank)
	}
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("shape %v has a negative dim", shape)
		}
	}
	dims, err := broadcastDims(x.dims, shape)
	if err != nil {
		return nil, err
	}
	out := shaped(x.dtype, dims)
	if !hasData(x) || !foldable(out.elems()) {
		return []*value{out}, nil
	}
	ost, ist := strides(dims), strides(x.dims)
	idx := make([]int64, out.elems())
	for k := range idx {
		idx[k] = broadcastIndex(int64(k), dims, ost, x.dims, ist)
	}
	return []*value{pick(x, dims, idx)}, nil
}

func inferTile(_ *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	reps, ok := in(ins, 1).constInts()
	if !ok {
		return nil, errors.New("input 1 (repeats) is not a constant")
	}
	if len(reps) != x.rank {
		return nil, fmt.Errorf("repeats %v do not match rank %d", reps, x.rank)
	}
	dims := make([]int64, x.rank)
	for i, d := range x.dims {
		if reps[i] < 0 {
			return nil, fmt.Errorf("repeats %v has a negative count", reps)
		}
		dims[i] = -1
		if d >= 0 {
			dims[i] = mulSat(d, reps[i])
		}
	}
	return []*value{shaped(x.dtype, dims)}, nil
}

func inferConstantOfShape(n *Node, ins []*value) ([]*value, error) {
	sv := in(ins, 0)
	shape, ok := sv.constInts()
	if !ok {
		if sv != nil && sv.rank == 1 && sv.dims[0] >= 0 && sv.dims[0] <= maxRank {
			dims := make([]int64, sv.dims[0])
			for i := range dims {
				dims[i] = -1
			}
			return []*value{shaped(dtFloat, dims)}, nil
		}
		return nil, errors.New("input 0 (shape) is not a constant")
	}
	if len(shape) > maxRank {
		return nil, fmt.Errorf("shape %v has more than %d dims", shape, maxRank)
	}
	for _, d := range shape {
		if d < 0 {
			return nil, fmt.Errorf("shape %v has a negative dim", shape)
		}
	}
	dt := int32(dtFloat)
	var fill *Tensor
	if t, ok := n.Tensors["value"]; ok {
		dt, fill = t.Header.GetDataType(), t
	}
	out := shaped(dt, shape)
	e := out.elems()
	if !foldable(e) {
		return []*value{out}, nil
	}
	switch {
	case fill != nil && fill.Ints != nil && len(fill.Ints) == 1:
		out.ints = make([]int64, e)
		for i := range out.ints {
			out.ints[i] = fill.Ints[0]
		}
		out.isConst = true
	case fill != nil && fill.Floats != nil && len(fill.Floats) == 1:
		out.floats = make([]float64, e)
		for i := range out.floats {
			out.floats[i] = fill.Floats[0]
		}
		out.isConst = true
	case fill == nil:
		out.floats = make([]float64, e)
		out.isConst = true
	}
	return []*value{out}, nil
}

func inferRange(_ *Node, ins []*value) ([]*value, error) {
	var nums [3]float64
	dt := int32(dtInt64)
	for i := range 3 {
		v := in(ins, i)
		if v == nil {
			return nil, fmt.Errorf("input %d is missing", i)
		}
		dt = v.dtype
		f, ok := v.constNums()
		if !ok || len(f) != 1 {
			return []*value{shaped(v.dtype, []int64{-1})}, nil
		}
		nums[i] = f[0]
	}
	start, limit, delta := nums[0], nums[1], nums[2]
	if delta == 0 || math.IsNaN(start+limit+delta) || math.IsInf(start+limit+delta, 0) {
		return nil, errors.New("range delta is 0 or bounds are not finite")
	}
	cnt := max(math.Ceil((limit-start)/delta), 0)
	if cnt > math.MaxInt32 {
		return nil, fmt.Errorf("range of %g elements", cnt)
	}
	n := int64(cnt)
	out := shaped(dt, []int64{n})
	if !foldable(n) {
		return []*value{out}, nil
	}
	if onnxgraph.IsFloatType(dt) {
		f := make([]float64, n)
		for i := range f {
			f[i] = start + float64(i)*delta
		}
		return []*value{withFloats(dt, []int64{n}, f)}, nil
	}
	v := make([]int64, n)
	for i := range v {
		v[i] = toInt(start + float64(i)*delta)
	}
	return []*value{withInts(dt, []int64{n}, v)}, nil
}
