// Package preprocess defines how an image becomes a model's input: the one
// typed recipe the models stage resolves (from a reference and the
// config's override) and the accuracy stage carries out.
package preprocess

// Spec says how one model wants its input made from an image, as the
// torchvision recipe Resize(Resize) → CenterCrop(Crop) (or TenCrop) →
// ToTensor → Normalize(Mean, Std) does it.
type Spec struct {
	// Resize is the length in pixels the shorter side is resized to; the
	// longer side becomes int(Resize*long/short). 0 keeps the image size.
	Resize int
	// Crop is the side of the square crop in pixels (required).
	Crop int
	// Interpolation is "bilinear" (default) or "bicubic", both as PIL does them.
	Interpolation string
	// Mean and Std normalise each channel, in the tensor's channel order
	// (blue first when BGR) and in the units of Scale.
	Mean, Std [3]float64
	// BGR orders the tensor's channels blue, green, red instead of RGB.
	BGR bool
	// Scale is the pixel range maximum before normalisation: 1 (pixels/255,
	// torchvision) or 255 (raw levels, Caffe). 0 means 1.
	Scale float64
}

// Channels names the tensor's channel order: "rgb" or "bgr".
func (s Spec) Channels() string {
	if s.BGR {
		return "bgr"
	}
	return "rgb"
}
