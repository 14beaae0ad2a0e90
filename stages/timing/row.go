package timing

// Row is one model × device × batch timing: the timing stage's table.
// The first fifteen columns are the stable timing.csv contract.
type Row struct {
	Model   string `parquet:"model"`
	Device  string `parquet:"device"`
	Batch   int64  `parquet:"batch"`
	Threads int64  `parquet:"threads"`
	// Warmup and Runs are the counts actually performed.
	Warmup          int64   `parquet:"warmup"`
	Runs            int64   `parquet:"runs"`
	LatencyMsMedian float64 `parquet:"latency_ms_median"`
	LatencyMsP90    float64 `parquet:"latency_ms_p90"`
	LatencyMsP99    float64 `parquet:"latency_ms_p99"`
	LatencyMsMin    float64 `parquet:"latency_ms_min"`
	LatencyMsMean   float64 `parquet:"latency_ms_mean"`
	// MsPerImage is the median batch latency divided by the batch size.
	MsPerImage float64 `parquet:"ms_per_image"`
	// FPS is images per second at the median latency.
	FPS float64 `parquet:"fps"`
	// Status is "ok", "oom", "error" or "skipped".
	Status string `parquet:"status"`
	Error  string `parquet:"error"`
	// LatencyMsCILow and LatencyMsCIHigh bound the median at 95% confidence.
	LatencyMsCILow  float64 `parquet:"latency_ms_ci_low"`
	LatencyMsCIHigh float64 `parquet:"latency_ms_ci_high"`
	// SessionMs is session creation time; FirstRunMs the first Run at this batch.
	SessionMs  float64 `parquet:"session_ms"`
	FirstRunMs float64 `parquet:"first_run_ms"`
	// Provider is the execution provider used, e.g. "cpu", "cuda".
	Provider string `parquet:"provider"`
	// Warnings are "; "-separated (large spread, few samples).
	Warnings string `parquet:"warnings"`
	// ModelSHA256 is the measured ONNX file's hex digest: what the row belongs
	// to, whatever name a config gives that file (not in CSV).
	ModelSHA256 string `parquet:"model_sha256" csv:"-"`
	// SamplesMs holds every timed batch latency in milliseconds (not in CSV).
	SamplesMs []float64 `parquet:"samples_ms,list" csv:"-"`
}
