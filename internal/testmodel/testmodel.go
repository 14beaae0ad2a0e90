// Package testmodel writes tiny ONNX classification models for tests: input
// "input" N×3×H×W (N dynamic), output "output" N×1000. A model can be made to
// fail at large batch sizes, with a plain runtime error or by asking for an
// allocation no machine has.
package testmodel

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

// Failure selects how a model fails above Spec.Limit.
type Failure int

const (
	// Never makes a model that runs at every batch size.
	Never Failure = iota
	// GatherOutOfRange makes batches larger than Limit fail with an index error.
	GatherOutOfRange
	// HugeAllocation makes batches larger than Limit request 4 TiB.
	HugeAllocation
)

// Spec describes a test model.
type Spec struct {
	// Size is the input height and width (default 8).
	Size int64
	// Hidden adds a Hidden×1000 weight (in addition to 3×1000) so the model
	// holds a known number of weight bytes; 0 for none.
	Hidden int64
	// Batch fixes the batch dimension of input and output; 0 leaves it dynamic.
	Batch int64
	// Fail and Limit make batches larger than Limit fail.
	Fail  Failure
	Limit int64
}

// WeightBytes is the size of the model's float32 weights in bytes.
func (s Spec) WeightBytes() int64 {
	n := int64(3 * 1000)
	if s.Hidden > 0 {
		n = 3*s.Hidden + s.Hidden*1000
	}
	return 4 * n
}

// Write writes the model to path.
func Write(path string, s Spec) error {
	b, err := Bytes(s)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Bytes returns the serialised model.
func Bytes(s Spec) ([]byte, error) {
	if s.Size == 0 {
		s.Size = 8
	}
	g := &onnx.GraphProto{Name: "testmodel"}
	g.Input = []*onnx.ValueInfoProto{valueInfo("input", s.Batch, 3, s.Size, s.Size)}
	g.Output = []*onnx.ValueInfoProto{valueInfo("output", s.Batch, 1000)}
	add := func(op string, in, out []string, attrs ...*onnx.AttributeProto) {
		g.Node = append(g.Node, &onnx.NodeProto{OpType: op, Input: in, Output: out, Name: out[0], Attribute: attrs})
	}
	g.Initializer = append(g.Initializer, int64s("axes23", []int64{2, 3}))
	add("ReduceMean", []string{"input", "axes23"}, []string{"pooled"}, intAttr("keepdims", 0))
	last := "pooled"
	if s.Hidden > 0 {
		g.Initializer = append(g.Initializer, floats("w0", []int64{3, s.Hidden}, 0.01))
		add("MatMul", []string{"pooled", "w0"}, []string{"hidden"})
		last = "hidden"
		g.Initializer = append(g.Initializer, floats("w1", []int64{s.Hidden, 1000}, 0.001))
	} else {
		g.Initializer = append(g.Initializer, floats("w1", []int64{3, 1000}, 0.01))
	}
	logits := "logits"
	if s.Fail == Never {
		logits = "output"
	}
	add("MatMul", []string{last, "w1"}, []string{logits})
	switch s.Fail {
	case Never:
	case GatherOutOfRange, HugeAllocation:
		if s.Limit < 1 {
			return nil, fmt.Errorf("testmodel: limit %d must be at least 1", s.Limit)
		}
		add("Shape", []string{"input"}, []string{"shape"})
		g.Initializer = append(g.Initializer, int64s("zero1", []int64{0}), int64s("one1", []int64{1}))
		add("Slice", []string{"shape", "zero1", "one1"}, []string{"n"}) // [N]
		var scalar string
		if s.Fail == GatherOutOfRange {
			table := make([]int64, s.Limit+1) // valid indices 0..Limit
			g.Initializer = append(g.Initializer, int64s("table", table))
			add("Gather", []string{"table", "n"}, []string{"picked"}) // fails when N > Limit
			add("Cast", []string{"picked"}, []string{"pickedf"}, intAttr("to", int64(onnx.TensorProto_FLOAT)))
			g.Initializer = append(g.Initializer, int64s("axes0", []int64{0}))
			add("ReduceSum", []string{"pickedf", "axes0"}, []string{"extra"}, intAttr("keepdims", 0))
			scalar = "extra"
		} else {
			g.Initializer = append(g.Initializer, int64s("limit1", []int64{s.Limit + 1}), int64s("huge", []int64{1 << 40}))
			add("Div", []string{"n", "limit1"}, []string{"over"}) // 0 while N ≤ Limit
			add("Mul", []string{"over", "huge"}, []string{"bigshape"})
			add("ConstantOfShape", []string{"bigshape"}, []string{"big"}, &onnx.AttributeProto{
				Name: "value", Type: onnx.AttributeProto_TENSOR, T: floats("v", []int64{1}, 0)})
			add("ReduceSum", []string{"big"}, []string{"extra"}, intAttr("keepdims", 0))
			scalar = "extra"
		}
		g.Initializer = append(g.Initializer, floats("zerof", nil, 0))
		add("Mul", []string{scalar, "zerof"}, []string{"nothing"})
		add("Add", []string{"logits", "nothing"}, []string{"output"})
	default:
		return nil, fmt.Errorf("testmodel: unknown failure %d", s.Fail)
	}
	m := &onnx.ModelProto{
		IrVersion:    8,
		OpsetImport:  []*onnx.OperatorSetIdProto{{Domain: "", Version: 18}},
		ProducerName: "dnnbench-testmodel",
		Graph:        g,
	}
	return proto.Marshal(m)
}

// valueInfo describes a float tensor whose first dimension is batch, or the
// dynamic "N" when batch is 0.
func valueInfo(name string, batch int64, dims ...int64) *onnx.ValueInfoProto {
	first := &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}
	if batch > 0 {
		first = &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: batch}}
	}
	shape := &onnx.TensorShapeProto{Dim: []*onnx.TensorShapeProto_Dimension{first}}
	for _, d := range dims {
		shape.Dim = append(shape.Dim, &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnx.ValueInfoProto{Name: name, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
		TensorType: &onnx.TypeProto_Tensor{ElemType: int32(onnx.TensorProto_FLOAT), Shape: shape}}}}
}

func intAttr(name string, v int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INT, I: v}
}

func int64s(name string, v []int64) *onnx.TensorProto {
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	return &onnx.TensorProto{Name: name, Dims: []int64{int64(len(v))}, DataType: int32(onnx.TensorProto_INT64), RawData: raw}
}

// floats makes a float tensor of the given dims filled with a fixed
// alternating pattern of magnitude scale.
func floats(name string, dims []int64, scale float32) *onnx.TensorProto {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	raw := make([]byte, 4*n)
	for i := int64(0); i < n; i++ {
		v := scale * float32(i%7-3) / 3
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &onnx.TensorProto{Name: name, Dims: dims, DataType: int32(onnx.TensorProto_FLOAT), RawData: raw}
}
