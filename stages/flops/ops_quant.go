package flops

import "errors"

// quantRule gives the rules of the quantized ops of the default domain. The
// quantized MAC ops count as their float twins on their data inputs, so a
// quantized model has the MACs and FLOPs of its float twin; their MACs are
// also summed apart as IntMACs, and a multiply-accumulate on integers counts
// two operations like a float one. Requantisation inside QLinearConv and
// QLinearMatMul is free. Their integer data inputs (and QLinearConv's int32
// bias) are parameters and their scales and zero points are not, so a
// quantized model also has its float twin's parameters.
func quantRule(op string) (rule, bool) {
	switch op {
	case "QLinearConv": // x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias
		return rule{kind: kindMAC, infer: inferQuantized, count: countConv(3, 8, false), conv: true, integer: true, quant: dataAt(0, 3, 8)}, true
	case "ConvInteger": // x, w, x_zp, w_zp; no bias
		return rule{kind: kindMAC, infer: inferQuantized, count: countConv(1, -1, false), conv: true, integer: true, quant: dataAt(0, 1)}, true
	case "QLinearMatMul": // a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp
		return rule{kind: kindMAC, infer: inferQuantized, count: countMatMul(3), integer: true, quant: dataAt(0, 3)}, true
	case "MatMulInteger": // a, b, a_zp, b_zp
		return rule{kind: kindMAC, infer: inferQuantized, count: countMatMul(1), integer: true, quant: dataAt(0, 1)}, true
	case "QuantizeLinear":
		// One FLOP per element of its quantized output. Its float input is an
		// activation, not stored data; its scale and zero point are not parameters.
		return rule{kind: kindPerOutput, infer: inferQuantized, quant: func(j int) quantRole {
			if j == 0 {
				return quantNone
			}
			return quantScale
		}}, true
	case "DequantizeLinear":
		// One FLOP per output element; its integer input 0 is the weight of a
		// model that stores quantized weights, so it is a parameter.
		return rule{kind: kindPerOutput, infer: inferQuantized, quant: dataAt(0)}, true
	case "DynamicQuantizeLinear":
		// One FLOP per element of its quantized output; its scale and zero
		// point outputs are free.
		return rule{kind: kindPerOutput, infer: inferQuantized}, true
	}
	return rule{}, false
}

// microsoft is the domain of ONNX Runtime's contrib ops.
const microsoft = "com.microsoft"

// microsoftRule gives the rules of the com.microsoft quantized ops ONNX
// Runtime's quantizer writes in QOperator models; other ops of the domain
// are unknown. Each takes its float twin's shape rule and cost on its data
// inputs, whose initializers are parameters; scales and zero points are not.
func microsoftRule(op string) (rule, bool) {
	switch op {
	case "QGemm": // A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale, y_zp: Gemm's MACs, on integers
		return rule{kind: kindMAC, infer: inferQGemm, count: countGemm(6), integer: true, quant: dataAt(0, 3, 6)}, true
	case "QLinearAdd", "QLinearMul": // A, A_scale, A_zp, B, B_scale, B_zp, C_scale, C_zp: one FLOP per output element
		return rule{kind: kindPerOutput, infer: inferQLinearBinary, quant: dataAt(0, 3)}, true
	case "QLinearSigmoid", "QLinearLeakyRelu", "QLinearSoftmax": // one FLOP per output element
		return rule{kind: kindPerOutput, infer: inferQLinearUnary, quant: dataAt(0)}, true
	case "QLinearGlobalAveragePool": // one FLOP per output element
		return rule{kind: kindPerOutput, infer: inferQLinearGlobalAveragePool, quant: dataAt(0)}, true
	case "QLinearAveragePool": // one FLOP per output element
		return rule{kind: kindPerOutput, infer: inferQLinearAveragePool, quant: dataAt(0)}, true
	case "QLinearConcat": // Y_scale, Y_zp, then (X, X_scale, X_zp) per input: free like Concat
		return rule{kind: kindFree, infer: inferQLinearConcat, quant: func(j int) quantRole {
			if j >= 2 && (j-2)%3 == 0 {
				return quantWeight
			}
			return quantScale
		}}, true
	}
	return rule{}, false
}

// inferQLinearBinary broadcasts QLinearAdd's or QLinearMul's data inputs 0 and 3.
func inferQLinearBinary(_ *Node, ins []*value) ([]*value, error) {
	x, y, err := need2(ins, 0, 3)
	if err != nil {
		return nil, err
	}
	dims, err := broadcastDims(x.dims, y.dims)
	if err != nil {
		return nil, err
	}
	return []*value{shaped(x.dtype, dims)}, nil
}

// inferQLinearUnary keeps the shape and type of input 0.
func inferQLinearUnary(_ *Node, ins []*value) ([]*value, error) {
	x, err := need(ins, 0)
	if err != nil {
		return nil, err
	}
	return []*value{shaped(x.dtype, x.dims)}, nil
}

// inferQLinearGlobalAveragePool makes every spatial dim 1, channels first
// or, with channels_last, channels last.
func inferQLinearGlobalAveragePool(n *Node, ins []*value) ([]*value, error) {
	return globalPool(ins, 3, (attrs{n}).int("channels_last", 0) != 0)
}

// inferQLinearAveragePool takes AveragePool's rule on input 0; channels_last
// pooling is not inferred.
func inferQLinearAveragePool(n *Node, ins []*value) ([]*value, error) {
	if (attrs{n}).int("channels_last", 0) != 0 {
		return nil, errors.New("channels_last pooling is not inferred")
	}
	outs, err := inferPool(n, ins[:min(len(ins), 1)])
	if err != nil {
		return nil, err
	}
	return outs[:1], nil
}

// inferQLinearConcat concatenates the data inputs (2, 5, 8, …) like Concat.
func inferQLinearConcat(n *Node, ins []*value) ([]*value, error) {
	var data []*value
	for i := 2; i < len(ins); i += 3 {
		data = append(data, ins[i])
	}
	return inferConcat(n, data)
}

// inferQGemm takes Gemm's rule on inputs 0 and 3; the output is float
// without y_scale, else of y_zero_point's type (uint8 when absent).
func inferQGemm(n *Node, ins []*value) ([]*value, error) {
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
func inferQuantized(n *Node, ins []*value) ([]*value, error) {
	op := n.Proto.GetOpType()
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
		outs, err = inferMatMul(n, []*value{in(ins, 0), in(ins, quantWeightInput(op))})
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

// quantizedTensors classifies the initializers quantized ops read by their
// rules' quant: weights holds the integer data a quantized model stores in
// place of float weights, which count as parameters; scales holds the scales
// and zero points of every quantized op, which do not, so a quantized model
// has as many parameters as its float twin.
func quantizedTensors(g *Graph) (weights, scales map[string]bool) {
	weights, scales = map[string]bool{}, map[string]bool{}
	for _, n := range g.Nodes {
		r, ok := ruleOf(n)
		if !ok || r.quant == nil {
			continue
		}
		for j, name := range n.Proto.GetInput() {
			if name == "" {
				continue
			}
			switch r.quant(j) {
			case quantWeight:
				weights[name] = true
			case quantScale:
				scales[name] = true
			}
		}
	}
	return weights, scales
}
