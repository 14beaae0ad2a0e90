package flops

import "github.com/dnnbench/dnnbench/internal/onnxgraph"

// movedBytes returns the bytes a roofline divides FLOPs by (Row.WeightBytes
// and Row.IOBytesPerImage before the division by the batch): weights, the
// bytes of the constant tensors nodes read, each counted once, and io, the
// bytes nodes read from and write to activation tensors at inf.Batch.
//
// Only nodes that move data count: not the nodes inference folded (shape
// arithmetic, which ONNX Runtime's constant folding evaluates when it loads
// the model), not Constant nodes, and not the ops whose output shares its
// input's buffer (Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout;
// see aliasOp). A constant tensor is an initializer, a Constant node's
// output or a folded constant; every other tensor is an activation (graph
// inputs included). Tensors of unknown shape or type are left out, as they
// are from activation bytes.
func movedBytes(g *Graph, inf *Inference, nodes []NodeCount) (weights, io int64) {
	constOutput := map[string]bool{}
	for _, n := range g.Nodes {
		if n.OpType() == "Constant" {
			for _, o := range n.Proto.GetOutput() {
				constOutput[o] = true
			}
		}
	}
	bytesOf := func(name string) int64 {
		v := inf.values[name]
		if v == nil || !v.known() {
			return 0
		}
		return max(onnxgraph.ByteSize(v.dtype, v.elems()), 0)
	}
	isConstant := func(name string) bool {
		v := inf.values[name]
		return constOutput[name] || v != nil && (v.stored || v.isConst)
	}
	read := map[string]bool{}
	for _, nc := range nodes {
		n := g.Nodes[nc.Index]
		if nc.Folded || n.OpType() == "Constant" || aliasOp(n.Proto.GetOpType()) {
			continue
		}
		for _, name := range n.Proto.GetInput() {
			switch {
			case name == "":
			case isConstant(name):
				if !read[name] {
					read[name] = true
					weights = addSat(weights, bytesOf(name))
				}
			default:
				io = addSat(io, bytesOf(name))
			}
		}
		for _, name := range n.Proto.GetOutput() {
			if name != "" && !isConstant(name) {
				io = addSat(io, bytesOf(name))
			}
		}
	}
	return weights, io
}
