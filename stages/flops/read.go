package flops

import (
	"fmt"

	"github.com/dnnbench/dnnbench/internal/onnxgraph"
)

// The flops stage counts on the graph internal/onnxgraph reads.
type (
	// Model is an ONNX model's graph with header-only tensors.
	Model = onnxgraph.Model
	// Graph is a GraphProto with header-only tensors.
	Graph = onnxgraph.Graph
	// Node is one graph node.
	Node = onnxgraph.Node
	// Tensor is a TensorProto header with the values of small tensors.
	Tensor = onnxgraph.Tensor
)

// ErrNotONNX reports bytes that do not decode as an ONNX ModelProto with a graph.
var ErrNotONNX = onnxgraph.ErrNotONNX

// Read reads the ONNX file at path without its weight payloads (see onnxgraph.Read).
func Read(path string) (*Model, error) {
	m, err := onnxgraph.Read(path)
	if err != nil {
		return nil, fmt.Errorf("flops: %w", err)
	}
	return m, nil
}

// ReadBytes decodes a serialized ModelProto (see onnxgraph.ReadBytes).
func ReadBytes(data []byte) (*Model, error) {
	m, err := onnxgraph.ReadBytes(data)
	if err != nil {
		return nil, fmt.Errorf("flops: %w", err)
	}
	return m, nil
}
