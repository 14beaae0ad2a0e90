package onnxgraph

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"
)

func tensorValue(name string, dims ...int64) *onnx.ValueInfoProto {
	shape := &onnx.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: d}}
		if d < 0 {
			dim.Value = &onnx.TensorShapeProto_Dimension_DimParam{DimParam: "N"}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnx.ValueInfoProto{Name: name, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
		TensorType: &onnx.TypeProto_Tensor{ElemType: 1, Shape: shape}}}}
}

func writeModel(t *testing.T, m *onnx.ModelProto) string {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestIOSkipsInitializerInputs(t *testing.T) {
	w := &onnx.TensorProto{Name: "w", Dims: []int64{4, 3}, DataType: 1, RawData: make([]byte, 48)}
	path := writeModel(t, &onnx.ModelProto{IrVersion: 3, Graph: &onnx.GraphProto{
		Input:       []*onnx.ValueInfoProto{tensorValue("x", -1, 3), tensorValue("w", 4, 3)},
		Output:      []*onnx.ValueInfoProto{tensorValue("y", -1, 4)},
		Initializer: []*onnx.TensorProto{w},
	}})
	ins, outs, err := IO(path)
	if err != nil {
		t.Fatal(err)
	}
	wantIn := []Value{{Name: "x", ElemType: 1, Shape: []int64{-1, 3}}}
	wantOut := []Value{{Name: "y", ElemType: 1, Shape: []int64{-1, 4}}}
	if !reflect.DeepEqual(ins, wantIn) || !reflect.DeepEqual(outs, wantOut) {
		t.Errorf("IO = %+v, %+v; want %+v, %+v", ins, outs, wantIn, wantOut)
	}
}

func TestIORejects(t *testing.T) {
	noIR := writeModel(t, &onnx.ModelProto{Graph: &onnx.GraphProto{Output: []*onnx.ValueInfoProto{tensorValue("y", 1)}}})
	if _, _, err := IO(noIR); !errors.Is(err, ErrNotONNX) {
		t.Errorf("model without ir_version: %v, want ErrNotONNX", err)
	}
	empty := filepath.Join(t.TempDir(), "empty.onnx")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := IO(empty); !errors.Is(err, ErrNotONNX) {
		t.Errorf("empty file: %v, want ErrNotONNX", err)
	}
	dir := t.TempDir()
	if _, _, err := IO(dir); err == nil || !strings.Contains(err.Error(), "is a directory, not an ONNX file") {
		t.Errorf("directory: %v", err)
	}
}
