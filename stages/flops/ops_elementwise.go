package flops

import (
	"fmt"
	"math"
)

// elementwiseRule gives the rules of activations and elementwise
// arithmetic. Each costs one FLOP per element of its first output: the
// activations (Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Gelu, Erf,
// Tanh, …), Softmax, LogSoftmax and Hardmax, unary math, and the
// broadcasting arithmetic, comparisons and logic (Add, Mul, Where, …).
// Where their inputs are constants (shape arithmetic), inference evaluates
// them and the node costs nothing.
func elementwiseRule(op string) (rule, bool) {
	switch op {
	case "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "ThresholdedRelu", "Sigmoid", "HardSigmoid", "HardSwish",
		"Gelu", "Erf", "Tanh", "Softplus", "Softsign", "Mish", "Exp", "Log", "Sin", "Cos", "Tan",
		"Sqrt", "Reciprocal", "Neg", "Abs", "Floor", "Ceil", "Round", "Sign", "Not", "IsNaN", "IsInf",
		"Clip", "Softmax", "LogSoftmax", "Hardmax":
		return rule{kind: kindPerOutput, infer: inferUnary}, true
	case "Add", "Sub", "Mul", "Div", "Pow", "Mod", "PRelu", "Max", "Min", "Sum", "Mean",
		"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "BitShift", "Where":
		return rule{kind: kindPerOutput, infer: inferBroadcast}, true
	}
	return rule{}, false
}

// unaryFold evaluates the unary ops that appear in shape subgraphs.
func unaryFold(op string, f float64) (float64, bool) {
	switch op {
	case "Neg":
		return -f, true
	case "Abs":
		return math.Abs(f), true
	case "Floor":
		return math.Floor(f), true
	case "Ceil":
		return math.Ceil(f), true
	case "Round":
		return math.RoundToEven(f), true
	case "Sqrt":
		return math.Sqrt(f), true
	case "Reciprocal":
		return 1 / f, true
	case "Relu":
		return math.Max(f, 0), true
	case "Sign":
		switch {
		case f > 0:
			return 1, true
		case f < 0:
			return -1, true
		}
		return 0, true
	case "Not":
		return float64(boolInt(f == 0)), true
	}
	return 0, false
}

func inferUnary(n *Node, ins []*value) ([]*value, error) {
	op := n.Proto.GetOpType()
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	out := shaped(x.dtype, x.dims)
	if op == "IsNaN" || op == "IsInf" {
		out.dtype = dtBool
	}
	if !x.isConst {
		return []*value{out}, nil
	}
	if _, ok := unaryFold(op, 0); !ok {
		return []*value{out}, nil
	}
	if x.floats != nil {
		out.floats = make([]float64, len(x.floats))
		for i, f := range x.floats {
			out.floats[i], _ = unaryFold(op, f)
		}
		out.isConst = true
	} else if x.ints != nil && op != "Sqrt" && op != "Reciprocal" {
		out.ints = make([]int64, len(x.ints))
		for i, v := range x.ints {
			if op == "Neg" {
				out.ints[i] = -v
				continue
			}
			f, _ := unaryFold(op, float64(v))
			out.ints[i] = toInt(f)
		}
		out.isConst = true
	}
	return []*value{out}, nil
}

// isCompare reports ops whose output is bool.
func isCompare(op string) bool {
	switch op {
	case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor":
		return true
	}
	return false
}

func inferBroadcast(n *Node, ins []*value) ([]*value, error) {
	op := n.Proto.GetOpType()
	var shapes [][]int64
	present := 0
	for i, v := range ins {
		if v == nil {
			continue
		}
		if v.rank < 0 {
			return nil, fmt.Errorf("input %d has unknown shape", i)
		}
		shapes = append(shapes, v.dims)
		present++
	}
	minIn := 2
	if op == "Where" {
		minIn = 3
	}
	if op == "Max" || op == "Min" || op == "Sum" || op == "Mean" {
		minIn = 1
	}
	if present < minIn || ins[0] == nil || (op == "Where" && (ins[1] == nil || ins[2] == nil)) {
		return nil, fmt.Errorf("%d inputs; %s needs %d", present, op, minIn)
	}
	dims, err := broadcastDims(shapes...)
	if err != nil {
		return nil, err
	}
	dt := ins[0].dtype
	if op == "Where" {
		dt = ins[1].dtype
	}
	if isCompare(op) {
		dt = dtBool
	}
	out := shaped(dt, dims)
	allConst := true
	for _, v := range ins {
		if v != nil && !v.isConst {
			allConst = false
		}
	}
	if !allConst || !foldable(out.elems()) || op == "PRelu" || op == "BitShift" {
		return []*value{out}, nil
	}
	total := out.elems()
	ost := strides(dims)
	operand := func(v *value, flat int64) float64 {
		idx := broadcastIndex(flat, dims, ost, v.dims, strides(v.dims))
		if v.floats != nil {
			return v.floats[idx]
		}
		return float64(v.ints[idx])
	}
	operandInt := func(v *value, flat int64) int64 {
		idx := broadcastIndex(flat, dims, ost, v.dims, strides(v.dims))
		if v.floats != nil {
			return toInt(v.floats[idx])
		}
		return v.ints[idx]
	}
	for _, v := range ins {
		if v != nil && v.elems() != int64(max(len(v.ints), len(v.floats))) {
			return []*value{out}, nil
		}
	}
	floatMode := false
	for _, v := range ins[:min(len(ins), 2)] {
		if v != nil && isFloatVal(v) && op != "Where" {
			floatMode = true
		}
	}
	if op == "Where" {
		floatMode = isFloatVal(ins[1]) || isFloatVal(ins[2])
	}
	if floatMode && !isCompare(op) {
		out.floats = make([]float64, total)
	} else {
		out.ints = make([]int64, total)
	}
	for k := range total {
		if op == "Where" {
			c := operandInt(ins[0], k) != 0
			src := ins[2]
			if c {
				src = ins[1]
			}
			if out.floats != nil {
				out.floats[k] = operand(src, k)
			} else {
				out.ints[k] = operandInt(src, k)
			}
			continue
		}
		if floatMode {
			acc := combine(ins, k, operand, func(x, y float64) float64 { return floatOp(op, x, y) })
			if op == "Mean" {
				acc /= float64(present)
			}
			if out.floats != nil {
				out.floats[k] = acc
			} else {
				out.ints[k] = toInt(acc)
			}
			continue
		}
		acc := combine(ins, k, operandInt, func(x, y int64) int64 { return intOp(op, x, y) })
		if op == "Mean" {
			acc /= int64(present)
		}
		out.ints[k] = acc
	}
	out.isConst = true
	return []*value{out}, nil
}

// combine folds the operands of output element k left to right with f,
// skipping absent inputs; get reads an operand's broadcast element.
func combine[T int64 | float64](ins []*value, k int64, get func(v *value, k int64) T, f func(x, y T) T) T {
	acc := get(ins[0], k)
	for _, v := range ins[1:] {
		if v != nil {
			acc = f(acc, get(v, k))
		}
	}
	return acc
}

// ring applies the operations floats and integers share (Mean sums; its
// division comes after); ok is false for the others.
func ring[T int64 | float64](op string, x, y T) (r T, ok bool) {
	switch op {
	case "Add", "Sum", "Mean":
		return x + y, true
	case "Sub":
		return x - y, true
	case "Mul":
		return x * y, true
	}
	return 0, false
}

// floatOp evaluates a broadcasting op on floats; comparisons give 0 or 1.
func floatOp(op string, x, y float64) float64 {
	if r, ok := ring(op, x, y); ok {
		return r
	}
	switch op {
	case "Div":
		return x / y
	case "Pow":
		return math.Pow(x, y)
	case "Mod":
		return math.Mod(x, y)
	case "Max":
		return math.Max(x, y)
	case "Min":
		return math.Min(x, y)
	case "Equal":
		return float64(boolInt(x == y))
	case "Less":
		return float64(boolInt(x < y))
	case "Greater":
		return float64(boolInt(x > y))
	case "LessOrEqual":
		return float64(boolInt(x <= y))
	case "GreaterOrEqual":
		return float64(boolInt(x >= y))
	case "And":
		return float64(boolInt(x != 0 && y != 0))
	case "Or":
		return float64(boolInt(x != 0 || y != 0))
	case "Xor":
		return float64(boolInt((x != 0) != (y != 0)))
	}
	return math.NaN()
}

// intOp evaluates a broadcasting op on integers: division and Mod by zero
// give 0, Mod takes the divisor's sign, and the rest go through floatOp.
func intOp(op string, x, y int64) int64 {
	if r, ok := ring(op, x, y); ok {
		return r
	}
	switch op {
	case "Div":
		if y == 0 || (x == math.MinInt64 && y == -1) {
			return 0
		}
		return x / y
	case "Mod":
		if y == 0 || y == -1 {
			return 0
		}
		r := x % y
		if r != 0 && (r < 0) != (y < 0) {
			r += y
		}
		return r
	case "Pow":
		return toInt(math.Pow(float64(x), float64(y)))
	case "Max":
		return max(x, y)
	case "Min":
		return min(x, y)
	}
	return toInt(floatOp(op, float64(x), float64(y)))
}
