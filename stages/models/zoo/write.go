package zoo

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Protobuf field numbers of the ONNX messages written by hand-streaming;
// every message itself is encoded by the generated types.
const (
	modelIRVersion    = 1
	modelProducerName = 2
	modelProducerVer  = 3
	modelGraph        = 7
	modelOpsetImport  = 8
	graphNode         = 1
	graphName         = 2
	graphInitializer  = 5
	graphInput        = 11
	graphOutput       = 12
	tensorRawData     = 9
)

// irVersion 8 is the IR of opset 17.
const irVersion = 8

// WriteTo serialises the model with output as its logits. Weights are drawn
// from a PCG stream seeded by seed and streamed straight to w, so memory
// stays small whatever the model's size.
func (g *Graph) WriteTo(w io.Writer, name string, output Tensor, seed uint64) (int64, error) {
	aw := newAsyncWriter(w)
	cw := &countWriter{w: aw}
	defer aw.Close()

	g.nodes = append(g.nodes, &onnx.NodeProto{OpType: "Identity", Name: "logits", Input: []string{output.Name}, Output: []string{"logits"}})
	defer func() { g.nodes = g.nodes[:len(g.nodes)-1] }()

	var head []byte
	head = protowire.AppendTag(head, modelIRVersion, protowire.VarintType)
	head = protowire.AppendVarint(head, irVersion)
	head = protowire.AppendTag(head, modelProducerName, protowire.BytesType)
	head = protowire.AppendString(head, "dnnbench-zoo")
	head = protowire.AppendTag(head, modelProducerVer, protowire.BytesType)
	head = protowire.AppendString(head, BuilderVersion)
	opset, err := proto.Marshal(&onnx.OperatorSetIdProto{Domain: "", Version: Opset})
	if err != nil {
		return 0, err
	}
	head = protowire.AppendTag(head, modelOpsetImport, protowire.BytesType)
	head = protowire.AppendBytes(head, opset)

	// The graph's small fields, marshalled up front; initializers are sized
	// here and streamed below.
	var small []byte
	for _, n := range g.nodes {
		b, err := proto.Marshal(n)
		if err != nil {
			return 0, err
		}
		small = protowire.AppendTag(small, graphNode, protowire.BytesType)
		small = protowire.AppendBytes(small, b)
	}
	small = protowire.AppendTag(small, graphName, protowire.BytesType)
	small = protowire.AppendString(small, name)
	for _, vi := range []*onnx.ValueInfoProto{valueInfo("input", g.input.Shape)} {
		b, _ := proto.Marshal(vi)
		small = protowire.AppendTag(small, graphInput, protowire.BytesType)
		small = protowire.AppendBytes(small, b)
	}
	b, _ := proto.Marshal(valueInfo("logits", output.Shape))
	small = protowire.AppendTag(small, graphOutput, protowire.BytesType)
	small = protowire.AppendBytes(small, b)

	headers := make([][]byte, len(g.inits))
	graphLen := len(small)
	for i, in := range g.inits {
		h, err := tensorHeader(in)
		if err != nil {
			return 0, err
		}
		headers[i] = h
		body := tensorBodyLen(in)
		tensorLen := len(h) + protowire.SizeTag(tensorRawData) + protowire.SizeBytes(body)
		graphLen += protowire.SizeTag(graphInitializer) + protowire.SizeBytes(tensorLen)
	}
	head = protowire.AppendTag(head, modelGraph, protowire.BytesType)
	head = protowire.AppendVarint(head, uint64(graphLen))
	if _, err := cw.Write(head); err != nil {
		return cw.n, err
	}
	if _, err := cw.Write(small); err != nil {
		return cw.n, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	buf := make([]byte, 0, 1<<16)
	for i, in := range g.inits {
		body := tensorBodyLen(in)
		tensorLen := len(headers[i]) + protowire.SizeTag(tensorRawData) + protowire.SizeBytes(body)
		buf = buf[:0]
		buf = protowire.AppendTag(buf, graphInitializer, protowire.BytesType)
		buf = protowire.AppendVarint(buf, uint64(tensorLen))
		buf = append(buf, headers[i]...)
		buf = protowire.AppendTag(buf, tensorRawData, protowire.BytesType)
		buf = protowire.AppendVarint(buf, uint64(body))
		if _, err := cw.Write(buf); err != nil {
			return cw.n, err
		}
		if err := writeValues(cw, in, rng); err != nil {
			return cw.n, err
		}
	}
	if err := aw.Close(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

// asyncWriter hands full 1 MiB buffers to a goroutine that writes them, so
// drawing weights and writing the file overlap.
type asyncWriter struct {
	buf    []byte
	full   chan []byte
	free   chan []byte
	done   chan error
	closed bool
	err    error
}

func newAsyncWriter(w io.Writer) *asyncWriter {
	const size, count = 1 << 20, 4
	a := &asyncWriter{full: make(chan []byte, count), free: make(chan []byte, count), done: make(chan error, 1)}
	for i := 0; i < count; i++ {
		a.free <- make([]byte, 0, size)
	}
	a.buf = <-a.free
	go func() {
		var err error
		for b := range a.full {
			if err == nil {
				_, err = w.Write(b)
			}
			a.free <- b[:0]
		}
		a.done <- err
	}()
	return a
}

func (a *asyncWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		room := cap(a.buf) - len(a.buf)
		if room == 0 {
			a.full <- a.buf
			a.buf = <-a.free
			continue
		}
		k := min(room, len(p))
		a.buf = append(a.buf, p[:k]...)
		p = p[k:]
	}
	return n, nil
}

// Close writes what is buffered and returns the first write error.
func (a *asyncWriter) Close() error {
	if a.closed {
		return a.err
	}
	a.closed = true
	if len(a.buf) > 0 {
		a.full <- a.buf
	}
	close(a.full)
	a.err = <-a.done
	return a.err
}

func tensorHeader(in *initializer) ([]byte, error) {
	dt := onnx.TensorProto_FLOAT
	if in.kind == InitInt64 {
		dt = onnx.TensorProto_INT64
	}
	return proto.Marshal(&onnx.TensorProto{Dims: in.dims, DataType: int32(dt), Name: in.name})
}

func tensorBodyLen(in *initializer) int {
	if in.kind == InitInt64 {
		return 8 * len(in.ints)
	}
	return 4 * int(in.elems())
}

// writeValues streams an initializer's little-endian values.
func writeValues(w io.Writer, in *initializer, rng *rand.Rand) error {
	if in.kind == InitInt64 {
		b := make([]byte, 8*len(in.ints))
		for i, v := range in.ints {
			binary.LittleEndian.PutUint64(b[8*i:], uint64(v))
		}
		_, err := w.Write(b)
		return err
	}
	n := in.elems()
	if in.kind == InitData && int64(len(in.data)) != n {
		return fmt.Errorf("zoo: %s holds %d values for %d elements", in.name, len(in.data), n)
	}
	const chunk = 1 << 14
	b := make([]byte, 4*chunk)
	for off := int64(0); off < n; off += chunk {
		m := min(chunk, n-off)
		switch in.kind {
		case InitUniform:
			// Two 24-bit uniforms per 64-bit draw, mapped to (-scale, scale).
			const inv = 1.0 / (1 << 23)
			for i := int64(0); i < m; i += 2 {
				u := rng.Uint64()
				v0 := in.scale * (float32(u>>40)*inv - 1)
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v0))
				if i+1 < m {
					v1 := in.scale * (float32((u>>16)&(1<<24-1))*inv - 1)
					binary.LittleEndian.PutUint32(b[4*i+4:], math.Float32bits(v1))
				}
			}
		case InitConst:
			for i := int64(0); i < m; i++ {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(in.scale))
			}
		case InitData:
			for i := int64(0); i < m; i++ {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(in.data[off+i]))
			}
		}
		if _, err := w.Write(b[:4*m]); err != nil {
			return err
		}
	}
	return nil
}

func valueInfo(name string, shape []int64) *onnx.ValueInfoProto {
	dims := []*onnx.TensorShapeProto_Dimension{{Value: &onnx.TensorShapeProto_Dimension_DimParam{DimParam: "batch"}}}
	for _, d := range shape {
		dims = append(dims, &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	return &onnx.ValueInfoProto{Name: name, Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{
		TensorType: &onnx.TypeProto_Tensor{ElemType: int32(onnx.TensorProto_FLOAT), Shape: &onnx.TensorShapeProto{Dim: dims}}}}}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
