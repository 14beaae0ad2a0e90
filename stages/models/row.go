package models

import "github.com/dnnbench/dnnbench/internal/preprocess"

// Row is one resolved model: the models stage's table, one row per model.
type Row struct {
	// Model is the name from the config.
	Model string `parquet:"model"`
	// Source is how the file was obtained: "arch", "onnx" or "url".
	Source string `parquet:"source"`
	// Arch is the zoo architecture name when Source is "arch".
	Arch string `parquet:"arch"`
	// Path is the ONNX file on disk.
	Path string `parquet:"path"`
	// SHA256 is the hex digest of the ONNX file.
	SHA256 string `parquet:"sha256"`
	// Bytes is the ONNX file size in bytes.
	Bytes int64 `parquet:"bytes"`
	// Weights is "random" (zoo) or "pretrained" (user file or URL).
	Weights string `parquet:"weights"`
	// Channels, Height, Width give the input's shape, laid out as Layout says.
	Channels int64 `parquet:"input_channels"`
	Height   int64 `parquet:"input_height"`
	Width    int64 `parquet:"input_width"`
	// Resize is the shorter-side resize in pixels before cropping; 0 with a squash.
	Resize int64 `parquet:"resize"`
	// Squash is "WxH" when the image is squashed to W×H pixels instead, else "".
	Squash string `parquet:"squash"`
	// Crop is the square centre-crop size in pixels; 0 means no crop.
	Crop int64 `parquet:"crop"`
	// Interpolation is "bilinear" or "bicubic".
	Interpolation string `parquet:"interpolation"`
	// Mean and Std are per-channel normalisation constants, space-separated,
	// in the scale given by Scale.
	Mean string `parquet:"mean"`
	Std  string `parquet:"std"`
	// ColorOrder is "rgb" or "bgr".
	ColorOrder string `parquet:"channels"`
	// Scale is the pixel range maximum before normalisation: 1 or 255.
	Scale float64 `parquet:"scale"`
	// Layout is the input tensor's layout: "nchw" or "nhwc".
	Layout string `parquet:"layout"`
	// Reference names the published-accuracy row, e.g.
	// "torchvision:ResNet50_Weights.IMAGENET1K_V1", "timm:dpn68.mx_in1k", "paper:DPN-68".
	Reference string `parquet:"reference"`
	// Preprocess is the resolved preprocessing the stages use; Resize
	// through Scale above are its export form, written by setPreprocess.
	Preprocess preprocess.Spec `parquet:"-"`
}

// setPreprocess records p in the row, typed and as its export columns.
func (r *Row) setPreprocess(p preprocess.Spec) {
	r.Preprocess = p
	r.Resize, r.Crop, r.Interpolation = int64(p.Resize), int64(p.Crop), p.Interpolation
	r.Mean, r.Std, r.ColorOrder, r.Scale = fmtTriple(p.Mean), fmtTriple(p.Std), p.Channels(), p.Scale
	r.Squash, r.Layout = "", p.Layout()
	if p.SquashWidth > 0 {
		r.Squash = p.ResizeString()
	}
}
