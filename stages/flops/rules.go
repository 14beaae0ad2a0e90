package flops

import (
	"errors"
	"fmt"
	"slices"
)

// Each op family's counting rules live in a file of their own, each rule
// next to the sentence that says what it counts and why: ops_conv.go
// (convolutions), ops_matmul.go (Gemm and MatMul), ops_pool.go (pooling),
// ops_norm.go (normalisation), ops_elementwise.go (activations and
// elementwise arithmetic), ops_reduce.go (reductions), ops_resize.go
// (resampling), ops_shape.go (data movement and shape ops) and ops_quant.go
// (quantized ops, ONNX Runtime's com.microsoft ones included). A
// multiply-accumulate counts as two FLOPs throughout, a multiply and an
// add. Every other counted op costs one FLOP per element of its first
// output, whatever its arithmetic per element: a convention that does not
// depend on how a kernel computes the op, and one that moves totals little,
// since in every network the zoo builds these ops make up under 3% of the
// FLOPs.

// opKind says how an op type is counted.
type opKind int

const (
	kindUnknown   opKind = iota // not counted: listed in unknown_ops
	kindMAC                     // Conv, ConvTranspose, Gemm, MatMul and their quantized forms: 2 FLOPs per MAC
	kindPerOutput               // one FLOP per output element
	kindFree                    // data movement and shape ops: zero FLOPs
)

// quantRole is what one input of a quantized op holds, which decides
// whether an initializer fed to it is a parameter.
type quantRole int

const (
	quantNone   quantRole = iota // neither: e.g. QuantizeLinear's float input
	quantWeight                  // integer data stored in place of float weights: a parameter
	quantScale                   // a scale or zero point: not a parameter
)

// rule is how one op type's outputs are inferred and its work counted.
type rule struct {
	kind opKind
	// infer computes the node's output values from its input values.
	infer func(n *Node, ins []*value) ([]*value, error)
	// count returns a kindMAC op's MACs and FLOPs, given the element count
	// of its output 0; nil for the other kinds, which cost one FLOP per
	// output element (kindPerOutput) or none (kindFree).
	count func(o operands, outElems int64) (macs, flops int64, err error)
	// conv marks the convolutions, whose MACs are also PaperMACs.
	conv bool
	// integer marks the ops whose MACs are done on integers (IntMACs).
	integer bool
	// quant classifies a quantized op's inputs; nil for other ops.
	quant func(input int) quantRole
}

// errUnknownOp reports an op type inference has no rule for.
var errUnknownOp = errors.New("unknown op")

// ruleOf finds the rule of a node's op type: in the default domain by op
// family, in com.microsoft among ONNX Runtime's quantized ops. ok is false
// for an unknown op, which is listed in unknown_ops and counts zero.
func ruleOf(n *Node) (r rule, ok bool) {
	op := n.Proto.GetOpType()
	switch d := n.Proto.GetDomain(); {
	case d == microsoft:
		return microsoftRule(op)
	case d != "" && d != "ai.onnx":
		return rule{}, false
	}
	for _, family := range [...]func(op string) (rule, bool){
		convRule, matmulRule, poolRule, normRule, elementwiseRule, reduceRule, resizeRule, shapeRule, quantRule,
	} {
		if r, ok := family(op); ok {
			return r, true
		}
	}
	return rule{}, false
}

// inferNode computes the output values of one node from its input values.
func inferNode(n *Node, ins []*value) ([]*value, error) {
	r, ok := ruleOf(n)
	if !ok {
		return nil, fmt.Errorf("%w %s", errUnknownOp, n.OpType())
	}
	return r.infer(n, ins)
}

// countNode returns the MACs and FLOPs of one node of a counted kind.
func countNode(n *Node, r rule, inf *Inference) (macs, flops int64, err error) {
	o := operands{n: n, inf: inf}
	out, err := o.output(0)
	if err != nil {
		return 0, 0, err
	}
	if r.count == nil {
		return 0, out.elems(), nil
	}
	return r.count(o, out.elems())
}

// operands gives the counting rules a node's inferred inputs and outputs.
type operands struct {
	n   *Node
	inf *Inference
}

// input returns input i, or an error when it is absent or its shape is unknown.
func (o operands) input(i int) (*value, error) {
	return o.get(o.n.Proto.GetInput(), i, "input")
}

// output returns output i, or an error when it is absent or its shape is unknown.
func (o operands) output(i int) (*value, error) {
	return o.get(o.n.Proto.GetOutput(), i, "output")
}

func (o operands) get(names []string, i int, what string) (*value, error) {
	if i >= len(names) || names[i] == "" {
		return nil, fmt.Errorf("%s %d is missing", what, i)
	}
	v := o.inf.values[names[i]]
	if !v.known() {
		return nil, fmt.Errorf("%s %d has unknown shape", what, i)
	}
	return v, nil
}

// has reports whether input i is present; i < 0 never is.
func (o operands) has(i int) bool {
	ins := o.n.Proto.GetInput()
	return i >= 0 && i < len(ins) && ins[i] != ""
}

// dataAt returns a quant classifier under which the inputs at idx hold
// integer data and every other input a scale or zero point.
func dataAt(idx ...int) func(int) quantRole {
	return func(j int) quantRole {
		if slices.Contains(idx, j) {
			return quantWeight
		}
		return quantScale
	}
}

// isKnown reports whether a node's op type has a rule.
func isKnown(n *Node) bool {
	_, ok := ruleOf(n)
	return ok
}
