// Package onnxfile reads an ONNX model's graph inputs and outputs without
// loading its weights: it scans the protobuf and seeks over payloads.
package onnxfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// errNotONNX is returned for files that are not ONNX models.
var errNotONNX = errors.New("not an ONNX model (expected a protobuf ModelProto with a graph)")

// scanner reads protobuf fields from a file without loading it, skipping
// length-delimited payloads by seeking.
type scanner struct {
	f   *os.File
	r   *bufio.Reader
	pos int64
}

func (s *scanner) varint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		b, err := s.r.ReadByte()
		if err != nil {
			return 0, err
		}
		s.pos++
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("varint overflow")
}

func (s *scanner) skip(n int64) error {
	if n <= int64(s.r.Buffered()) {
		_, err := s.r.Discard(int(n))
		s.pos += n
		return err
	}
	s.pos += n
	if _, err := s.f.Seek(s.pos, io.SeekStart); err != nil {
		return err
	}
	s.r.Reset(s.f)
	return nil
}

func (s *scanner) bytes(n int64) ([]byte, error) {
	b := make([]byte, n)
	_, err := io.ReadFull(s.r, b)
	s.pos += n
	return b, err
}

// field reads one tag and returns its number, type and, for length-delimited
// fields, the payload length (the payload is not consumed).
func (s *scanner) field(end int64) (protowire.Number, protowire.Type, int64, error) {
	tag, err := s.varint()
	if err != nil {
		return 0, 0, 0, err
	}
	num, typ := protowire.Number(tag>>3), protowire.Type(tag&7)
	if num < 1 {
		return 0, 0, 0, errNotONNX
	}
	switch typ {
	case protowire.VarintType:
		_, err = s.varint()
		return num, typ, 0, err
	case protowire.Fixed32Type:
		return num, typ, 0, s.skip(4)
	case protowire.Fixed64Type:
		return num, typ, 0, s.skip(8)
	case protowire.BytesType:
		n, err := s.varint()
		if err != nil {
			return 0, 0, 0, err
		}
		if int64(n) > end-s.pos {
			return 0, 0, 0, errNotONNX
		}
		return num, typ, int64(n), nil
	}
	return 0, 0, 0, errNotONNX
}

// Value is a graph input or output.
type Value struct {
	Name string
	// ElemType is the ONNX TensorProto data type (1 = float32); 0 for non-tensors.
	ElemType int32
	// Shape has -1 for dynamic or unknown dims; nil when the shape is absent.
	Shape []int64
}

// ErrNotONNX is returned for files that are not ONNX models.
var ErrNotONNX = errNotONNX

// Regular checks, before anything opens it, that path names a regular file
// (symbolic links are followed): opening a FIFO blocks until a writer comes,
// a device such as /dev/zero reads forever, and a directory is no model.
func Regular(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if target, lerr := os.Readlink(path); lerr == nil {
			return fmt.Errorf("%s is a symbolic link to %s: %w", path, target, fs.ErrNotExist)
		}
		return fmt.Errorf("%s: %w", path, fs.ErrNotExist)
	}
	if err != nil {
		return err
	}
	switch m := st.Mode(); {
	case m.IsDir():
		return fmt.Errorf("%s is a directory, not an ONNX file", path)
	case !m.IsRegular():
		return fmt.Errorf("%s is not a regular file (%s); a model must be an ONNX file on disk, not a pipe or device", path, kind(m))
	}
	return nil
}

// kind names a non-regular file type.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "mode " + m.String()
}

// IO returns the graph inputs that are not initializers and the graph
// outputs of the ONNX model at path, which must be a regular file.
func IO(path string) (inputs, outputs []Value, err error) {
	if err := Regular(path); err != nil {
		return nil, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	s := &scanner{f: f, r: bufio.NewReaderSize(f, 1<<16)}
	end := st.Size()
	var graphStart, graphLen int64 = -1, 0
	sawIR := false
	for s.pos < end {
		num, typ, n, err := s.field(end)
		if err != nil {
			return nil, nil, errNotONNX
		}
		if num == 1 && typ == protowire.VarintType {
			sawIR = true
		}
		if typ == protowire.BytesType {
			if num == 7 {
				graphStart, graphLen = s.pos, n
			}
			if err := s.skip(n); err != nil {
				return nil, nil, errNotONNX
			}
		}
	}
	if graphStart < 0 || !sawIR {
		return nil, nil, errNotONNX
	}
	if _, err := f.Seek(graphStart, io.SeekStart); err != nil {
		return nil, nil, err
	}
	s = &scanner{f: f, r: bufio.NewReaderSize(f, 1<<16), pos: graphStart}
	gend := graphStart + graphLen
	var ins, outs []*onnx.ValueInfoProto
	inits := map[string]bool{}
	for s.pos < gend {
		num, typ, n, err := s.field(gend)
		if err != nil {
			return nil, nil, fmt.Errorf("corrupt graph: %w", err)
		}
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case 11, 12: // input, output
			b, err := s.bytes(n)
			if err != nil {
				return nil, nil, err
			}
			vi := &onnx.ValueInfoProto{}
			if err := proto.Unmarshal(b, vi); err != nil {
				return nil, nil, fmt.Errorf("corrupt graph input or output: %w", err)
			}
			if num == 11 {
				ins = append(ins, vi)
			} else {
				outs = append(outs, vi)
			}
		case 5: // initializer: read only its name (field 8) from the header
			start := s.pos
			for s.pos < start+n {
				tn, tt, tl, err := s.field(start + n)
				if err != nil {
					return nil, nil, fmt.Errorf("corrupt initializer: %w", err)
				}
				if tt == protowire.BytesType {
					if tn == 8 {
						b, err := s.bytes(tl)
						if err != nil {
							return nil, nil, err
						}
						inits[string(b)] = true
					} else if err := s.skip(tl); err != nil {
						return nil, nil, err
					}
				}
			}
		default:
			if err := s.skip(n); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, in := range ins {
		if !inits[in.GetName()] {
			inputs = append(inputs, value(in))
		}
	}
	for _, o := range outs {
		outputs = append(outputs, value(o))
	}
	return inputs, outputs, nil
}

func value(vi *onnx.ValueInfoProto) Value {
	v := Value{Name: vi.GetName()}
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		return v
	}
	v.ElemType = tt.GetElemType()
	if tt.GetShape() == nil {
		return v
	}
	v.Shape = []int64{}
	for _, d := range tt.GetShape().GetDim() {
		if dv, ok := d.GetValue().(*onnx.TensorShapeProto_Dimension_DimValue); ok && dv.DimValue > 0 {
			v.Shape = append(v.Shape, dv.DimValue)
		} else {
			v.Shape = append(v.Shape, -1)
		}
	}
	return v
}
