package flops

// Row is one model's complexity: the flops stage's main table.
// The first eight columns are the stable flops.csv contract.
type Row struct {
	Model string `parquet:"model"`
	// Params counts float initializer elements, excluding BatchNormalization
	// running mean/var and integer shape constants, plus the integer weights
	// of quantized ops (their scales and zero points excluded).
	Params int64 `parquet:"params"`
	// FileBytes is the ONNX file size (plus external data), in bytes.
	FileBytes int64 `parquet:"file_bytes"`
	// MACs is multiply-accumulates of Conv, ConvTranspose, Gemm and MatMul
	// and of their quantized forms (IntMACs of them) at batch 1.
	MACs int64 `parquet:"macs"`
	// FLOPs is 2×MACs plus one per output element of bias adds and of the
	// other counted ops, at batch 1 (rules in the package documentation).
	FLOPs int64 `parquet:"flops"`
	// ActivationBytes is the sum of all intermediate tensor sizes at batch 1, in bytes.
	ActivationBytes int64 `parquet:"activation_bytes"`
	// UnknownOps lists op types that were not counted, space-separated; empty when all were.
	UnknownOps string `parquet:"unknown_ops"`
	// Warnings are the stage's warnings for this model, sorted.
	Warnings []string `parquet:"warnings,list"`
	// PeakActivationBytes is a liveness-based estimate of the largest set of
	// simultaneously live intermediate tensors at batch 1, in bytes.
	PeakActivationBytes int64 `parquet:"peak_activation_bytes"`
	// PaperMACs counts convolution MACs only, as the paper's code did.
	PaperMACs int64 `parquet:"paper_macs"`
	// UncountedNodes is the number of nodes that contribute nothing because
	// their op is unknown or their shapes could not be inferred.
	UncountedNodes int64 `parquet:"uncounted_nodes"`
	// IntMACs is the share of MACs done on integers by the quantized ops
	// (QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger) at batch 1;
	// zero for a float model.
	IntMACs int64 `parquet:"int_macs"`
	// WeightBytes is the bytes of the constant tensors the model reads once
	// per inference, whatever the batch: every initializer, Constant node
	// tensor and folded constant that a node reading memory takes as input,
	// each counted once (unused ones left out). With IOBytesPerImage it gives
	// a roofline's bytes moved: WeightBytes + batch × IOBytesPerImage.
	WeightBytes int64 `parquet:"weight_bytes"`
	// IOBytesPerImage is the bytes of activations read plus written for one
	// image: over every node that reads memory (not folded shape arithmetic,
	// Constant nodes or the ops whose output shares its input's buffer:
	// Reshape, Flatten, Squeeze, Unsqueeze, Identity and Dropout), the bytes
	// of each input that is not a constant tensor (graph inputs included),
	// once per input slot, plus the bytes of each output; counted at the
	// inference's batch and divided by it (rounded down).
	IOBytesPerImage int64 `parquet:"io_bytes_per_image"`
}

// OpRow is one op type's share of a model's counts: flops_ops.csv.
type OpRow struct {
	Model string `parquet:"model"`
	// Op is the ONNX op type (domain-qualified when not the default domain).
	Op string `parquet:"op"`
	// Nodes is the number of nodes of this type.
	Nodes  int64 `parquet:"nodes"`
	Params int64 `parquet:"params"`
	MACs   int64 `parquet:"macs"`
	FLOPs  int64 `parquet:"flops"`
	// Counted is false when the op type is unknown and contributes nothing.
	Counted bool `parquet:"counted"`
}

// Schema is the version of this stage's rows and method in cache keys, and
// Entries and OpsEntries the cache folders of its rows: bump Schema when the
// rows or the counting change, so cached entries are recomputed, and the
// folder when the row layout changes, so old rows are never read back.
// v3: quantized ops counted, int_macs; v4: weight_bytes, io_bytes_per_image;
// v5: warnings a list.
const (
	Schema     = 5
	Entries    = "flops-v2"
	OpsEntries = "flops_ops-v1"
)
