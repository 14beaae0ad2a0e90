// Package preprocess defines how an image becomes a model's input: the one
// typed recipe the models stage resolves (from a reference and the
// config's override) and the accuracy stage carries out.
package preprocess

import (
	"fmt"
	"strconv"
	"strings"
)

// Spec says how one model wants its input made from an image, as the
// torchvision recipe Resize(Resize) → CenterCrop(Crop) (or TenCrop) →
// ToTensor → Normalize(Mean, Std) does it, or as Caffe and MXNet do it:
// a squash to SquashWidth×SquashHeight, then optionally a centre crop.
type Spec struct {
	// Resize is the length in pixels the shorter side is resized to; the
	// longer side becomes int(Resize*long/short). 0 keeps the image size.
	// Unused when SquashWidth is set.
	Resize int
	// SquashWidth and SquashHeight, when set, resize the image to exactly
	// that many pixels, not keeping its aspect ratio; 0 means no squash.
	SquashWidth, SquashHeight int
	// Crop is the side of the square centre crop in pixels; 0 means no
	// crop, which needs a squash (the input is then the squashed image).
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
	// NHWC lays the tensor out N×H×W×C (TensorFlow) instead of N×C×H×W.
	NHWC bool
}

// Channels names the tensor's channel order: "rgb" or "bgr".
func (s Spec) Channels() string {
	if s.BGR {
		return "bgr"
	}
	return "rgb"
}

// Layout names the tensor's layout: "nchw" or "nhwc".
func (s Spec) Layout() string {
	if s.NHWC {
		return "nhwc"
	}
	return "nchw"
}

// InputSize is the width and height of the network input in pixels: the
// crop, or the squashed image when there is no crop.
func (s Spec) InputSize() (w, h int) {
	if s.Crop > 0 {
		return s.Crop, s.Crop
	}
	return s.SquashWidth, s.SquashHeight
}

// ResizeString is the resize in the config's form: "256" for a shorter
// side, "224x224" for a squash, "0" for none.
func (s Spec) ResizeString() string {
	if s.SquashWidth > 0 {
		return fmt.Sprintf("%dx%d", s.SquashWidth, s.SquashHeight)
	}
	return strconv.Itoa(s.Resize)
}

// MaxSide is the largest resize or squash side, in pixels, a Spec accepts.
const MaxSide = 16384

// ParseResize reads the config's resize: a whole number is the shorter
// side ("256"), "WxH" a squash to W×H pixels ("224x224"); sides are 1 to
// MaxSide pixels.
func ParseResize(v string) (side, w, h int, err error) {
	ws, hs, squash := strings.Cut(strings.TrimSpace(v), "x")
	bad := func() (int, int, int, error) {
		return 0, 0, 0, fmt.Errorf("resize %q: want a shorter side in pixels (256) or a squash WxH (224x224), sides 1 to %d", v, MaxSide)
	}
	n, err := strconv.Atoi(ws)
	if err != nil || n < 1 || n > MaxSide {
		return bad()
	}
	if !squash {
		return n, 0, 0, nil
	}
	m, err := strconv.Atoi(hs)
	if err != nil || m < 1 || m > MaxSide {
		return bad()
	}
	return 0, n, m, nil
}
