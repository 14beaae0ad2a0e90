package flops

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/dnnbench/dnnbench/internal/onnxgraph"
)

// maxRank bounds tensor ranks during inference; ONNX models stay far below it.
const maxRank = 64

// value is what inference knows about one tensor: its element type, its
// shape (dims of -1 are unknown; rank -1 is unknown) and, for small
// constants, its values.
type value struct {
	dtype  int32
	rank   int
	dims   []int64
	ints   []int64   // constant integer/bool values, row-major
	floats []float64 // constant float values, row-major
	// isConst is true when the values are known (ints or floats set).
	isConst bool
	// stored is true for initializers: weights, not activations.
	stored bool
}

// unknownValue is a tensor of unknown type and shape.
func unknownValue() *value { return &value{rank: -1} }

// shaped returns a value with the given type and dims (copied).
func shaped(dt int32, dims []int64) *value {
	return &value{dtype: dt, rank: len(dims), dims: append([]int64{}, dims...)}
}

// known reports whether the rank and every dim are known.
func (v *value) known() bool {
	if v == nil || v.rank < 0 {
		return false
	}
	for _, d := range v.dims {
		if d < 0 {
			return false
		}
	}
	return true
}

// elems returns the element count, -1 if the shape is not fully known.
func (v *value) elems() int64 {
	if !v.known() {
		return -1
	}
	n := int64(1)
	for _, d := range v.dims {
		n = mulSat(n, d)
	}
	return n
}

// constInts returns the values of an integer constant.
func (v *value) constInts() ([]int64, bool) {
	if v == nil || !v.isConst {
		return nil, false
	}
	if v.ints != nil || (v.floats == nil && v.elems() == 0) {
		return v.ints, true
	}
	return nil, false
}

// constNums returns a constant's values as float64, whatever its type.
func (v *value) constNums() ([]float64, bool) {
	if v == nil || !v.isConst {
		return nil, false
	}
	if v.floats != nil {
		return v.floats, true
	}
	out := make([]float64, len(v.ints))
	for i, x := range v.ints {
		out[i] = float64(x)
	}
	return out, true
}

// withInts returns a constant integer value of the given type and dims.
func withInts(dt int32, dims []int64, ints []int64) *value {
	v := shaped(dt, dims)
	v.ints, v.isConst = ints, true
	if v.ints == nil {
		v.ints = []int64{}
	}
	return v
}

// withFloats returns a constant float value of the given type and dims.
func withFloats(dt int32, dims []int64, floats []float64) *value {
	v := shaped(dt, dims)
	v.floats, v.isConst = floats, true
	if v.floats == nil {
		v.floats = []float64{}
	}
	return v
}

// Inference is the result of shape inference over a model's main graph at
// one batch size.
type Inference struct {
	// Batch is the batch size symbolic batch dims were bound to.
	Batch int64
	// Order is the node indices in a topological order.
	Order []int
	// Warnings lists what inference could not do, sorted and deduplicated.
	Warnings []string

	values map[string]*value
	// failed maps node index to why its outputs could not be inferred.
	failed map[int]string
}

// Shape returns the inferred dims of the named tensor; ok is false when its
// shape is not fully known.
func (in *Inference) Shape(name string) (dims []int64, ok bool) {
	v := in.values[name]
	if !v.known() {
		return nil, false
	}
	return append([]int64{}, v.dims...), true
}

// Constant returns the folded integer values of a tensor that inference
// evaluated (shape subgraphs), if it did.
func (in *Inference) Constant(name string) ([]int64, bool) {
	v, ok := in.values[name]
	if !ok {
		return nil, false
	}
	ints, ok := v.constInts()
	return append([]int64{}, ints...), ok
}

// errCycle reports a graph whose nodes cannot be ordered.
var errCycle = errors.New("graph has a cycle or a node input that is never produced")

// InferShapes infers every tensor's shape in the model's main graph with the
// batch dim bound to batch, folding shape subgraphs to constants. Symbolic
// leading dims of graph inputs are the batch; other symbolic input dims take
// their value from dims by name (nil binds none), or stay unknown. Where an
// op cannot be inferred, the shapes the file records in value_info or graph
// outputs are used instead, and a warning says so.
func InferShapes(m *Model, batch int64, dims map[string]int64) (*Inference, error) {
	in, err := inferShapes(context.Background(), m, batch, dims)
	if err != nil {
		return nil, fmt.Errorf("flops: %w", err)
	}
	return in, nil
}

// inferShapes is InferShapes, checking ctx before each node and returning
// ctx's error once it is done.
func inferShapes(ctx context.Context, m *Model, batch int64, bind map[string]int64) (*Inference, error) {
	if batch < 1 {
		return nil, fmt.Errorf("batch %d must be at least 1", batch)
	}
	g := &m.Graph
	in := &Inference{Batch: batch, values: map[string]*value{}, failed: map[int]string{}}
	warn := map[string]bool{}
	if v := m.Opset(); v < 7 || v > 21 {
		warn[fmt.Sprintf("opset %d is outside the supported 7–21; ops that changed may be miscounted", v)] = true
	}
	for _, t := range g.Initializers {
		v := shaped(t.Header.GetDataType(), t.Header.GetDims())
		v.stored = true
		if t.Ints != nil {
			v.ints, v.isConst = t.Ints, true
		} else if t.Floats != nil {
			v.floats, v.isConst = t.Floats, true
		}
		in.values[t.Name()] = v
	}
	syms := map[string]int64{}
	for _, name := range sortedKeys(bind) {
		if bind[name] < 1 {
			return nil, fmt.Errorf("dim %q = %d must be at least 1", onnxgraph.Shorten(name), bind[name])
		}
		syms[name] = bind[name]
	}
	for _, vi := range g.Inputs {
		if _, isInit := in.values[vi.GetName()]; isInit {
			continue
		}
		dt, dims, ok := valueInfoShape(vi, bind)
		if !ok {
			in.values[vi.GetName()] = unknownValue()
			warn[fmt.Sprintf("input %q has no tensor shape", onnxgraph.Shorten(vi.GetName()))] = true
			continue
		}
		tdims := vi.GetType().GetTensorType().GetShape().GetDim()
		if len(tdims) > 0 && tdims[0].GetDimParam() != "" {
			syms[tdims[0].GetDimParam()] = batch
			dims[0] = batch
		}
		if len(dims) > 0 && dims[0] < 0 {
			dims[0] = batch
		} else if len(dims) > 0 && dims[0] != batch && batch != 1 {
			warn[fmt.Sprintf("input %q has a fixed batch of %d; counted at that size, not %d", onnxgraph.Shorten(vi.GetName()), dims[0], batch)] = true
		}
		for _, d := range dims[min(1, len(dims)):] {
			if d < 0 {
				warn[fmt.Sprintf("input %q has symbolic non-batch dims; shapes that depend on them are unknown (bind them with Config.Dims)", onnxgraph.Shorten(vi.GetName()))] = true
				break
			}
		}
		in.values[vi.GetName()] = shaped(dt, dims)
	}
	recorded := map[string]*onnx.ValueInfoProto{}
	for _, vi := range g.ValueInfo {
		recorded[vi.GetName()] = vi
	}
	for _, vi := range g.Outputs {
		recorded[vi.GetName()] = vi
	}
	order, err := topoOrder(g, in.values)
	if err != nil {
		return nil, err
	}
	in.Order = order
	for _, i := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := g.Nodes[i]
		ins := make([]*value, len(n.Proto.GetInput()))
		for j, name := range n.Proto.GetInput() {
			if name == "" {
				continue
			}
			v, ok := in.values[name]
			if !ok {
				v = unknownValue()
			}
			ins[j] = v
		}
		outs, err := inferNode(n, ins)
		if err != nil {
			in.failed[i] = err.Error()
			outs = nil
		}
		for j, name := range n.Proto.GetOutput() {
			if name == "" {
				continue
			}
			var v *value
			if j < len(outs) && outs[j] != nil {
				v = outs[j]
			} else {
				v = unknownValue()
			}
			if !v.known() {
				if vi, ok := recorded[name]; ok {
					if dt, dims, ok := valueInfoShape(vi, syms); ok && (v.rank < 0 || v.rank == len(dims)) {
						if v.rank < 0 {
							v = shaped(dt, dims)
						}
						for k := range v.dims {
							if v.dims[k] < 0 {
								v.dims[k] = dims[k]
							}
						}
						if v.dtype == 0 {
							v.dtype = dt
						}
						if v.known() {
							warn[fmt.Sprintf("%s: shapes taken from the file's value_info", n.OpType())] = true
						}
					}
				}
			}
			in.values[name] = v
		}
	}
	in.Warnings = sortedKeys(warn)
	return in, nil
}

// valueInfoShape converts a ValueInfoProto's tensor type to dims, binding
// symbolic dims from syms and leaving others as -1. ok is false when it has
// no tensor shape.
func valueInfoShape(vi *onnx.ValueInfoProto, syms map[string]int64) (dt int32, dims []int64, ok bool) {
	tt := vi.GetType().GetTensorType()
	if tt == nil || tt.GetShape() == nil {
		return 0, nil, false
	}
	ds := tt.GetShape().GetDim()
	if len(ds) > maxRank {
		return 0, nil, false
	}
	dims = make([]int64, len(ds))
	for i, d := range ds {
		switch {
		case d.GetDimParam() != "":
			if b, ok := syms[d.GetDimParam()]; ok {
				dims[i] = b
			} else {
				dims[i] = -1
			}
		case d.GetDimValue() > 0:
			dims[i] = d.GetDimValue()
		default:
			dims[i] = -1
		}
	}
	return tt.GetElemType(), dims, true
}

// topoOrder returns node indices so that every node follows the producers
// of its inputs, keeping file order where the file is already sorted.
func topoOrder(g *Graph, available map[string]*value) ([]int, error) {
	producer := map[string]int{}
	for i, n := range g.Nodes {
		for _, o := range n.Proto.GetOutput() {
			if o != "" {
				if _, dup := producer[o]; !dup {
					producer[o] = i
				}
			}
		}
	}
	indeg := make([]int, len(g.Nodes))
	users := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		for _, name := range n.Proto.GetInput() {
			if name == "" {
				continue
			}
			p, ok := producer[name]
			if !ok {
				if _, ok := available[name]; !ok {
					return nil, fmt.Errorf("node %s (%s): input %q is not a graph input, initializer or node output", nodeLabel(n, i), n.OpType(), name)
				}
				continue
			}
			if p == i {
				return nil, fmt.Errorf("node %s (%s): %w", nodeLabel(n, i), n.OpType(), errCycle)
			}
			indeg[i]++
			users[p] = append(users[p], i)
		}
	}
	// A min-heap on index keeps file order among ready nodes.
	ready := &intHeap{}
	for i, d := range indeg {
		if d == 0 {
			ready.push(i)
		}
	}
	order := make([]int, 0, len(g.Nodes))
	for ready.len() > 0 {
		i := ready.pop()
		order = append(order, i)
		for _, u := range users[i] {
			indeg[u]--
			if indeg[u] == 0 {
				ready.push(u)
			}
		}
	}
	if len(order) != len(g.Nodes) {
		for i, d := range indeg {
			if d > 0 {
				return nil, fmt.Errorf("node %s (%s): %w", nodeLabel(g.Nodes[i], i), g.Nodes[i].OpType(), errCycle)
			}
		}
		return nil, errCycle
	}
	return order, nil
}

// nodeLabel names a node for messages: its name (quoted, shortened), or
// #index when unnamed.
func nodeLabel(n *Node, i int) string {
	if name := n.Proto.GetName(); name != "" {
		return fmt.Sprintf("%q", onnxgraph.Shorten(name))
	}
	return fmt.Sprintf("#%d", i)
}

// intHeap is a min-heap of ints.
type intHeap struct{ a []int }

func (h *intHeap) len() int { return len(h.a) }

func (h *intHeap) push(x int) {
	h.a = append(h.a, x)
	for i := len(h.a) - 1; i > 0; {
		p := (i - 1) / 2
		if h.a[p] <= h.a[i] {
			break
		}
		h.a[p], h.a[i] = h.a[i], h.a[p]
		i = p
	}
}

func (h *intHeap) pop() int {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	for i := 0; ; {
		l, r, s := 2*i+1, 2*i+2, i
		if l < last && h.a[l] < h.a[s] {
			s = l
		}
		if r < last && h.a[r] < h.a[s] {
			s = r
		}
		if s == i {
			break
		}
		h.a[s], h.a[i] = h.a[i], h.a[s]
		i = s
	}
	return top
}

// in returns input i, or nil when absent.
func in(ins []*value, i int) *value {
	if i < len(ins) {
		return ins[i]
	}
	return nil
}

// need returns input i or an error naming it when it is absent or has unknown rank.
func need(ins []*value, i int) (*value, error) {
	v := in(ins, i)
	if v == nil {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	if v.rank < 0 {
		return nil, fmt.Errorf("input %d has unknown shape", i)
	}
	return v, nil
}

// need2 returns inputs i and j, or an error naming the first that is absent
// or has unknown rank.
func need2(ins []*value, i, j int) (*value, *value, error) {
	x, err := need(ins, i)
	if err != nil {
		return nil, nil, err
	}
	y, err := need(ins, j)
	if err != nil {
		return nil, nil, err
	}
	return x, y, nil
}

// needInts returns input 0 and the integers of input 1 or, in older
// opsets, of attribute name (see intsFrom).
func needInts(n *Node, ins []*value, name string) (x *value, vals []int64, present bool, err error) {
	x, err = need(ins, 0)
	if err != nil {
		return nil, nil, false, err
	}
	vals, present, err = intsFrom(n, ins, 1, name)
	if err != nil {
		return nil, nil, false, err
	}
	return x, vals, present, nil
}

// intsFrom returns integer values from input i when present and constant,
// else from attribute name. present is false when neither gives them.
func intsFrom(n *Node, ins []*value, i int, name string) (vals []int64, present bool, err error) {
	if v := in(ins, i); v != nil {
		ints, ok := v.constInts()
		if !ok {
			return nil, true, fmt.Errorf("input %d (%s) is not a constant", i, name)
		}
		return ints, true, nil
	}
	if a, ok := (attrs{n}).ints(name); ok {
		return a, true, nil
	}
	return nil, false, nil
}

// attrs gives typed access to a node's attributes.
type attrs struct{ n *Node }

func (a attrs) get(name string) *onnx.AttributeProto {
	for _, at := range a.n.Proto.GetAttribute() {
		if at.GetName() == name {
			return at
		}
	}
	return nil
}

func (a attrs) int(name string, def int64) int64 {
	if at := a.get(name); at != nil {
		return at.GetI()
	}
	return def
}

func (a attrs) ints(name string) ([]int64, bool) {
	if at := a.get(name); at != nil {
		return at.GetInts(), true
	}
	return nil, false
}

func (a attrs) floats(name string) ([]float64, bool) {
	at := a.get(name)
	if at == nil {
		return nil, false
	}
	out := make([]float64, len(at.GetFloats()))
	for i, f := range at.GetFloats() {
		out[i] = float64(f)
	}
	return out, true
}

func (a attrs) str(name, def string) string {
	if at := a.get(name); at != nil {
		return string(at.GetS())
	}
	return def
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis int64, rank int) (int, error) {
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	return int(axis), nil
}

// broadcastDims applies multidirectional (numpy) broadcasting.
func broadcastDims(shapes ...[]int64) ([]int64, error) {
	rank := 0
	for _, s := range shapes {
		rank = max(rank, len(s))
	}
	out := make([]int64, rank)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for i, d := range s {
			o := &out[off+i]
			switch {
			case d == 1:
			case *o == 1:
				*o = d
			case d < 0:
				// Unknown: keep a known non-1 dim, since broadcasting requires equality.
			case *o < 0:
				*o = d
			case *o != d:
				return nil, fmt.Errorf("cannot broadcast dims %v", shapes)
			}
		}
	}
	return out, nil
}

// strides returns row-major strides of dims.
func strides(dims []int64) []int64 {
	s := make([]int64, len(dims))
	acc := int64(1)
	for i := len(dims) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= dims[i]
	}
	return s
}

// broadcastIndex maps a flat output index to a flat index into an input of
// dims in broadcasting against out.
func broadcastIndex(flat int64, out, outStrides, dims, inStrides []int64) int64 {
	off := len(out) - len(dims)
	idx := int64(0)
	for i := range out {
		c := (flat / outStrides[i]) % out[i]
		if i >= off && dims[i-off] != 1 {
			idx += c * inStrides[i-off]
		}
	}
	return idx
}

// foldable reports whether an output of n elements may be computed.
func foldable(n int64) bool { return n >= 0 && n <= onnxgraph.MaxDecodedElements }

// isFloatVal reports whether a value is of a floating-point type or holds float values.
func isFloatVal(v *value) bool { return v.floats != nil || onnxgraph.IsFloatType(v.dtype) }

// toInt converts a float result to an integer the way Cast does, saturating.
func toInt(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}
