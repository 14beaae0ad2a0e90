// Package onnxgraph reads an ONNX model's graph without loading its weight
// payloads: one protobuf walk serves the flops stage (nodes, shapes, small
// constant tensors) and session setup (graph inputs and outputs).
package onnxgraph

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// MaxDecodedElements is the largest tensor whose values the reader decodes.
// Larger tensors keep only their header (name, dims, data type); their
// values are never needed to count, only to fold shape subgraphs.
const MaxDecodedElements = 1 << 12

// smallTensorBytes is the encoded size under which a tensor message is
// unmarshalled whole; larger ones are read header-only.
const smallTensorBytes = 64 << 10

// maxExternalFiles bounds how many distinct external data files one model may name.
const maxExternalFiles = 1 << 16

// ErrNotONNX reports bytes that do not decode as an ONNX ModelProto with a graph.
var ErrNotONNX = errors.New("onnxgraph: not an ONNX model")

// Model is an ONNX model's graph structure with every tensor reduced to its header.
type Model struct {
	// IRVersion is the ONNX IR version the file declares.
	IRVersion int64
	// Opsets maps an operator-set domain ("" for the default ai.onnx) to its version.
	Opsets map[string]int64
	// ProducerName is the exporter named in the file, e.g. "pytorch".
	ProducerName string
	// Graph is the main graph.
	Graph Graph
	// FileBytes is the size of the ONNX file plus its distinct external data files, in bytes.
	FileBytes int64
}

// Graph is a GraphProto with header-only tensors.
type Graph struct {
	Name string
	// Nodes are in file order.
	Nodes []*Node
	// Inputs include initializers listed as inputs (IR version < 4 files).
	Inputs    []*onnx.ValueInfoProto
	Outputs   []*onnx.ValueInfoProto
	ValueInfo []*onnx.ValueInfoProto
	// Initializers are the graph's stored tensors, header-only.
	Initializers []*Tensor
}

// Node is one graph node. Its tensor-valued attributes are held in Tensors;
// graph-valued attributes (If/Loop bodies) are counted in Subgraphs but not read.
type Node struct {
	// Proto holds the node's inputs, outputs, op type, domain and attributes;
	// attribute tensors in it are header-only.
	Proto *onnx.NodeProto
	// Tensors holds the tensor-valued attributes by attribute name.
	Tensors map[string]*Tensor
	// Subgraphs is the number of graph-valued attributes skipped.
	Subgraphs int
}

// OpType returns the node's op type, qualified by its domain unless that is the default one.
func (n *Node) OpType() string {
	d := n.Proto.GetDomain()
	if d == "" || d == "ai.onnx" {
		return n.Proto.GetOpType()
	}
	return d + "." + n.Proto.GetOpType()
}

// Tensor is a TensorProto reduced to its header, with its values decoded
// only when it is small (at most MaxDecodedElements elements).
type Tensor struct {
	// Header carries name, dims, data type and external-data entries; its
	// payload fields (raw_data, float_data, …) are always empty.
	Header *onnx.TensorProto
	// PayloadBytes is the size of the stored payload in bytes (0 if external).
	PayloadBytes int64
	// External is true when the values live in an external data file.
	External bool
	// Ints holds the values of a small integer or bool tensor, nil otherwise.
	Ints []int64
	// Floats holds the values of a small floating-point tensor, nil otherwise.
	Floats []float64
}

// Name returns the tensor's name.
func (t *Tensor) Name() string { return t.Header.GetName() }

// Elements returns the product of the tensor's dims (1 for a scalar).
func (t *Tensor) Elements() int64 {
	n := int64(1)
	for _, d := range t.Header.GetDims() {
		n = mulSat(n, d)
	}
	return n
}

// Read maps the ONNX file at path read-only and decodes its graph without
// copying weight payloads. External data files are located next to the
// model; only their sizes (and the values of small integer tensors) are read.
func Read(path string) (*Model, error) {
	m, err := read(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func read(path string) (*Model, error) {
	m, err := readFile(path)
	if err != nil {
		return nil, err
	}
	if err := m.resolveExternal(filepath.Dir(path)); err != nil {
		return nil, err
	}
	return m, nil
}

// readFile maps the file at path and decodes it; external data is not resolved.
func readFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	size := st.Size()
	if size == 0 {
		return nil, notONNX{errors.New("empty file")}
	}
	if int64(int(size)) != size {
		return nil, fmt.Errorf("file too large to map (%d bytes)", size)
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	m, perr := readBytes(data)
	if err := syscall.Munmap(data); err != nil && perr == nil {
		perr = fmt.Errorf("munmap: %w", err)
	}
	if perr != nil {
		return nil, perr
	}
	m.FileBytes = size
	return m, nil
}

// notONNX marks a decoding failure: errors.Is(err, ErrNotONNX) holds
// without the sentinel's prefix repeating in the message.
type notONNX struct{ err error }

func (e notONNX) Error() string { return "not an ONNX model: " + e.err.Error() }

func (e notONNX) Unwrap() []error { return []error{ErrNotONNX, e.err} }

// ReadBytes decodes a serialized ModelProto. Nothing in the result refers
// to data, so data may be unmapped or reused afterwards. FileBytes is
// len(data); external data is not resolved.
func ReadBytes(data []byte) (*Model, error) {
	return readBytes(data)
}

func readBytes(data []byte) (*Model, error) {
	m := &Model{Opsets: map[string]int64{}, FileBytes: int64(len(data))}
	var graph []byte
	haveGraph := false
	err := walk(data, func(num protowire.Number, typ protowire.Type, field, value []byte) error {
		switch {
		case num == 1 && typ == protowire.VarintType:
			v, _ := protowire.ConsumeVarint(value)
			m.IRVersion = int64(v)
		case num == 2 && typ == protowire.BytesType:
			m.ProducerName = string(value)
		case num == 7 && typ == protowire.BytesType:
			graph, haveGraph = value, true
		case num == 8 && typ == protowire.BytesType:
			var op onnx.OperatorSetIdProto
			if err := proto.Unmarshal(value, &op); err != nil {
				return fmt.Errorf("opset_import: %w", err)
			}
			d := op.GetDomain()
			if d == "ai.onnx" {
				d = ""
			}
			m.Opsets[d] = op.GetVersion()
		}
		return nil
	})
	if err != nil {
		return nil, notONNX{err}
	}
	if !haveGraph {
		return nil, notONNX{errors.New("no graph")}
	}
	if err := m.Graph.decode(graph); err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	if _, ok := m.Opsets[""]; !ok && len(m.Opsets) == 0 {
		// IR version 1–2 files may omit opset_import; ONNX treats that as opset 1.
		m.Opsets[""] = 1
	}
	return m, nil
}

// Opset returns the version of the default (ai.onnx) operator set.
func (m *Model) Opset() int64 { return m.Opsets[""] }

// walk calls fn for every top-level field of the message b. value is the
// field's payload: the varint/fixed bytes or the length-delimited contents.
func walk(b []byte, fn func(num protowire.Number, typ protowire.Type, field, value []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("bad field tag: %w", protowire.ParseError(n))
		}
		vn := protowire.ConsumeFieldValue(num, typ, b[n:])
		if vn < 0 {
			return fmt.Errorf("field %d: %w", num, protowire.ParseError(vn))
		}
		value := b[n : n+vn]
		if typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(value)
			value = v
		}
		if err := fn(num, typ, b[:n+vn], value); err != nil {
			return err
		}
		b = b[n+vn:]
	}
	return nil
}

// decode walks a GraphProto, unmarshalling everything with the generated
// types except the payloads of initializers and attribute tensors.
func (g *Graph) decode(b []byte) error {
	var rest []byte
	err := walk(b, func(num protowire.Number, typ protowire.Type, field, value []byte) error {
		if typ != protowire.BytesType {
			rest = append(rest, field...)
			return nil
		}
		switch num {
		case 1:
			n, err := decodeNode(value)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.Nodes), err)
			}
			g.Nodes = append(g.Nodes, n)
		case 5:
			t, err := decodeTensor(value)
			if err != nil {
				return fmt.Errorf("initializer %d: %w", len(g.Initializers), err)
			}
			g.Initializers = append(g.Initializers, t)
		case 11, 12, 13:
			vi := &onnx.ValueInfoProto{}
			if err := proto.Unmarshal(value, vi); err != nil {
				return fmt.Errorf("value_info: %w", err)
			}
			switch num {
			case 11:
				g.Inputs = append(g.Inputs, vi)
			case 12:
				g.Outputs = append(g.Outputs, vi)
			default:
				g.ValueInfo = append(g.ValueInfo, vi)
			}
		case 15:
			// Sparse initializers hold weights too; they are not supported
			// for counting, and their payload is skipped.
		default:
			rest = append(rest, field...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var hdr onnx.GraphProto
	if err := proto.Unmarshal(rest, &hdr); err != nil {
		return err
	}
	g.Name = hdr.GetName()
	return nil
}

// decodeNode unmarshals a NodeProto, reducing attribute tensors to headers
// and skipping graph attributes.
func decodeNode(b []byte) (*Node, error) {
	n := &Node{Proto: &onnx.NodeProto{}}
	var rest []byte
	var attrs []*onnx.AttributeProto
	err := walk(b, func(num protowire.Number, typ protowire.Type, field, value []byte) error {
		if num != 5 || typ != protowire.BytesType {
			rest = append(rest, field...)
			return nil
		}
		a, t, subgraphs, err := decodeAttribute(value)
		if err != nil {
			return fmt.Errorf("attribute %d: %w", len(attrs), err)
		}
		n.Subgraphs += subgraphs
		if t != nil {
			if n.Tensors == nil {
				n.Tensors = map[string]*Tensor{}
			}
			n.Tensors[a.GetName()] = t
		}
		attrs = append(attrs, a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := proto.Unmarshal(rest, n.Proto); err != nil {
		return nil, err
	}
	n.Proto.Attribute = attrs
	return n, nil
}

// decodeAttribute unmarshals an AttributeProto; a tensor value (field t) is
// decoded header-only and returned separately, graph values are skipped.
func decodeAttribute(b []byte) (*onnx.AttributeProto, *Tensor, int, error) {
	var rest []byte
	var t *Tensor
	subgraphs := 0
	err := walk(b, func(num protowire.Number, typ protowire.Type, field, value []byte) error {
		switch {
		case num == 5 && typ == protowire.BytesType:
			var err error
			t, err = decodeTensor(value)
			return err
		case (num == 6 || num == 11) && typ == protowire.BytesType:
			subgraphs++
		case (num == 10 || num == 22 || num == 23) && typ == protowire.BytesType:
			// Lists of tensors and sparse tensors: never needed to count.
		default:
			rest = append(rest, field...)
		}
		return nil
	})
	if err != nil {
		return nil, nil, 0, err
	}
	a := &onnx.AttributeProto{}
	if err := proto.Unmarshal(rest, a); err != nil {
		return nil, nil, 0, err
	}
	if t != nil {
		a.T = t.Header
	}
	return a, t, subgraphs, nil
}

// tensorPayloadField reports whether a TensorProto field number holds values.
func tensorPayloadField(num protowire.Number) bool {
	switch num {
	case 4, 5, 6, 7, 9, 10, 11:
		return true
	}
	return false
}

// decodeTensor reads a TensorProto. Small messages are unmarshalled whole
// and their values decoded; large ones are unmarshalled without their
// payload fields, whose size is recorded.
func decodeTensor(b []byte) (*Tensor, error) {
	t := &Tensor{Header: &onnx.TensorProto{}}
	if len(b) <= smallTensorBytes {
		full := &onnx.TensorProto{}
		if err := proto.Unmarshal(b, full); err != nil {
			return nil, err
		}
		t.PayloadBytes = int64(len(full.GetRawData()))
		if err := t.setValues(full); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", Shorten(full.GetName()), err)
		}
		full.RawData, full.FloatData, full.Int32Data, full.StringData = nil, nil, nil, nil
		full.Int64Data, full.DoubleData, full.Uint64Data = nil, nil, nil
		t.Header = full
	} else {
		var rest []byte
		err := walk(b, func(num protowire.Number, typ protowire.Type, field, value []byte) error {
			if tensorPayloadField(num) {
				t.PayloadBytes += int64(len(value))
				return nil
			}
			rest = append(rest, field...)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if err := proto.Unmarshal(rest, t.Header); err != nil {
			return nil, err
		}
	}
	t.External = t.Header.GetDataLocation() == onnx.TensorProto_EXTERNAL
	for _, d := range t.Header.GetDims() {
		if d < 0 {
			return nil, fmt.Errorf("tensor %q: negative dim %d", Shorten(t.Name()), d)
		}
	}
	return t, nil
}

// externalRef is one tensor's location in an external data file.
type externalRef struct {
	location       string
	offset, length int64
}

// externalLocation parses a tensor's external_data entries.
func externalLocation(t *onnx.TensorProto) (externalRef, error) {
	var r externalRef
	r.length = -1
	for _, kv := range t.GetExternalData() {
		switch kv.GetKey() {
		case "location":
			r.location = kv.GetValue()
		case "offset":
			v, err := strconv.ParseInt(kv.GetValue(), 10, 64)
			if err != nil || v < 0 {
				return r, fmt.Errorf("external data offset %q is not a byte offset", kv.GetValue())
			}
			r.offset = v
		case "length":
			v, err := strconv.ParseInt(kv.GetValue(), 10, 64)
			if err != nil || v < 0 {
				return r, fmt.Errorf("external data length %q is not a byte count", kv.GetValue())
			}
			r.length = v
		}
	}
	if r.location == "" {
		return r, errors.New("external data has no location")
	}
	return r, nil
}

// safeExternalPath joins an untrusted external-data location to the model's
// directory, refusing absolute paths and any path that leaves the directory.
func safeExternalPath(dir, location string) (string, error) {
	if filepath.IsAbs(location) || strings.HasPrefix(location, "/") || strings.Contains(location, "\\") || strings.ContainsRune(location, 0) {
		return "", fmt.Errorf("external data location %q must be a relative path inside the model's directory", location)
	}
	clean := filepath.Clean(location)
	if !filepath.IsLocal(clean) {
		return "", fmt.Errorf("external data location %q leaves the model's directory", location)
	}
	return filepath.Join(dir, clean), nil
}

// resolveExternal adds external data file sizes to FileBytes and decodes
// the values of small integer tensors stored externally.
func (m *Model) resolveExternal(dir string) error {
	sizes := map[string]int64{}
	var tensors []*Tensor
	tensors = append(tensors, m.Graph.Initializers...)
	for _, n := range m.Graph.Nodes {
		for _, name := range slices.Sorted(maps.Keys(n.Tensors)) {
			tensors = append(tensors, n.Tensors[name])
		}
	}
	for _, t := range tensors {
		if !t.External {
			continue
		}
		ref, err := externalLocation(t.Header)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", Shorten(t.Name()), err)
		}
		p, err := safeExternalPath(dir, ref.location)
		if err != nil {
			return fmt.Errorf("tensor %q: %w", Shorten(t.Name()), err)
		}
		size, ok := sizes[p]
		if !ok {
			if len(sizes) >= maxExternalFiles {
				return fmt.Errorf("more than %d external data files", maxExternalFiles)
			}
			st, err := os.Stat(p)
			if err != nil {
				return fmt.Errorf("tensor %q: external data: %w (keep data files next to the model)", Shorten(t.Name()), err)
			}
			size = st.Size()
			sizes[p] = size
			m.FileBytes += size
		}
		need := ByteSize(t.Header.GetDataType(), t.Elements())
		length := ref.length
		if length < 0 {
			length = size - ref.offset
		}
		if ref.offset > size || length > size-ref.offset || (need >= 0 && length < need) {
			return fmt.Errorf("tensor %q: external data (offset %d, length %d) does not fit %s (%d bytes) or the tensor's %d bytes", Shorten(t.Name()), ref.offset, length, ref.location, size, need)
		}
		if t.Elements() <= MaxDecodedElements && IsIntType(t.Header.GetDataType()) {
			buf, err := readAt(p, ref.offset, length)
			if err != nil {
				return fmt.Errorf("tensor %q: external data: %w", Shorten(t.Name()), err)
			}
			full := &onnx.TensorProto{Dims: t.Header.GetDims(), DataType: t.Header.GetDataType(), RawData: buf}
			if err := t.setValues(full); err != nil {
				return fmt.Errorf("tensor %q: %w", Shorten(t.Name()), err)
			}
		}
	}
	return nil
}

// readAt reads length bytes at offset from the file at path.
func readAt(path string, offset, length int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, length)
	if _, err := f.ReadAt(buf, offset); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf, nil
}
