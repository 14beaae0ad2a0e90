package flops

import (
	"errors"
	"fmt"
	"math"

	"github.com/dnnbench/dnnbench/internal/onnxgraph"
)

// errUnknownOp reports an op type inference has no rule for.
var errUnknownOp = errors.New("unknown op")

// in returns input i, or nil when absent.
func in(ins []*value, i int) *value {
	if i < len(ins) {
		return ins[i]
	}
	return nil
}

// need returns input i or an error naming it when it is absent or has unknown rank.
func need(ins []*value, i int) (*value, error) {
	v := in(ins, i)
	if v == nil {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	if v.rank < 0 {
		return nil, fmt.Errorf("input %d has unknown shape", i)
	}
	return v, nil
}

// intsFrom returns integer values from input i when present and constant,
// else from attribute name. present is false when neither gives them.
func intsFrom(n *Node, ins []*value, i int, name string) (vals []int64, present bool, err error) {
	if v := in(ins, i); v != nil {
		ints, ok := v.constInts()
		if !ok {
			return nil, true, fmt.Errorf("input %d (%s) is not a constant", i, name)
		}
		return ints, true, nil
	}
	if a, ok := (attrs{n}).ints(name); ok {
		return a, true, nil
	}
	return nil, false, nil
}

// inferNode computes the output values of one node from its input values.
func inferNode(n *Node, ins []*value, opset int64) ([]*value, error) {
	a := attrs{n}
	if d := n.Proto.GetDomain(); d == microsoft {
		return inferMicrosoft(n, ins)
	} else if d != "" && d != "ai.onnx" {
		return nil, fmt.Errorf("%w %s", errUnknownOp, n.OpType())
	}
	op := n.Proto.GetOpType()
	switch op {
	case "Constant":
		return inferConstant(n)
	case "Identity", "Dropout":
		x, err := need(ins, 0)
		if err != nil {
			return nil, err
		}
		out := *x
		out.stored = false
		mask := shaped(dtBool, x.dims)
		mask.rank = x.rank
		return []*value{&out, mask}, nil
	case "Cast", "CastLike":
		return inferCast(n, ins, op)
	case "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "ThresholdedRelu", "Sigmoid", "HardSigmoid", "HardSwish",
		"Gelu", "Erf", "Tanh", "Softplus", "Softsign", "Mish", "Exp", "Log", "Sin", "Cos", "Tan",
		"Sqrt", "Reciprocal", "Neg", "Abs", "Floor", "Ceil", "Round", "Sign", "Not", "IsNaN", "IsInf",
		"Clip", "Softmax", "LogSoftmax", "Hardmax", "LRN", "InstanceNormalization", "MeanVarianceNormalization":
		return inferUnary(n, ins, op)
	case "Add", "Sub", "Mul", "Div", "Pow", "Mod", "PRelu", "Max", "Min", "Sum", "Mean",
		"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "BitShift", "Where":
		return inferBroadcast(n, ins, op)
	case "BatchNormalization":
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
	case "LayerNormalization":
		x, err := need(ins, 0)
		if err != nil {
			return nil, err
		}
		axis, err := normAxis(a.int("axis", -1), x.rank)
		if err != nil {
			return nil, err
		}
		stat := append([]int64{}, x.dims...)
		for i := axis; i < len(stat); i++ {
			stat[i] = 1
		}
		return []*value{shaped(x.dtype, x.dims), shaped(dtFloat, stat), shaped(dtFloat, stat)}, nil
	case "Conv":
		return inferConv(n, ins)
	case "ConvTranspose":
		return inferConvTranspose(n, ins)
	case "MaxPool", "AveragePool", "LpPool":
		return inferPool(n, ins)
	case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool":
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
	case "Gemm":
		return inferGemm(n, ins)
	case "MatMul":
		return inferMatMul(ins)
	case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
		"ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare":
		return inferReduce(n, ins, op, opset)
	case "ArgMax", "ArgMin":
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
	case "Concat":
		return inferConcat(n, ins)
	case "Split":
		return inferSplit(n, ins)
	case "Flatten":
		return inferFlatten(n, ins)
	case "Reshape":
		return inferReshape(n, ins)
	case "Transpose":
		return inferTranspose(n, ins)
	case "Squeeze":
		return inferSqueeze(n, ins)
	case "Unsqueeze":
		return inferUnsqueeze(n, ins)
	case "Pad":
		return inferPad(n, ins)
	case "Shape":
		return inferShape(n, ins)
	case "Size":
		x, err := need(ins, 0)
		if err != nil {
			return nil, err
		}
		if e := x.elems(); e >= 0 {
			return []*value{withInts(dtInt64, nil, []int64{e})}, nil
		}
		return []*value{shaped(dtInt64, nil)}, nil
	case "Gather":
		return inferGather(n, ins)
	case "Slice":
		return inferSlice(n, ins)
	case "Expand":
		return inferExpand(ins)
	case "Tile":
		return inferTile(ins)
	case "ConstantOfShape":
		return inferConstantOfShape(n, ins)
	case "Range":
		return inferRange(ins)
	case "Resize", "Upsample":
		return inferResize(n, ins, op)
	case "QLinearConv", "ConvInteger", "QLinearMatMul", "MatMulInteger",
		"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear":
		return inferQuantized(n, ins, op)
	}
	return nil, fmt.Errorf("%w %s", errUnknownOp, op)
}

// microsoft is the domain of ONNX Runtime's contrib ops.
const microsoft = "com.microsoft"

// inferMicrosoft infers the com.microsoft quantized ops ONNX Runtime's
// quantizer writes in QOperator models; other ops of the domain are unknown.
func inferMicrosoft(n *Node, ins []*value) ([]*value, error) {
	op := n.Proto.GetOpType()
	channelsLast := (attrs{n}).int("channels_last", 0) != 0
	switch op {
	case "QLinearAdd", "QLinearMul": // A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp
		x, err := need(ins, 0)
		if err != nil {
			return nil, err
		}
		y, err := need(ins, 3)
		if err != nil {
			return nil, err
		}
		dims, err := broadcastDims(x.dims, y.dims)
		if err != nil {
			return nil, err
		}
		return []*value{shaped(x.dtype, dims)}, nil
	case "QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax":
		x, err := need(ins, 0)
		if err != nil {
			return nil, err
		}
		return []*value{shaped(x.dtype, x.dims)}, nil
	case "QLinearGlobalAveragePool":
		x, err := need(ins, 0)
		if err != nil {
			return nil, err
		}
		if x.rank < 3 {
			return nil, fmt.Errorf("input rank %d is below 3", x.rank)
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
	case "QLinearAveragePool":
		if channelsLast {
			return nil, errors.New("channels_last pooling is not inferred")
		}
		outs, err := inferPool(n, ins[:min(len(ins), 1)])
		if err != nil {
			return nil, err
		}
		return outs[:1], nil
	case "QLinearConcat": // Y_scale, Y_zp, then (X, X_scale, X_zp) per input
		var data []*value
		for i := 2; i < len(ins); i += 3 {
			data = append(data, ins[i])
		}
		return inferConcat(n, data)
	case "QGemm": // A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp
		outs, err := inferGemm(n, []*value{in(ins, 0), in(ins, 3)})
		if err != nil {
			return nil, err
		}
		outs[0].dtype = dtFloat // float output without y_scale
		if in(ins, 7) != nil {
			outs[0].dtype = dtUint8
			if zp := in(ins, 8); zp != nil && zp.dtype != 0 {
				outs[0].dtype = zp.dtype
			}
		}
		return outs, nil
	}
	return nil, fmt.Errorf("%w %s", errUnknownOp, n.OpType())
}

// quantWeightInput is the input index of a quantized MAC op's weight (or
// second matrix): QLinearConv and QLinearMatMul interleave scales and zero
// points with the data, ConvInteger and MatMulInteger put them last.
func quantWeightInput(op string) int {
	if op == "QLinearConv" || op == "QLinearMatMul" || op == "QGemm" {
		return 3
	}
	return 1
}

// inferQuantized infers the quantized ops: the MAC ops take their float
// twin's shape rule on their data inputs; QuantizeLinear and
// DequantizeLinear keep the input's shape.
func inferQuantized(n *Node, ins []*value, op string) ([]*value, error) {
	// dtypeOf is the element type of input i, or def when it is absent.
	dtypeOf := func(i int, def int32) int32 {
		if v := in(ins, i); v != nil && v.dtype != 0 {
			return v.dtype
		}
		return def
	}
	var outs []*value
	var err error
	switch op {
	case "QLinearConv", "ConvInteger":
		outs, err = inferConv(n, []*value{in(ins, 0), in(ins, quantWeightInput(op))})
	case "QLinearMatMul", "MatMulInteger":
		outs, err = inferMatMul([]*value{in(ins, 0), in(ins, quantWeightInput(op))})
	case "QuantizeLinear":
		x, err := need(ins, 0)
		if err != nil {
			return nil, err
		}
		dt := dtypeOf(2, dtUint8)
		if to := (attrs{n}).int("output_dtype", 0); to != 0 {
			dt = int32(to)
		}
		return []*value{shaped(dt, x.dims)}, nil
	case "DequantizeLinear":
		x, err := need(ins, 0)
		if err != nil {
			return nil, err
		}
		return []*value{shaped(dtypeOf(1, dtFloat), x.dims)}, nil
	case "DynamicQuantizeLinear":
		x, err := need(ins, 0)
		if err != nil {
			return nil, err
		}
		return []*value{shaped(dtUint8, x.dims), shaped(dtFloat, nil), shaped(dtUint8, nil)}, nil
	}
	if err != nil {
		return nil, err
	}
	dt := int32(dtInt32) // ConvInteger and MatMulInteger accumulate in int32
	if op == "QLinearConv" || op == "QLinearMatMul" {
		dt = dtypeOf(quantWeightInput(op)+4, dtUint8) // y_zero_point's type
	}
	outs[0].dtype = dt
	return outs, nil
}

func inferConstant(n *Node) ([]*value, error) {
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

func inferCast(n *Node, ins []*value, op string) ([]*value, error) {
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

func inferUnary(n *Node, ins []*value, op string) ([]*value, error) {
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

func inferBroadcast(n *Node, ins []*value, op string) ([]*value, error) {
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
			acc := operand(ins[0], k)
			for _, v := range ins[1:] {
				if v == nil {
					continue
				}
				acc = floatOp(op, acc, operand(v, k))
			}
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
		acc := operandInt(ins[0], k)
		for _, v := range ins[1:] {
			if v == nil {
				continue
			}
			acc = intOp(op, acc, operandInt(v, k))
		}
		if op == "Mean" {
			acc /= int64(present)
		}
		out.ints[k] = acc
	}
	out.isConst = true
	return []*value{out}, nil
}

func floatOp(op string, x, y float64) float64 {
	switch op {
	case "Add", "Sum", "Mean":
		return x + y
	case "Sub":
		return x - y
	case "Mul":
		return x * y
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

func intOp(op string, x, y int64) int64 {
	switch op {
	case "Add", "Sum", "Mean":
		return x + y
	case "Sub":
		return x - y
	case "Mul":
		return x * y
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

// convGeometry holds the spatial parameters shared by Conv, ConvTranspose and pools.
type convGeometry struct {
	kernel, strides, dilations, pads []int64
	autoPad                          string
}

func geometry(n *Node, spatial int, kernel []int64) (convGeometry, error) {
	a := attrs{n}
	g := convGeometry{kernel: kernel, autoPad: a.str("auto_pad", "NOTSET")}
	if len(g.kernel) != spatial {
		return g, fmt.Errorf("kernel %v does not match %d spatial dims", g.kernel, spatial)
	}
	ones := func() []int64 {
		s := make([]int64, spatial)
		for i := range s {
			s[i] = 1
		}
		return s
	}
	g.strides, g.dilations, g.pads = ones(), ones(), make([]int64, 2*spatial)
	if s, ok := a.ints("strides"); ok && len(s) > 0 {
		g.strides = s
	}
	if d, ok := a.ints("dilations"); ok && len(d) > 0 {
		g.dilations = d
	}
	if p, ok := a.ints("pads"); ok && len(p) > 0 {
		g.pads = p
	}
	if len(g.strides) != spatial || len(g.dilations) != spatial || len(g.pads) != 2*spatial {
		return g, fmt.Errorf("strides %v, dilations %v or pads %v do not match %d spatial dims", g.strides, g.dilations, g.pads, spatial)
	}
	for i := range spatial {
		if g.strides[i] < 1 || g.dilations[i] < 1 || g.kernel[i] < 1 || g.pads[i] < 0 || g.pads[i+spatial] < 0 {
			return g, fmt.Errorf("kernel %v, strides %v, dilations %v or pads %v out of range", g.kernel, g.strides, g.dilations, g.pads)
		}
	}
	return g, nil
}

// outDim is the output length of a sliding window along one axis.
func (g convGeometry) outDim(i int, in int64, ceil bool) (int64, error) {
	if in < 0 {
		return -1, nil
	}
	s := g.strides[i]
	switch g.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		return (in + s - 1) / s, nil
	case "VALID":
		eff := (g.kernel[i]-1)*g.dilations[i] + 1
		if in < eff {
			return 0, fmt.Errorf("input %d is smaller than the kernel extent %d", in, eff)
		}
		return (in-eff)/s + 1, nil
	case "NOTSET", "":
	default:
		return 0, fmt.Errorf("auto_pad %q is not NOTSET, SAME_UPPER, SAME_LOWER or VALID", g.autoPad)
	}
	eff := (g.kernel[i]-1)*g.dilations[i] + 1
	span := in + g.pads[i] + g.pads[i+len(g.kernel)] - eff
	if span < 0 {
		return 0, fmt.Errorf("input %d plus padding is smaller than the kernel extent %d", in, eff)
	}
	out := span/s + 1
	if ceil && span%s != 0 {
		out++
		// The last window must start inside the input or its left padding.
		if (out-1)*s >= in+g.pads[i] {
			out--
		}
	}
	return out, nil
}

func inferConv(n *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	w, err := need(ins, 1)
	if err != nil {
		return nil, err
	}
	if x.rank < 3 || w.rank != x.rank {
		return nil, fmt.Errorf("input rank %d and weight rank %d: need equal ranks of at least 3", x.rank, w.rank)
	}
	spatial := x.rank - 2
	kernel := w.dims[2:]
	if k, ok := (attrs{n}).ints("kernel_shape"); ok && len(k) > 0 {
		kernel = k
	}
	g, err := geometry(n, spatial, kernel)
	if err != nil {
		return nil, err
	}
	group := attrs{n}.int("group", 1)
	if group < 1 {
		return nil, fmt.Errorf("group %d must be at least 1", group)
	}
	if x.dims[1] >= 0 && w.dims[1] >= 0 && x.dims[1] != w.dims[1]*group {
		return nil, fmt.Errorf("input has %d channels; weight %v with group %d needs %d", x.dims[1], w.dims, group, w.dims[1]*group)
	}
	dims := []int64{x.dims[0], w.dims[0]}
	for i := range spatial {
		d, err := g.outDim(i, x.dims[2+i], false)
		if err != nil {
			return nil, err
		}
		dims = append(dims, d)
	}
	return []*value{shaped(x.dtype, dims)}, nil
}

func inferConvTranspose(n *Node, ins []*value) ([]*value, error) {
	a := attrs{n}
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	w, err := need(ins, 1)
	if err != nil {
		return nil, err
	}
	if x.rank < 3 || w.rank != x.rank {
		return nil, fmt.Errorf("input rank %d and weight rank %d: need equal ranks of at least 3", x.rank, w.rank)
	}
	spatial := x.rank - 2
	kernel := w.dims[2:]
	if k, ok := a.ints("kernel_shape"); ok && len(k) > 0 {
		kernel = k
	}
	g, err := geometry(n, spatial, kernel)
	if err != nil {
		return nil, err
	}
	group := a.int("group", 1)
	if group < 1 {
		return nil, fmt.Errorf("group %d must be at least 1", group)
	}
	outPad := make([]int64, spatial)
	if p, ok := a.ints("output_padding"); ok && len(p) == spatial {
		outPad = p
	}
	dims := []int64{x.dims[0], mulSat(w.dims[1], group)}
	if w.dims[1] < 0 {
		dims[1] = -1
	}
	if os, ok := a.ints("output_shape"); ok && len(os) > 0 {
		if len(os) == x.rank {
			os = os[2:]
		}
		if len(os) != spatial {
			return nil, fmt.Errorf("output_shape %v does not match %d spatial dims", os, spatial)
		}
		return []*value{shaped(x.dtype, append(dims, os...))}, nil
	}
	for i := range spatial {
		in := x.dims[2+i]
		if in < 0 {
			dims = append(dims, -1)
			continue
		}
		var d int64
		switch g.autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			d = in * g.strides[i]
		default:
			d = g.strides[i]*(in-1) + outPad[i] + (kernel[i]-1)*g.dilations[i] + 1
			if g.autoPad != "VALID" {
				d -= g.pads[i] + g.pads[i+spatial]
			}
		}
		if d < 0 {
			return nil, fmt.Errorf("negative output length %d", d)
		}
		dims = append(dims, d)
	}
	return []*value{shaped(x.dtype, dims)}, nil
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

func inferGemm(n *Node, ins []*value) ([]*value, error) {
	a := attrs{n}
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	w, err := need(ins, 1)
	if err != nil {
		return nil, err
	}
	if x.rank != 2 || w.rank != 2 {
		return nil, fmt.Errorf("input ranks %d and %d: Gemm needs 2-D inputs", x.rank, w.rank)
	}
	m, k := x.dims[0], x.dims[1]
	if a.int("transA", 0) != 0 {
		m, k = k, m
	}
	k2, nn := w.dims[0], w.dims[1]
	if a.int("transB", 0) != 0 {
		k2, nn = nn, k2
	}
	if k >= 0 && k2 >= 0 && k != k2 {
		return nil, fmt.Errorf("inner dims %d and %d differ", k, k2)
	}
	return []*value{shaped(x.dtype, []int64{m, nn})}, nil
}

// matmulShape returns the output dims and M, K, N of numpy matmul.
func matmulShape(a, b []int64) (dims []int64, batch []int64, m, k, n int64, err error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, nil, 0, 0, 0, errors.New("MatMul inputs must not be scalars")
	}
	a1, b1 := len(a) == 1, len(b) == 1
	if a1 {
		a = []int64{1, a[0]}
	}
	if b1 {
		b = []int64{b[0], 1}
	}
	m, k = a[len(a)-2], a[len(a)-1]
	k2 := b[len(b)-2]
	n = b[len(b)-1]
	if k >= 0 && k2 >= 0 && k != k2 {
		return nil, nil, 0, 0, 0, fmt.Errorf("inner dims %d and %d differ", k, k2)
	}
	if k < 0 {
		k = k2
	}
	batch, err = broadcastDims(a[:len(a)-2], b[:len(b)-2])
	if err != nil {
		return nil, nil, 0, 0, 0, err
	}
	dims = append([]int64{}, batch...)
	if !a1 {
		dims = append(dims, m)
	}
	if !b1 {
		dims = append(dims, n)
	}
	return dims, batch, m, k, n, nil
}

func inferMatMul(ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	w, err := need(ins, 1)
	if err != nil {
		return nil, err
	}
	dims, _, _, _, _, err := matmulShape(x.dims, w.dims)
	if err != nil {
		return nil, err
	}
	return []*value{shaped(x.dtype, dims)}, nil
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

func inferReduce(n *Node, ins []*value, op string, opset int64) ([]*value, error) {
	a := attrs{n}
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	// Axes are an attribute before opset 18 (ReduceSum: 13) and an input after;
	// either form is accepted whatever the declared opset.
	_ = opset
	axes, present, err := intsFrom(n, ins, 1, "axes")
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
