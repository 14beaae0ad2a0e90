// Package resample reproduces Pillow 9.4's Image.resize for 8-bit images
// (libImaging/Resample.c): a separable convolution, horizontal pass first,
// whose filter support widens by the downscale factor (so shrinking is
// antialiased), with coefficients normalised to sum to one, converted to
// 22-bit fixed point, rounded, and each pass clipped back to uint8.
//
// Every output pixel depends only on its own row and column coefficients,
// so a rectangle of the resized image (a centre crop, say) can be computed
// without resizing the rest, and equals the same rectangle of the full
// result bit for bit.
package resample

import (
	"fmt"
	"math"
)

// Filter selects the resampling kernel.
type Filter int

// The filters PIL calls BILINEAR and BICUBIC.
const (
	Bilinear Filter = iota
	Bicubic
)

// ParseFilter maps "bilinear" and "bicubic" to a Filter.
func ParseFilter(name string) (Filter, error) {
	switch name {
	case "bilinear", "":
		return Bilinear, nil
	case "bicubic":
		return Bicubic, nil
	}
	return 0, fmt.Errorf("resample: unknown interpolation %q (want bilinear or bicubic)", name)
}

func (f Filter) support() float64 {
	if f == Bicubic {
		return 2
	}
	return 1
}

func (f Filter) eval(x float64) float64 {
	if x < 0 {
		x = -x
	}
	if f == Bicubic {
		const a = -0.5
		if x < 1 {
			return float64(float64(float64((a+2)*x)-(a+3))*x*x) + 1
		}
		if x < 2 {
			return float64(float64(float64(float64(x-5)*x)+8)*x-4) * a
		}
		return 0
	}
	if x < 1 {
		return 1 - x
	}
	return 0
}

const precisionBits = 32 - 8 - 2

// coeffs holds, for each output position, the first input index, the number
// of taps and ksize fixed-point weights.
type coeffs struct {
	ksize  int
	bounds []int // xmin, n pairs
	k      []int32
}

// precompute follows precompute_coeffs and normalize_coeffs_8bpc.
func precompute(inSize, outSize int, f Filter) coeffs {
	scale := float64(inSize) / float64(outSize)
	filterscale := scale
	if filterscale < 1 {
		filterscale = 1
	}
	support := f.support() * filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c := coeffs{ksize: ksize, bounds: make([]int, 2*outSize), k: make([]int32, outSize*ksize)}
	w := make([]float64, ksize)
	ss := 1 / filterscale
	for xx := 0; xx < outSize; xx++ {
		center := float64(float64(xx)+0.5) * scale
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		ww := 0.0
		for x := 0; x < xmax; x++ {
			v := f.eval(float64(float64(x+xmin)-center+0.5) * ss)
			w[x] = v
			ww += v
		}
		for x := 0; x < xmax; x++ {
			v := w[x]
			if ww != 0 {
				v /= ww
			}
			fv := float64(v * (1 << precisionBits))
			if v < 0 {
				c.k[xx*ksize+x] = int32(-0.5 + fv)
			} else {
				c.k[xx*ksize+x] = int32(0.5 + fv)
			}
		}
		c.bounds[2*xx] = xmin
		c.bounds[2*xx+1] = xmax
	}
	return c
}

func clip8(v int32) uint8 {
	if v >= 1<<precisionBits<<8 {
		return 255
	}
	if v <= 0 {
		return 0
	}
	return uint8(v >> precisionBits)
}

// Rect is a rectangle of output pixels: columns [X, X+W), rows [Y, Y+H).
type Rect struct{ X, Y, W, H int }

// Resize resizes src (width×height pixels, channels interleaved bytes each)
// to outW×outH and returns the pixels inside r of that result, r.W×r.H×channels
// bytes. r must lie inside the output.
func Resize(src []uint8, width, height, channels, outW, outH int, f Filter, r Rect) ([]uint8, error) {
	if width <= 0 || height <= 0 || outW <= 0 || outH <= 0 {
		return nil, fmt.Errorf("resample: bad size %dx%d -> %dx%d", width, height, outW, outH)
	}
	if channels < 1 || len(src) < width*height*channels {
		return nil, fmt.Errorf("resample: %d bytes is too few for %dx%d with %d channels", len(src), width, height, channels)
	}
	if r.X < 0 || r.Y < 0 || r.W <= 0 || r.H <= 0 || r.X+r.W > outW || r.Y+r.H > outH {
		return nil, fmt.Errorf("resample: region %+v outside %dx%d", r, outW, outH)
	}
	needH := outW != width
	needV := outH != height

	// Input rows the vertical pass reads for output rows r.Y..r.Y+r.H-1.
	var cv coeffs
	y0, y1 := r.Y, r.Y+r.H
	if needV {
		cv = precompute(height, outH, f)
		y0 = cv.bounds[2*r.Y]
		last := r.Y + r.H - 1
		y1 = cv.bounds[2*last] + cv.bounds[2*last+1]
	}

	// Horizontal pass over rows y0..y1-1, columns of r only.
	rowLen := r.W * channels
	tmp := make([]uint8, (y1-y0)*rowLen)
	if needH {
		ch := precompute(width, outW, f)
		horizontal(tmp, src, width, channels, y0, y1, ch, r)
	} else {
		for y := y0; y < y1; y++ {
			copy(tmp[(y-y0)*rowLen:(y-y0+1)*rowLen], src[(y*width+r.X)*channels:])
		}
	}
	if !needV {
		return tmp, nil
	}
	out := make([]uint8, r.H*rowLen)
	acc := make([]int32, rowLen)
	for yy := 0; yy < r.H; yy++ {
		oy := r.Y + yy
		ymin, n := cv.bounds[2*oy]-y0, cv.bounds[2*oy+1]
		k := cv.k[oy*cv.ksize : oy*cv.ksize+n]
		for i := range acc {
			acc[i] = 1 << (precisionBits - 1)
		}
		for t, kt := range k {
			row := tmp[(ymin+t)*rowLen : (ymin+t+1)*rowLen]
			for i, v := range row {
				acc[i] += int32(v) * kt
			}
		}
		dst := out[yy*rowLen : (yy+1)*rowLen]
		for i, v := range acc {
			dst[i] = clip8(v)
		}
	}
	return out, nil
}

func horizontal(dst, src []uint8, width, channels, y0, y1 int, c coeffs, r Rect) {
	rowLen := r.W * channels
	switch channels {
	case 3:
		for y := y0; y < y1; y++ {
			in := src[y*width*3 : (y+1)*width*3]
			out := dst[(y-y0)*rowLen : (y-y0+1)*rowLen]
			for xx := 0; xx < r.W; xx++ {
				ox := r.X + xx
				xmin, n := c.bounds[2*ox], c.bounds[2*ox+1]
				k := c.k[ox*c.ksize : ox*c.ksize+n]
				p := in[xmin*3 : (xmin+n)*3]
				s0, s1, s2 := int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1))
				for t, kt := range k {
					q := p[t*3 : t*3+3]
					s0 += int32(q[0]) * kt
					s1 += int32(q[1]) * kt
					s2 += int32(q[2]) * kt
				}
				out[xx*3] = clip8(s0)
				out[xx*3+1] = clip8(s1)
				out[xx*3+2] = clip8(s2)
			}
		}
	default:
		for y := y0; y < y1; y++ {
			in := src[y*width*channels : (y+1)*width*channels]
			out := dst[(y-y0)*rowLen : (y-y0+1)*rowLen]
			for xx := 0; xx < r.W; xx++ {
				ox := r.X + xx
				xmin, n := c.bounds[2*ox], c.bounds[2*ox+1]
				k := c.k[ox*c.ksize : ox*c.ksize+n]
				for ch := 0; ch < channels; ch++ {
					s := int32(1 << (precisionBits - 1))
					for t, kt := range k {
						s += int32(in[(xmin+t)*channels+ch]) * kt
					}
					out[xx*channels+ch] = clip8(s)
				}
			}
		}
	}
}
