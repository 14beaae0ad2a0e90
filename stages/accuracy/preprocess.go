package accuracy

import (
	"errors"
	"fmt"
	"math"

	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/internal/preprocess"
	"github.com/dnnbench/dnnbench/stages/accuracy/decode"
	"github.com/dnnbench/dnnbench/stages/accuracy/resample"
)

// Preprocess is a preprocess.Spec with the image operations that carry it
// out; convert one to the other freely.
type Preprocess preprocess.Spec

// Crop modes.
const (
	CropCenter = "center"
	CropTen    = "ten"
)

// Validate checks that p describes a preprocessing this package can do.
func (p Preprocess) Validate() error {
	squash := p.SquashWidth != 0 || p.SquashHeight != 0
	if squash && (p.SquashWidth < 1 || p.SquashWidth > preprocess.MaxSide || p.SquashHeight < 1 || p.SquashHeight > preprocess.MaxSide) {
		return fmt.Errorf("accuracy: preprocess: squash %dx%d: both sides must be between 1 and %d pixels", p.SquashWidth, p.SquashHeight, preprocess.MaxSide)
	}
	if squash && p.Resize != 0 {
		return fmt.Errorf("accuracy: preprocess: resize %d and squash %dx%d are exclusive; give one", p.Resize, p.SquashWidth, p.SquashHeight)
	}
	if p.Crop < 0 || p.Crop > 8192 || (p.Crop == 0 && !squash) {
		return fmt.Errorf("accuracy: preprocess: crop %d must be between 1 and 8192 pixels (0, no crop, only after a WxH squash)", p.Crop)
	}
	if p.Resize < 0 || p.Resize > preprocess.MaxSide {
		return fmt.Errorf("accuracy: preprocess: resize %d must be between 0 and %d pixels", p.Resize, preprocess.MaxSide)
	}
	if _, err := resample.ParseFilter(p.Interpolation); err != nil {
		return fmt.Errorf("accuracy: preprocess: %w", err)
	}
	if p.Scale != 0 && p.Scale != 1 && p.Scale != 255 {
		return fmt.Errorf("accuracy: preprocess: scale %g must be 1 or 255", p.Scale)
	}
	for i, s := range p.Std {
		if !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("accuracy: preprocess: std[%d] = %g must be positive", i, s)
		}
		if math.IsNaN(p.Mean[i]) || math.IsInf(p.Mean[i], 0) {
			return fmt.Errorf("accuracy: preprocess: mean[%d] = %g must be finite", i, p.Mean[i])
		}
	}
	if err := config.CheckNormalisation(p.Mean[:], p.Std[:], p.Scale); err != nil {
		return fmt.Errorf("accuracy: preprocess: %w", err)
	}
	return nil
}

// Crops is the number of crops a crop mode makes: 1 for center, 10 for ten.
func Crops(mode string) (int, error) {
	switch mode {
	case CropCenter:
		return 1, nil
	case CropTen:
		return 10, nil
	}
	return 0, fmt.Errorf("accuracy: unknown crop mode %q (want center or ten)", mode)
}

// resizedSize is the squash size, or torchvision's
// _compute_resized_output_size for an int size.
func (p Preprocess) resizedSize(w, h int) (int, int) {
	if p.SquashWidth > 0 {
		return p.SquashWidth, p.SquashHeight
	}
	if p.Resize == 0 {
		return w, h
	}
	if w <= h {
		return p.Resize, int(float64(p.Resize*h) / float64(w))
	}
	return int(float64(p.Resize*w) / float64(h)), p.Resize
}

// centreOffset is torchvision's int(round((size-crop)/2.0)), round half to even.
func centreOffset(size, crop int) int {
	return int(math.RoundToEven(float64(size-crop) / 2))
}

// crop is a square region of pixels, channels interleaved, Channels 1 or 3.
type crop = decode.Image

// errEmpty reports an image without pixels.
var errEmpty = errors.New("accuracy: image has no pixels")

// resizeFor checks that im has pixels and returns the filter and the size
// it resizes to.
func (p Preprocess) resizeFor(im *decode.Image) (resample.Filter, int, int, error) {
	if im.Width <= 0 || im.Height <= 0 {
		return 0, 0, 0, errEmpty
	}
	f, err := resample.ParseFilter(p.Interpolation)
	if err != nil {
		return 0, 0, 0, err
	}
	ow, oh := p.resizedSize(im.Width, im.Height)
	return f, ow, oh, nil
}

// inputSize is the width and height of one network input in pixels.
func (p Preprocess) inputSize() (int, int) { return preprocess.Spec(p).InputSize() }

// values is the number of float32 values of one network input.
func (p Preprocess) values() int {
	w, h := p.inputSize()
	return 3 * w * h
}

// centerCrop resizes im and cuts the centre crop, computing only the
// pixels inside it. A crop larger than the resized image is padded with
// zeros as torchvision's CenterCrop does. Without a crop it returns the
// whole resized (squashed) image.
func (p Preprocess) centerCrop(im *decode.Image) (*crop, error) {
	f, ow, oh, err := p.resizeFor(im)
	if err != nil {
		return nil, err
	}
	if ow <= 0 || oh <= 0 {
		return nil, fmt.Errorf("accuracy: image %dx%d resizes to nothing", im.Width, im.Height)
	}
	if p.Crop == 0 {
		pix, err := resample.Resize(im.Pix, im.Width, im.Height, im.Channels, ow, oh, f, resample.Rect{W: ow, H: oh})
		if err != nil {
			return nil, err
		}
		return &crop{Width: ow, Height: oh, Channels: im.Channels, Pix: pix}, nil
	}
	c := p.Crop
	// Padding as torchvision: left/top get (c-size)//2, then the crop sits at 0.
	padL, padT := 0, 0
	w, h := ow, oh
	if c > ow {
		padL, w = (c-ow)/2, c
	}
	if c > oh {
		padT, h = (c-oh)/2, c
	}
	top, left := centreOffset(h, c), centreOffset(w, c)
	// The crop in resized-image coordinates, clipped to the image.
	x0, y0 := left-padL, top-padT
	rx0, ry0 := max(x0, 0), max(y0, 0)
	rx1, ry1 := min(x0+c, ow), min(y0+c, oh)
	pix, err := resample.Resize(im.Pix, im.Width, im.Height, im.Channels, ow, oh, f,
		resample.Rect{X: rx0, Y: ry0, W: rx1 - rx0, H: ry1 - ry0})
	if err != nil {
		return nil, err
	}
	if rx0 == x0 && ry0 == y0 && rx1 == x0+c && ry1 == y0+c {
		return &crop{Width: c, Height: c, Channels: im.Channels, Pix: pix}, nil
	}
	out := &crop{Width: c, Height: c, Channels: im.Channels, Pix: make([]uint8, c*c*im.Channels)}
	rw := (rx1 - rx0) * im.Channels
	for y := ry0; y < ry1; y++ {
		dst := ((y-y0)*c + (rx0 - x0)) * im.Channels
		copy(out.Pix[dst:dst+rw], pix[(y-ry0)*rw:(y-ry0+1)*rw])
	}
	return out, nil
}

// tenCrops resizes im and cuts torchvision's TenCrop: top-left, top-right,
// bottom-left, bottom-right and centre, then the same five of the
// horizontally flipped image.
func (p Preprocess) tenCrops(im *decode.Image) ([]*crop, error) {
	f, ow, oh, err := p.resizeFor(im)
	if err != nil {
		return nil, err
	}
	c := p.Crop
	if c == 0 {
		return nil, errors.New("accuracy: ten-crop needs a crop size; this preprocessing has none (a squash without crop): score the center mode only")
	}
	if c > ow || c > oh {
		return nil, fmt.Errorf("accuracy: ten-crop %d is larger than the resized image %dx%d", c, ow, oh)
	}
	pix, err := resample.Resize(im.Pix, im.Width, im.Height, im.Channels, ow, oh, f,
		resample.Rect{W: ow, H: oh})
	if err != nil {
		return nil, err
	}
	ch := im.Channels
	cut := func(top, left int, flip bool) *crop {
		out := &crop{Width: c, Height: c, Channels: ch, Pix: make([]uint8, c*c*ch)}
		for y := 0; y < c; y++ {
			src := pix[((top+y)*ow+left)*ch : ((top+y)*ow+left+c)*ch]
			dst := out.Pix[y*c*ch : (y+1)*c*ch]
			if !flip {
				copy(dst, src)
				continue
			}
			for x := 0; x < c; x++ {
				copy(dst[x*ch:(x+1)*ch], src[(c-1-x)*ch:(c-x)*ch])
			}
		}
		return out
	}
	ct, cl := centreOffset(oh, c), centreOffset(ow, c)
	crops := []*crop{
		cut(0, 0, false), cut(0, ow-c, false), cut(oh-c, 0, false), cut(oh-c, ow-c, false), cut(ct, cl, false),
	}
	// A crop at column l of the flipped image is the mirror of the crop at
	// column ow-c-l of the original.
	for _, tl := range [][2]int{{0, 0}, {0, ow - c}, {oh - c, 0}, {oh - c, ow - c}, {ct, cl}} {
		crops = append(crops, cut(tl[0], ow-c-tl[1], true))
	}
	return crops, nil
}

// normaliser maps a level 0..255 of each tensor channel to its float32
// input value with torchvision's float32 arithmetic: (v/255 - mean) / std.
type normaliser [3][256]float32

func (p Preprocess) normaliser() *normaliser {
	var n normaliser
	scale := p.Scale
	if scale == 0 {
		scale = 1
	}
	div := float32(255 / scale)
	for c := 0; c < 3; c++ {
		m, s := float32(p.Mean[c]), float32(p.Std[c])
		for v := 0; v < 256; v++ {
			x := float32(v) / div
			x = float32(x - m)
			n[c][v] = x / s
		}
	}
	return &n
}

// tensor writes crop k into dst: as three H×W planes (NCHW), or with the
// channels interleaved per pixel (NHWC).
func (n *normaliser) tensor(dst []float32, k *crop, bgr, nhwc bool) {
	plane := k.Width * k.Height
	if nhwc {
		n.interleaved(dst, k, bgr)
		return
	}
	if k.Channels == 1 {
		for c := 0; c < 3; c++ {
			lut := &n[c]
			d := dst[c*plane : (c+1)*plane]
			for i, v := range k.Pix[:plane] {
				d[i] = lut[v]
			}
		}
		return
	}
	r, g, b := dst[:plane], dst[plane:2*plane], dst[2*plane:3*plane]
	if bgr {
		r, b = b, r
	}
	// Channel planes are in tensor order; the LUT index follows the plane.
	lr, lg, lb := &n[0], &n[1], &n[2]
	if bgr {
		lr, lb = lb, lr
	}
	pix := k.Pix[:3*plane]
	for i := 0; i < plane; i++ {
		r[i] = lr[pix[3*i]]
		g[i] = lg[pix[3*i+1]]
		b[i] = lb[pix[3*i+2]]
	}
}

// interleaved writes crop k into dst as H×W×3, channels in tensor order.
func (n *normaliser) interleaved(dst []float32, k *crop, bgr bool) {
	plane := k.Width * k.Height
	if k.Channels == 1 {
		for i, v := range k.Pix[:plane] {
			dst[3*i], dst[3*i+1], dst[3*i+2] = n[0][v], n[1][v], n[2][v]
		}
		return
	}
	// Source channel feeding tensor channel 0 and 2.
	s0, s2 := 0, 2
	if bgr {
		s0, s2 = 2, 0
	}
	pix := k.Pix[:3*plane]
	for i := 0; i < plane; i++ {
		px := pix[3*i : 3*i+3]
		dst[3*i] = n[0][px[s0]]
		dst[3*i+1] = n[1][px[1]]
		dst[3*i+2] = n[2][px[s2]]
	}
}

// Tensor returns the network input for one decoded image: 3×H×W float32
// (H×W×3 with NHWC) for the center mode, ten of them for ten, where H×W is
// the crop or, without one, the squash.
func (p Preprocess) Tensor(im *decode.Image, mode string) ([]float32, error) {
	n, err := Crops(mode)
	if err != nil {
		return nil, err
	}
	dst := make([]float32, n*p.values())
	if _, err := p.fill(dst, im, mode, p.normaliser()); err != nil {
		return nil, err
	}
	return dst, nil
}

// fill writes the tensor of im into dst and returns the crops it cut.
func (p Preprocess) fill(dst []float32, im *decode.Image, mode string, n *normaliser) ([]*crop, error) {
	var crops []*crop
	if mode == CropTen {
		cs, err := p.tenCrops(im)
		if err != nil {
			return nil, err
		}
		crops = cs
	} else {
		c, err := p.centerCrop(im)
		if err != nil {
			return nil, err
		}
		crops = []*crop{c}
	}
	size := p.values()
	if len(dst) < len(crops)*size {
		return nil, fmt.Errorf("accuracy: tensor buffer holds %d values, need %d", len(dst), len(crops)*size)
	}
	for i, c := range crops {
		n.tensor(dst[i*size:(i+1)*size], c, p.BGR, p.NHWC)
	}
	return crops, nil
}
