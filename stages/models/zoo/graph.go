// Package zoo builds image-classification architectures as ONNX graphs with
// random weights: exact in parameters, FLOPs, memory and time, never in
// accuracy. Each family lives in its own file, composed from the small layer
// vocabulary of Graph (conv, bn, activations, pooling, linear, concat, add,
// squeeze-excitation, …).
//
// Graphs use opset 17, a dynamic batch axis, input "input" of shape
// N×3×H×W and output "logits" of shape N×1000. BatchNormalization stays a
// separate node, so parameter counts match the original networks; ONNX
// Runtime fuses it at load.
package zoo

import (
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// Opset is the ONNX opset the zoo emits.
const Opset = 17

// Tensor is a value in the graph. Shape excludes the batch dimension.
type Tensor struct {
	Name  string
	Shape []int64
}

// C, H and W read the channel and spatial sizes of an image tensor.
func (t Tensor) C() int64 { return t.Shape[0] }
func (t Tensor) H() int64 { return t.Shape[1] }
func (t Tensor) W() int64 { return t.Shape[2] }

// InitKind says how an initializer's values are drawn.
type InitKind int

// Initializer kinds.
const (
	// InitUniform draws from U(-Scale, Scale).
	InitUniform InitKind = iota
	// InitConst fills with Scale.
	InitConst
	// InitData holds the given float32 values.
	InitData
	// InitInt64 holds the given int64 values (shape constants; not parameters).
	InitInt64
)

// initializer is a weight or constant written at serialisation time, so the
// graph itself stays small however many parameters it has.
type initializer struct {
	name  string
	dims  []int64
	kind  InitKind
	scale float32
	data  []float32
	ints  []int64
	// stat marks BatchNormalization running mean/var: not parameters.
	stat bool
}

func (in *initializer) elems() int64 {
	n := int64(1)
	for _, d := range in.dims {
		n *= d
	}
	return n
}

// Graph accumulates nodes and initializers for one model.
type Graph struct {
	nodes  []*onnx.NodeProto
	inits  []*initializer
	count  map[string]int
	consts map[string]Tensor
	input  Tensor
	macs   int64
}

// MACs is the multiply-accumulate count at batch 1 of the convolutions and
// matrix products added so far (a builder-side check; the flops stage counts
// from the written file).
func (g *Graph) MACs() int64 { return g.macs }

// AddMACs records MACs of a node added with Node directly (e.g. attention MatMuls).
func (g *Graph) AddMACs(n int64) { g.macs += n }

// NewGraph starts a graph whose input is N×c×h×w.
func NewGraph(c, h, w int64) *Graph {
	g := &Graph{count: map[string]int{}, consts: map[string]Tensor{}}
	g.input = Tensor{Name: "input", Shape: []int64{c, h, w}}
	return g
}

// Input is the graph's image input.
func (g *Graph) Input() Tensor { return g.input }

// Params counts parameter elements: float initializers except
// BatchNormalization running statistics.
func (g *Graph) Params() int64 {
	var n int64
	for _, in := range g.inits {
		if in.kind != InitInt64 && !in.stat {
			n += in.elems()
		}
	}
	return n
}

// name returns a fresh name with the given prefix.
func (g *Graph) name(prefix string) string {
	g.count[prefix]++
	return fmt.Sprintf("%s_%d", prefix, g.count[prefix])
}

// Param adds a float initializer with values drawn by kind.
func (g *Graph) Param(prefix string, dims []int64, kind InitKind, scale float32) Tensor {
	in := &initializer{name: g.name(prefix), dims: append([]int64(nil), dims...), kind: kind, scale: scale}
	g.inits = append(g.inits, in)
	return Tensor{Name: in.name, Shape: in.dims}
}

// Weight adds a weight with fan-in scaled uniform values (He/Kaiming
// uniform: bound sqrt(6/fanIn)), small and finite.
func (g *Graph) Weight(prefix string, dims []int64, fanIn int64) Tensor {
	return g.Param(prefix, dims, InitUniform, float32(math.Sqrt(6/float64(fanIn))))
}

// Ints adds an int64 constant initializer (not a parameter), shared by value.
func (g *Graph) Ints(vals ...int64) Tensor {
	key := fmt.Sprint("i", vals)
	if t, ok := g.consts[key]; ok {
		return t
	}
	in := &initializer{name: g.name("const"), dims: []int64{int64(len(vals))}, kind: InitInt64, ints: append([]int64(nil), vals...)}
	g.inits = append(g.inits, in)
	t := Tensor{Name: in.name, Shape: in.dims}
	g.consts[key] = t
	return t
}

// Scalar adds a float scalar constant through a Constant node, so it is not
// counted as a parameter; shared by value.
func (g *Graph) Scalar(v float32) Tensor {
	key := fmt.Sprint("f", v)
	if t, ok := g.consts[key]; ok {
		return t
	}
	out := g.name("scalar")
	g.nodes = append(g.nodes, &onnx.NodeProto{OpType: "Constant", Name: out, Output: []string{out},
		Attribute: []*onnx.AttributeProto{{Name: "value", Type: onnx.AttributeProto_TENSOR,
			T: &onnx.TensorProto{DataType: int32(onnx.TensorProto_FLOAT), FloatData: []float32{v}}}}})
	t := Tensor{Name: out, Shape: nil}
	g.consts[key] = t
	return t
}

// Node appends a node with the given inputs and returns its output, whose
// shape (without batch) the caller states.
func (g *Graph) Node(op string, in []Tensor, shape []int64, attrs ...*onnx.AttributeProto) Tensor {
	out := g.name(op)
	names := make([]string, len(in))
	for i, t := range in {
		names[i] = t.Name
	}
	g.nodes = append(g.nodes, &onnx.NodeProto{OpType: op, Name: out, Input: names, Output: []string{out}, Attribute: attrs})
	return Tensor{Name: out, Shape: append([]int64(nil), shape...)}
}

// NodeN appends a node with n outputs.
func (g *Graph) NodeN(op string, in []Tensor, shapes [][]int64, attrs ...*onnx.AttributeProto) []Tensor {
	base := g.name(op)
	names := make([]string, len(in))
	for i, t := range in {
		names[i] = t.Name
	}
	outs := make([]Tensor, len(shapes))
	outNames := make([]string, len(shapes))
	for i, s := range shapes {
		outNames[i] = fmt.Sprintf("%s_o%d", base, i)
		outs[i] = Tensor{Name: outNames[i], Shape: append([]int64(nil), s...)}
	}
	g.nodes = append(g.nodes, &onnx.NodeProto{OpType: op, Name: base, Input: names, Output: outNames, Attribute: attrs})
	return outs
}

// AttrInt, AttrInts, AttrFloat and AttrString build node attributes.
func AttrInt(name string, v int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INT, I: v}
}
func AttrInts(name string, v ...int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INTS, Ints: append([]int64(nil), v...)}
}
func AttrFloat(name string, v float32) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_FLOAT, F: v}
}
func AttrString(name, v string) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_STRING, S: []byte(v)}
}
