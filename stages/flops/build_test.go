package flops

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// builder assembles small ONNX models in tests.
type builder struct {
	opset int64
	g     *onnx.GraphProto
	// payload, when set, is the raw_data size of each large float
	// initializer written by writeStreamed instead of held in memory.
	payload map[string]int64
}

func newBuilder(opset int64) *builder {
	return &builder{opset: opset, g: &onnx.GraphProto{Name: "test"}, payload: map[string]int64{}}
}

// valueInfo makes a tensor ValueInfoProto; a string dim is symbolic.
func valueInfo(name string, dt int32, dims ...any) *onnx.ValueInfoProto {
	shape := &onnx.TensorShapeProto{}
	for _, d := range dims {
		switch d := d.(type) {
		case string:
			shape.Dim = append(shape.Dim, &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimParam{DimParam: d}})
		case int:
			shape.Dim = append(shape.Dim, &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		default:
			panic(fmt.Sprintf("dim %v", d))
		}
	}
	if len(dims) == 0 {
		shape = nil // unknown rank; a scalar is written as dims ()
	}
	return &onnx.ValueInfoProto{Name: name, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
		TensorType: &onnx.TypeProto_Tensor{ElemType: dt, Shape: shape}}}}
}

func (b *builder) input(name string, dims ...any) *builder {
	b.g.Input = append(b.g.Input, valueInfo(name, dtFloat, dims...))
	return b
}

func (b *builder) output(name string, dims ...any) *builder {
	b.g.Output = append(b.g.Output, valueInfo(name, dtFloat, dims...))
	return b
}

// weight adds a float initializer of zeros with the given dims.
func (b *builder) weight(name string, dims ...int64) *builder {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	b.g.Initializer = append(b.g.Initializer, &onnx.TensorProto{Name: name, DataType: dtFloat, Dims: dims, RawData: make([]byte, 4*n)})
	return b
}

// ints adds an int64 initializer; dims nil makes a 1-D tensor.
func (b *builder) ints(name string, dims []int64, vals ...int64) *builder {
	if dims == nil {
		dims = []int64{int64(len(vals))}
	}
	raw := make([]byte, 8*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	b.g.Initializer = append(b.g.Initializer, &onnx.TensorProto{Name: name, DataType: dtInt64, Dims: dims, RawData: raw})
	return b
}

func (b *builder) node(op string, ins, outs []string, attrs ...*onnx.AttributeProto) *builder {
	b.g.Node = append(b.g.Node, &onnx.NodeProto{Name: fmt.Sprintf("n%d_%s", len(b.g.Node), op), OpType: op, Input: ins, Output: outs, Attribute: attrs})
	return b
}

func aInt(name string, v int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INT, I: v}
}

func aInts(name string, v ...int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INTS, Ints: v}
}

func aFloat(name string, v float32) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_FLOAT, F: v}
}

func aStr(name, v string) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_STRING, S: []byte(v)}
}

func aTensorInts(name string, dims []int64, vals ...int64) *onnx.AttributeProto {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_TENSOR, T: &onnx.TensorProto{DataType: dtInt64, Dims: dims, Int64Data: vals}}
}

func (b *builder) model() *onnx.ModelProto {
	return &onnx.ModelProto{
		IrVersion:    8,
		ProducerName: "flops-test",
		OpsetImport:  []*onnx.OperatorSetIdProto{{Domain: "", Version: b.opset}},
		Graph:        b.g,
	}
}

func (b *builder) bytes(t testing.TB) []byte {
	t.Helper()
	data, err := proto.Marshal(b.model())
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// write marshals the model into dir and returns its path.
func (b *builder) write(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, b.bytes(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// analyze counts the model at the given batch through Read, as Run does.
func (b *builder) analyze(t testing.TB, batch int64) *Analysis {
	t.Helper()
	m, err := Read(b.write(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Analyze(m, Config{Batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// bigWeight declares a float initializer whose zero payload writeStreamed
// generates on the fly, so building a large model costs no memory.
func (b *builder) bigWeight(name string, dims ...int64) *builder {
	n := int64(1)
	for _, d := range dims {
		n *= d
	}
	b.g.Initializer = append(b.g.Initializer, &onnx.TensorProto{Name: name, DataType: dtFloat, Dims: dims})
	b.payload[name] = 4 * n
	return b
}

// writeStreamed writes the model to path, appending each bigWeight's
// raw_data as zeros streamed to disk. It returns the file size.
func (b *builder) writeStreamed(t testing.TB, path string) int64 {
	t.Helper()
	// Everything but the graph's initializers marshals normally.
	inits := b.g.Initializer
	b.g.Initializer = nil
	graphHead, err := proto.Marshal(b.g)
	b.g.Initializer = inits
	if err != nil {
		t.Fatal(err)
	}
	type part struct {
		head    []byte // initializer tensor without raw_data
		payload int64
	}
	parts := make([]part, len(inits))
	graphLen := int64(len(graphHead))
	for i, tp := range inits {
		h, err := proto.Marshal(tp)
		if err != nil {
			t.Fatal(err)
		}
		p := part{head: h, payload: b.payload[tp.GetName()]}
		tensorLen := int64(len(h))
		if p.payload > 0 {
			tensorLen += int64(protowire.SizeTag(9)+protowire.SizeVarint(uint64(p.payload))) + p.payload
		}
		graphLen += int64(protowire.SizeTag(5)+protowire.SizeVarint(uint64(tensorLen))) + tensorLen
		parts[i] = part{head: h, payload: p.payload}
	}
	mp := b.model()
	mp.Graph = nil
	modelHead, err := proto.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	buf := append([]byte{}, modelHead...)
	buf = protowire.AppendTag(buf, 7, protowire.BytesType)
	buf = protowire.AppendVarint(buf, uint64(graphLen))
	buf = append(buf, graphHead...)
	mustWrite(t, w, buf)
	zeros := make([]byte, 1<<20)
	for _, p := range parts {
		tensorLen := int64(len(p.head))
		if p.payload > 0 {
			tensorLen += int64(protowire.SizeTag(9)+protowire.SizeVarint(uint64(p.payload))) + p.payload
		}
		buf = protowire.AppendTag(buf[:0], 5, protowire.BytesType)
		buf = protowire.AppendVarint(buf, uint64(tensorLen))
		buf = append(buf, p.head...)
		if p.payload > 0 {
			buf = protowire.AppendTag(buf, 9, protowire.BytesType)
			buf = protowire.AppendVarint(buf, uint64(p.payload))
		}
		mustWrite(t, w, buf)
		for left := p.payload; left > 0; {
			n := min(left, int64(len(zeros)))
			mustWrite(t, w, zeros[:n])
			left -= n
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func mustWrite(t testing.TB, w io.Writer, b []byte) {
	t.Helper()
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
}

// repoRoot walks up from the package directory to go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the package directory")
		}
		dir = parent
	}
}
