package onnxgraph

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// Value is a graph input or output.
type Value struct {
	Name string
	// ElemType is the ONNX TensorProto data type (1 = float32); 0 for non-tensors.
	ElemType int32
	// Shape has -1 for dynamic or unknown dims; nil when the shape is absent.
	Shape []int64
}

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
// outputs of the ONNX model at path, which must be a regular file. Weight
// payloads and external data files are not read.
func IO(path string) (inputs, outputs []Value, err error) {
	if err := Regular(path); err != nil {
		return nil, nil, err
	}
	m, err := readFile(path)
	if err != nil {
		return nil, nil, err
	}
	if m.IRVersion == 0 {
		return nil, nil, notONNX{errors.New("no ir_version")}
	}
	inits := map[string]bool{}
	for _, t := range m.Graph.Initializers {
		inits[t.Name()] = true
	}
	for _, in := range m.Graph.Inputs {
		if !inits[in.GetName()] {
			inputs = append(inputs, value(in))
		}
	}
	for _, o := range m.Graph.Outputs {
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
