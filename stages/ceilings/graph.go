package ceilings

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

// opset is the ONNX opset the ceiling graphs use.
const opset = 17

// MatMulGraph is a chain of Depth square MatMuls: input "input" of shape
// 1×N×N times a constant N×N weight, Depth times, to output "output" of
// shape 1×N×N. One run does Depth × 2N³ floating-point operations.
type MatMulGraph struct {
	// N is the matrix size (1024 by default in Config).
	N int64
	// Depth is the number of MatMuls in the chain (at least 1).
	Depth int
}

// FLOPs is the number of floating-point operations of one run.
func (g MatMulGraph) FLOPs() float64 {
	n := float64(g.N)
	return float64(g.Depth) * 2 * n * n * n
}

// Bytes returns the serialised ONNX model.
func (g MatMulGraph) Bytes() ([]byte, error) {
	if g.N < 1 || g.Depth < 1 {
		return nil, fmt.Errorf("ceilings: matmul graph %d×%d, depth %d: size and depth must be at least 1", g.N, g.N, g.Depth)
	}
	gr := &onnx.GraphProto{Name: "ceilings-matmul"}
	gr.Input = []*onnx.ValueInfoProto{floatInfo("input", 1, g.N, g.N)}
	gr.Output = []*onnx.ValueInfoProto{floatInfo("output", 1, g.N, g.N)}
	// A weight of magnitude about 1/√N keeps every product's elements near
	// the input's, so a long chain meets neither overflow nor denormals.
	gr.Initializer = []*onnx.TensorProto{pattern("w", []int64{g.N, g.N}, 1.5/float32(math.Sqrt(float64(g.N))))}
	prev := "input"
	for i := range g.Depth {
		out := fmt.Sprintf("m%d", i)
		if i == g.Depth-1 {
			out = "output"
		}
		gr.Node = append(gr.Node, &onnx.NodeProto{OpType: "MatMul", Name: out, Input: []string{prev, "w"}, Output: []string{out}})
		prev = out
	}
	return model(gr)
}

// ConvGraph is a chain of Depth 3×3 convolutions (stride 1, padding 1) of
// C channels to C channels on an HW×HW image: input "input" 1×C×HW×HW,
// output "output" of the same shape. Convolutions are what image networks
// spend their time in, and ONNX Runtime's convolution can run faster than
// its plain MatMul, so the compute ceiling takes the faster of the two.
// One run does Depth × 2 × 9 × C² × HW² floating-point operations.
type ConvGraph struct {
	// C is the number of input and output channels; HW the image side.
	C, HW int64
	// Depth is the number of convolutions in the chain (at least 1).
	Depth int
}

// FLOPs is the number of floating-point operations of one run.
func (g ConvGraph) FLOPs() float64 {
	return float64(g.Depth) * 2 * 9 * float64(g.C) * float64(g.C) * float64(g.HW) * float64(g.HW)
}

// Bytes returns the serialised ONNX model.
func (g ConvGraph) Bytes() ([]byte, error) {
	if g.C < 1 || g.HW < 1 || g.Depth < 1 {
		return nil, fmt.Errorf("ceilings: conv graph of %d channels on %d×%d, depth %d: all must be at least 1", g.C, g.HW, g.HW, g.Depth)
	}
	gr := &onnx.GraphProto{Name: "ceilings-conv"}
	gr.Input = []*onnx.ValueInfoProto{floatInfo("input", 1, g.C, g.HW, g.HW)}
	gr.Output = []*onnx.ValueInfoProto{floatInfo("output", 1, g.C, g.HW, g.HW)}
	// As for the MatMul chain, weights of magnitude about 1/√(9C) keep the
	// activations near the input's scale.
	gr.Initializer = []*onnx.TensorProto{pattern("w", []int64{g.C, g.C, 3, 3}, 1.5/float32(math.Sqrt(float64(9*g.C))))}
	prev := "input"
	for i := range g.Depth {
		out := fmt.Sprintf("c%d", i)
		if i == g.Depth-1 {
			out = "output"
		}
		gr.Node = append(gr.Node, &onnx.NodeProto{OpType: "Conv", Name: out, Input: []string{prev, "w"}, Output: []string{out},
			Attribute: []*onnx.AttributeProto{ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1), ints("strides", 1, 1)}})
		prev = out
	}
	return model(gr)
}

func ints(name string, v ...int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INTS, Ints: v}
}

// StreamGraph is a chain of Depth element-wise Adds of a scalar to a
// vector: input "input" of shape 1×Elems, output "output" of the same shape.
// Each Add reads and writes Elems float32 values, so one run moves
// Depth × 8 × Elems bytes; with Elems well beyond the last-level cache they
// stream from and to memory.
type StreamGraph struct {
	// Elems is the vector length in float32 elements.
	Elems int64
	// Depth is the number of Adds in the chain (at least 1).
	Depth int
}

// BytesMoved is the number of bytes one run reads and writes.
func (g StreamGraph) BytesMoved() float64 {
	return float64(g.Depth) * 8 * float64(g.Elems)
}

// Bytes returns the serialised ONNX model.
func (g StreamGraph) Bytes() ([]byte, error) {
	if g.Elems < 1 || g.Depth < 1 {
		return nil, fmt.Errorf("ceilings: stream graph of %d elements, depth %d: both must be at least 1", g.Elems, g.Depth)
	}
	gr := &onnx.GraphProto{Name: "ceilings-stream"}
	gr.Input = []*onnx.ValueInfoProto{floatInfo("input", 1, g.Elems)}
	gr.Output = []*onnx.ValueInfoProto{floatInfo("output", 1, g.Elems)}
	// Alternating +0.5 and −0.5 keeps the values bounded and gives the
	// optimiser no two identical neighbours to merge.
	gr.Initializer = []*onnx.TensorProto{scalar("plus", 0.5), scalar("minus", -0.5)}
	prev := "input"
	for i := range g.Depth {
		out := fmt.Sprintf("a%d", i)
		if i == g.Depth-1 {
			out = "output"
		}
		c := "plus"
		if i%2 == 1 {
			c = "minus"
		}
		gr.Node = append(gr.Node, &onnx.NodeProto{OpType: "Add", Name: out, Input: []string{prev, c}, Output: []string{out}})
		prev = out
	}
	return model(gr)
}

func model(g *onnx.GraphProto) ([]byte, error) {
	m := &onnx.ModelProto{
		IrVersion:    8,
		OpsetImport:  []*onnx.OperatorSetIdProto{{Domain: "", Version: opset}},
		ProducerName: "dnnbench-ceilings",
		Graph:        g,
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("ceilings: encoding %s: %w", g.Name, err)
	}
	return b, nil
}

// floatInfo describes a float32 tensor of fixed shape.
func floatInfo(name string, dims ...int64) *onnx.ValueInfoProto {
	shape := &onnx.TensorShapeProto{}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnx.ValueInfoProto{Name: name, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
		TensorType: &onnx.TypeProto_Tensor{ElemType: int32(onnx.TensorProto_FLOAT), Shape: shape}}}}
}

// pattern is a float32 tensor filled with a fixed pattern in [-scale, scale].
func pattern(name string, dims []int64, scale float32) *onnx.TensorProto {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	raw := make([]byte, 4*n)
	for i := range n {
		v := scale * float32(i%7-3) / 3
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &onnx.TensorProto{Name: name, Dims: dims, DataType: int32(onnx.TensorProto_FLOAT), RawData: raw}
}

func scalar(name string, v float32) *onnx.TensorProto {
	raw := make([]byte, 4)
	binary.LittleEndian.PutUint32(raw, math.Float32bits(v))
	return &onnx.TensorProto{Name: name, DataType: int32(onnx.TensorProto_FLOAT), RawData: raw}
}
