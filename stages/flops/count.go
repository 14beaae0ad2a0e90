package flops

import (
	"context"
	"fmt"
	"strings"

	"github.com/dnnbench/dnnbench/internal/onnxgraph"
)

// Config configures counting.
type Config struct {
	// Batch is the batch size symbolic batch dims are bound to; 0 means 1.
	Batch int64
	// Dims binds other symbolic input dims by name, e.g. {"height": 224,
	// "width": 224} for a model exported with dynamic spatial axes; nil
	// leaves them unknown (and what depends on them uncounted, with a warning).
	Dims map[string]int64
}

// NodeCount is one node's share of the counts.
type NodeCount struct {
	// Index is the node's position in the file.
	Index int
	Name  string
	// Op is the op type, domain-qualified outside the default domain.
	Op     string
	Params int64
	MACs   int64
	FLOPs  int64
	// Counted is false when the op is unknown or its shapes could not be inferred.
	Counted bool
	// Folded is true when every output was evaluated as a constant (shape arithmetic).
	Folded bool
	// Output is the inferred dims of output 0, nil when unknown.
	Output []int64
}

// Analysis is everything Analyze computes for one model.
type Analysis struct {
	Row   Row
	Ops   []OpRow
	Nodes []NodeCount
	// Shapes are the inferred shapes; Row.Warnings holds the warnings, sorted.
	Shapes *Inference
}

// Analyze infers shapes and counts parameters, MACs, FLOPs and activation
// memory of a model read by Read or ReadBytes, with its per-node counts and
// inferred shapes. It errors when cfg binds a dim below 1 or the graph
// cannot be ordered (a cycle, an input nobody produces).
func Analyze(m *Model, cfg Config) (*Analysis, error) {
	res, err := analyze(context.Background(), m, cfg)
	if err != nil {
		return nil, fmt.Errorf("flops: %w", err)
	}
	return res, nil
}

// analyze is Analyze, checking ctx before each node it infers or counts
// and returning ctx's error once it is done.
func analyze(ctx context.Context, m *Model, cfg Config) (*Analysis, error) {
	batch := cfg.Batch
	if batch == 0 {
		batch = 1
	}
	inf, err := inferShapes(ctx, m, batch, cfg.Dims)
	if err != nil {
		return nil, err
	}
	g := &m.Graph
	res := &Analysis{Shapes: inf}
	warn := map[string]bool{}
	for _, w := range inf.Warnings {
		warn[w] = true
	}

	// Parameters: float initializers, minus BatchNormalization running statistics.
	inits := map[string]*Tensor{}
	for _, t := range g.Initializers {
		inits[t.Name()] = t
	}
	runningStats := runningStatistics(g)
	quantWeights, quantScales := quantizedTensors(g)
	isParam := func(name string) bool {
		t, ok := inits[name]
		if !ok || quantScales[name] {
			return false
		}
		return quantWeights[name] || onnxgraph.IsFloatType(t.Header.GetDataType()) && !runningStats[name]
	}
	seenInit := map[string]bool{}
	for _, t := range g.Initializers {
		if !seenInit[t.Name()] && isParam(t.Name()) {
			res.Row.Params = addSat(res.Row.Params, t.Elements())
		}
		seenInit[t.Name()] = true
	}

	attributed := map[string]bool{}
	unknown := map[string]int{}
	uncounted := map[string][]string{}
	for _, i := range inf.Order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := g.Nodes[i]
		nc := NodeCount{Index: i, Name: n.Proto.GetName(), Op: n.OpType()}
		for _, name := range n.Proto.GetInput() {
			if name != "" && !attributed[name] && isParam(name) {
				attributed[name] = true
				nc.Params = addSat(nc.Params, inits[name].Elements())
			}
		}
		outs := n.Proto.GetOutput()
		if len(outs) > 0 {
			if d, ok := inf.Shape(outs[0]); ok {
				nc.Output = d
			}
		}
		nc.Folded = len(outs) > 0
		for _, o := range outs {
			if v := inf.values[o]; o != "" && (v == nil || !v.isConst) {
				nc.Folded = false
			}
		}
		if n.Subgraphs > 0 {
			warn[fmt.Sprintf("%s: ops inside its subgraphs are not counted", n.OpType())] = true
		}
		r, known := ruleOf(n)
		switch {
		case !known:
			unknown[nc.Op]++
		case nc.Folded || r.kind == kindFree:
			nc.Counted = true
		default:
			macs, flops, err := countNode(n, r, inf)
			if err != nil {
				reason := err.Error()
				if why, ok := inf.failed[i]; ok {
					reason = why
				}
				uncounted[nc.Op] = append(uncounted[nc.Op], nodeLabel(n, i)+": "+reason)
			} else {
				nc.Counted, nc.MACs, nc.FLOPs = true, macs, flops
			}
		}
		res.Row.MACs = addSat(res.Row.MACs, nc.MACs)
		res.Row.FLOPs = addSat(res.Row.FLOPs, nc.FLOPs)
		if r.integer {
			res.Row.IntMACs = addSat(res.Row.IntMACs, nc.MACs)
		}
		if r.conv {
			res.Row.PaperMACs = addSat(res.Row.PaperMACs, nc.MACs)
		}
		if !nc.Counted {
			res.Row.UncountedNodes++
		}
		res.Nodes = append(res.Nodes, nc)
	}
	for _, op := range sortedKeys(unknown) {
		warn[fmt.Sprintf("unknown op %s (%d nodes) not counted", op, unknown[op])] = true
	}
	for _, op := range sortedKeys(uncounted) {
		list := uncounted[op]
		more := ""
		if len(list) > 3 {
			more = fmt.Sprintf(" and %d more", len(list)-3)
			list = list[:3]
		}
		warn[fmt.Sprintf("%s: %d nodes not counted, shapes unknown (%s%s)", op, len(uncounted[op]), strings.Join(list, ", "), more)] = true
	}

	act, peak, missing := activationMemory(g, inf)
	res.Row.ActivationBytes, res.Row.PeakActivationBytes = act, peak
	if missing > 0 {
		warn[fmt.Sprintf("%d intermediate tensors of unknown shape are left out of activation bytes", missing)] = true
	}

	weights, io := movedBytes(g, inf, res.Nodes)
	res.Row.WeightBytes, res.Row.IOBytesPerImage = weights, io/batch
	res.Row.FileBytes = m.FileBytes
	res.Row.UnknownOps = strings.Join(sortedKeys(unknown), " ")
	res.Row.Warnings = sortedKeys(warn)
	res.Ops = opRows(res.Nodes, unknown)
	return res, nil
}

// opRows sums node counts per op type, sorted by op type.
func opRows(nodes []NodeCount, unknown map[string]int) []OpRow {
	byOp := map[string]*OpRow{}
	for _, nc := range nodes {
		r, ok := byOp[nc.Op]
		if !ok {
			_, isUnknown := unknown[nc.Op]
			r = &OpRow{Op: nc.Op, Counted: !isUnknown}
			byOp[nc.Op] = r
		}
		r.Nodes++
		r.Params = addSat(r.Params, nc.Params)
		r.MACs = addSat(r.MACs, nc.MACs)
		r.FLOPs = addSat(r.FLOPs, nc.FLOPs)
	}
	rows := make([]OpRow, 0, len(byOp))
	for _, op := range sortedKeys(byOp) {
		rows = append(rows, *byOp[op])
	}
	return rows
}

// activationMemory returns the bytes of all tensors nodes produce at run
// time, a liveness-based peak of simultaneously live tensors (graph inputs
// included, alias ops sharing their input's buffer), and how many tensors
// were left out because their shape or type is unknown.
func activationMemory(g *Graph, inf *Inference) (total, peak int64, missing int) {
	bytesOf := func(name string) (int64, bool) {
		v := inf.values[name]
		if v == nil || !v.known() {
			return 0, false
		}
		b := onnxgraph.ByteSize(v.dtype, v.elems())
		return b, b >= 0
	}
	runtime := func(name string) bool {
		v := inf.values[name]
		return name != "" && v != nil && !v.isConst && !v.stored
	}
	// storage maps a tensor name to the buffer holding it.
	storage := map[string]string{}
	bufBytes := map[string]int64{}
	lastUse := map[string]int{}
	for _, vi := range g.Inputs {
		name := vi.GetName()
		if runtime(name) {
			storage[name] = name
			b, _ := bytesOf(name)
			bufBytes[name] = b
			lastUse[name] = -1
		}
	}
	for step, i := range inf.Order {
		n := g.Nodes[i]
		for j, o := range n.Proto.GetOutput() {
			if !runtime(o) {
				continue
			}
			if j == 0 && aliasOp(n.Proto.GetOpType()) && len(n.Proto.GetInput()) > 0 {
				if s, ok := storage[n.Proto.GetInput()[0]]; ok {
					storage[o] = s
				}
			}
			b, ok := bytesOf(o)
			if !ok {
				missing++
			}
			total = addSat(total, b)
			if _, ok := storage[o]; !ok {
				storage[o] = o
				bufBytes[o] = b
				lastUse[o] = step
			}
		}
		for _, name := range n.Proto.GetInput() {
			if s, ok := storage[name]; ok {
				lastUse[s] = max(lastUse[s], step)
			}
		}
	}
	end := len(inf.Order)
	for _, vi := range g.Outputs {
		if s, ok := storage[vi.GetName()]; ok {
			lastUse[s] = end
		}
	}
	// Free lists per step, in a deterministic order.
	frees := map[int][]string{}
	for _, s := range sortedKeys(lastUse) {
		frees[lastUse[s]] = append(frees[lastUse[s]], s)
	}
	live := int64(0)
	for _, vi := range g.Inputs {
		if s, ok := storage[vi.GetName()]; ok && s == vi.GetName() {
			live = addSat(live, bufBytes[s])
		}
	}
	peak = live
	for _, s := range frees[-1] {
		live -= bufBytes[s]
	}
	for step, i := range inf.Order {
		for _, o := range g.Nodes[i].Proto.GetOutput() {
			if s, ok := storage[o]; ok && s == o {
				live = addSat(live, bufBytes[s])
			}
		}
		peak = max(peak, live)
		for _, s := range frees[step] {
			live -= bufBytes[s]
		}
	}
	return total, peak, missing
}
