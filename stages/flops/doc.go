// Package flops counts the parameters, multiply-accumulates, FLOPs and
// activation memory of an ONNX model, from the graph the runtime executes.
// Run counts the files it is given, one Row each; Analyze counts a model
// already read and also returns per-node counts and the inferred shapes.
//
// # Reading
//
// Read (through internal/onnxgraph, which session setup also uses) maps
// the file read-only and walks ModelProto and GraphProto with
// protowire. Nodes, value_info, inputs, outputs and tensor headers are
// unmarshalled with the generated types of
// github.com/advancedclimatesystems/gonnx/onnx; the payload of every large
// tensor (raw_data, float_data, …) is skipped, so memory stays far below
// the file size. Tensors of at most onnxgraph.MaxDecodedElements
// elements keep their values, which shape folding needs. External data files must lie inside
// the model's directory; only their sizes and the values of small integer
// tensors are read. Graph-valued attributes (If, Loop, Scan bodies) are not
// read; such nodes are unknown ops.
//
// # Shapes
//
// InferShapes binds the symbolic (or missing) leading dim of every graph
// input to the batch size (and other symbolic dims named in Config.Dims to
// their values) and infers each node's output shapes in
// topological order. Shape subgraphs (Shape, Gather, Slice, Concat,
// Unsqueeze, Squeeze, Reshape, Cast, Range, ConstantOfShape, Constant,
// Expand, Where, Equal and integer or float arithmetic) are evaluated on
// their constant values. Attributes that became inputs in later opsets
// (Split's split and Squeeze/Unsqueeze's axes at 13, Reduce axes at 18,
// Pad's pads at 11, Slice's starts/ends at 10, Clip's min/max at 11) are
// accepted in either form. QLinearConv, ConvInteger, QLinearMatMul and
// MatMulInteger take Conv's and MatMul's shape rules on their data inputs;
// their outputs are int32 (the Integer ops) or of y_zero_point's type
// (uint8 when absent). QuantizeLinear, DequantizeLinear and
// DynamicQuantizeLinear keep their input's shape; DequantizeLinear's output
// has its scale's type. ONNX Runtime's com.microsoft quantized ops listed
// under the counting rules take their float twins' shape rules on their
// data inputs (channels_last pooling only for QLinearGlobalAveragePool);
// other com.microsoft ops are unknown. Where a node cannot be inferred, dims recorded in
// the file's value_info or graph outputs are used.
//
// # Counting rules
//
// All counts are for Config.Batch (default 1), the batch of flops.csv.
//
//   - Params: elements of floating-point initializers (float, float16,
//     bfloat16, double, float8/4), whether or not a node uses them, except
//     those a BatchNormalization node takes as input 3 or 4 (running mean
//     and variance), directly or through Identity, Dropout, Cast,
//     CastLike, Reshape, Flatten, Squeeze or Unsqueeze. BatchNormalization
//     scale and bias are parameters, except where the exporter stored one
//     tensor for both a statistic and a scale or bias (PyTorch ≥ 1.13 does
//     so for equal values, e.g. a freshly initialised network's zeros and
//     ones): that tensor counts as a statistic.
//     Integer and bool initializers (shape constants) are not, except the
//     integer data of quantized models: the data inputs of QLinearConv,
//     ConvInteger, QLinearMatMul, MatMulInteger and the com.microsoft ops
//     below, the int32 biases of QLinearConv (input 8) and QGemm (input 6)
//     and input 0 of DequantizeLinear are parameters, and the scales and
//     zero points of every quantized op are not, so a quantized model
//     has as many parameters as its float twin. Float
//     tensors held in Constant nodes are not initializers and are not
//     counted. Per op type, an initializer is credited to the first node
//     that reads it; one no node reads is in Params but in no op row.
//   - MACs: Conv: output elements × (input channels / group) × kernel
//     elements, which covers grouped, depthwise and dilated convolutions
//     (dilation changes the output size, not the work per output).
//     ConvTranspose: input elements × (output channels / group) × kernel
//     elements. Gemm: M × K × N. MatMul: broadcast batch dims × M × K × N,
//     with numpy's rules for 1-D operands. The quantized forms count as
//     their float twins on their data inputs: QLinearConv (x input 0, w
//     input 3) and ConvInteger (x 0, w 1) as Conv, QLinearMatMul (a 0, b 3)
//     and MatMulInteger (a 0, b 1) as MatMul, and ONNX Runtime's
//     com.microsoft QGemm (a 0, b 3, bias 6) as Gemm; their MACs are also summed
//     apart as IntMACs (flops.csv's int_macs), so a quantized model has the
//     macs and flops of its float twin and says how many were on integers.
//   - FLOPs: 2 per MAC; plus one per output element for a bias added by
//     Conv, ConvTranspose or Gemm (input 2 present) or QLinearConv (input 8
//     present); integer MACs count two operations like float ones, and
//     requantisation inside QLinearConv and QLinearMatMul is free; Gemm's alpha and beta
//     scalings are free. Every other counted op costs one FLOP per element
//     of its first output: elementwise arithmetic and comparisons,
//     activations (Relu, Clip, Sigmoid, HardSigmoid, HardSwish, Gelu, Erf,
//     Tanh, Softmax, …), normalisations (BatchNormalization,
//     LayerNormalization, InstanceNormalization, LRN), pooling (MaxPool,
//     AveragePool and the global pools: one per output element, not per
//     window element), reductions (ReduceMean, …), Resize, and the
//     elementwise quantisation ops QuantizeLinear, DequantizeLinear and
//     DynamicQuantizeLinear (one per element of its quantized output; its
//     scale and zero point are free), and ONNX Runtime's com.microsoft
//     QLinearAdd, QLinearMul, QLinearSigmoid, QLinearLeakyRelu,
//     QLinearSoftmax, QLinearGlobalAveragePool and QLinearAveragePool
//     (QLinearConcat is free). Data movement
//     (Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split, Slice,
//     Gather, Pad, Expand, Tile, Cast, Identity, Dropout) and shape ops
//     (Shape, Size, Constant, ConstantOfShape, Range) cost zero. A node
//     whose outputs inference evaluated to constants (shape arithmetic)
//     costs zero whatever its type.
//   - PaperMACs: MACs of Conv and ConvTranspose (and QLinearConv and
//     ConvInteger) only, as the paper's code counted convolutions.
//   - ActivationBytes: bytes of every tensor a node produces at run time
//     (graph outputs included; graph inputs, initializers and folded
//     constants excluded).
//   - PeakActivationBytes: walking the nodes in topological order, the
//     largest total of simultaneously live tensors, graph inputs included.
//     A tensor is live from the node that produces it until its last
//     reader (graph outputs until the end); Reshape, Flatten, Squeeze,
//     Unsqueeze, Identity and Dropout share their input's buffer.
//   - WeightBytes and IOBytesPerImage, the bytes moved a roofline divides
//     FLOPs by (bytes at batch B = WeightBytes + B × IOBytesPerImage), count
//     only the nodes that read memory: not folded shape arithmetic, Constant
//     nodes, or Reshape, Flatten, Squeeze, Unsqueeze, Identity and Dropout,
//     whose output shares its input's buffer. WeightBytes: the bytes of every
//     constant tensor (initializer, Constant node output, folded constant)
//     such a node reads, each once. IOBytesPerImage: the bytes of every other
//     input (activations, graph inputs included), once per input slot, plus
//     those of every output that is not a constant, summed over those nodes
//     at Config.Batch and divided by it.
//
// The rules live with their op family: ops_conv.go, ops_matmul.go,
// ops_pool.go, ops_norm.go, ops_elementwise.go, ops_reduce.go,
// ops_resize.go, ops_shape.go and ops_quant.go, one rule per op type.
//
// An op type outside these rules (or outside the default domain) is listed
// in unknown_ops and warned about, and contributes zero; its outputs take
// shapes from value_info where the file has them so the rest of the model
// is still counted. A known node whose shapes cannot be inferred is named in
// a warning and counted in UncountedNodes. Warnings never stop counting.
package flops
