package onnxrt

import (
	"errors"
	"fmt"
	"os"

	"github.com/advancedclimatesystems/gonnx/onnx"
	ort "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/proto"
)

// OpenSession is NewSession with the first input and output read from the
// ONNX file itself instead of from a temporary session, so the runtime
// builds the session once. The timing stage uses it so that session
// creation time is what a deployment pays, and the memory stage so that
// model loading is not done twice.
func OpenSession(path string, opt Options) (*Session, error) {
	if !ort.IsInitialized() {
		return nil, errors.New("onnxrt: runtime not initialised; call onnxrt.Init first")
	}
	in, out, err := firstIO(path)
	if err != nil {
		return nil, err
	}
	so, err := sessionOptions(opt)
	if err != nil {
		return nil, err
	}
	defer so.Destroy()
	s, err := ort.NewDynamicAdvancedSession(path, []string{in.name}, []string{out.name}, so)
	if err != nil {
		return nil, fmt.Errorf("onnxrt: %s: %w", path, err)
	}
	return &Session{s: s, in: in.name, out: out.name, inShape: in.shape, outShape: out.shape}, nil
}

// tensorInfo is a graph input or output: its name and shape (-1 = dynamic).
type tensorInfo struct {
	name  string
	shape []int64
}

// firstIO reads the first graph input that is not an initializer and the
// first output from the ONNX file at path; both must be float32 tensors.
func firstIO(path string) (in, out tensorInfo, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return in, out, fmt.Errorf("onnxrt: %w", err)
	}
	var m onnx.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		return in, out, fmt.Errorf("onnxrt: %s: not an ONNX model: %w", path, err)
	}
	g := m.GetGraph()
	if g == nil {
		return in, out, fmt.Errorf("onnxrt: %s: model has no graph", path)
	}
	inits := map[string]bool{}
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = true
	}
	var ins []*onnx.ValueInfoProto
	for _, v := range g.GetInput() {
		if !inits[v.GetName()] {
			ins = append(ins, v)
		}
	}
	if len(ins) == 0 || len(g.GetOutput()) == 0 {
		return in, out, fmt.Errorf("onnxrt: %s: model has no inputs or outputs", path)
	}
	if in, err = floatTensor(ins[0]); err != nil {
		return in, out, fmt.Errorf("onnxrt: %s: input %w", path, err)
	}
	if out, err = floatTensor(g.GetOutput()[0]); err != nil {
		return in, out, fmt.Errorf("onnxrt: %s: output %w", path, err)
	}
	return in, out, nil
}

// floatTensor checks that v is a float32 tensor and returns its shape.
func floatTensor(v *onnx.ValueInfoProto) (tensorInfo, error) {
	tt := v.GetType().GetTensorType()
	if tt == nil {
		return tensorInfo{}, fmt.Errorf("%q is not a tensor", v.GetName())
	}
	if tt.GetElemType() != int32(onnx.TensorProto_FLOAT) {
		return tensorInfo{}, fmt.Errorf("%q must be a float32 tensor (element type %d)", v.GetName(), tt.GetElemType())
	}
	if tt.GetShape() == nil {
		return tensorInfo{}, fmt.Errorf("%q has no shape", v.GetName())
	}
	ti := tensorInfo{name: v.GetName()}
	for _, d := range tt.GetShape().GetDim() {
		n := d.GetDimValue()
		if n <= 0 {
			n = -1
		}
		ti.shape = append(ti.shape, n)
	}
	return ti, nil
}
