//go:build nolibjpeg

package decode

import "image"

// fromYCbCr converts image/jpeg's planar YCbCr output to RGB as libjpeg
// does by default: "fancy" (triangular) upsampling of 4:2:0 and 4:2:2
// chroma (jdsample.c h2v2/h2v1_fancy_upsample) and the fixed-point colour
// conversion of jdcolor.c. ok is false for subsamplings it does not handle.
func fromYCbCr(src *image.YCbCr) (*Image, bool) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	var cb, cr []uint8 // full-resolution chroma, w×h
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		cb, cr = make([]uint8, w*h), make([]uint8, w*h)
		for y := 0; y < h; y++ {
			copy(cb[y*w:(y+1)*w], src.Cb[y*src.CStride:])
			copy(cr[y*w:(y+1)*w], src.Cr[y*src.CStride:])
		}
	case image.YCbCrSubsampleRatio422:
		cb, cr = upsampleH2V1(src.Cb, src.CStride, w, h), upsampleH2V1(src.Cr, src.CStride, w, h)
	case image.YCbCrSubsampleRatio420:
		cb, cr = upsampleH2V2(src.Cb, src.CStride, w, h), upsampleH2V2(src.Cr, src.CStride, w, h)
	default:
		return nil, false
	}
	if w < 2 {
		return nil, false
	}
	const scaleBits = 16
	const half = 1 << (scaleBits - 1)
	fix := func(x float64) int { return int(x*(1<<scaleBits) + 0.5) }
	var crR, cbB, crG, cbG [256]int
	for i := 0; i < 256; i++ {
		x := i - 128
		crR[i] = (fix(1.40200)*x + half) >> scaleBits
		cbB[i] = (fix(1.77200)*x + half) >> scaleBits
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + half
	}
	out := &Image{Width: w, Height: h, Channels: 3, Pix: make([]uint8, w*h*3)}
	for y := 0; y < h; y++ {
		yrow := src.Y[y*src.YStride:]
		for x := 0; x < w; x++ {
			yy, b, r := int(yrow[x]), cb[y*w+x], cr[y*w+x]
			o := (y*w + x) * 3
			out.Pix[o] = clip8(yy + crR[r])
			out.Pix[o+1] = clip8(yy + ((cbG[b] + crG[r]) >> scaleBits))
			out.Pix[o+2] = clip8(yy + cbB[b])
		}
	}
	return out, true
}

// upsampleH2V1 doubles the width of a chroma plane with libjpeg's
// triangular filter: 3/4 of the nearer sample plus 1/4 of the further.
func upsampleH2V1(c []uint8, stride, w, h int) []uint8 {
	cw := (w + 1) / 2
	out := make([]uint8, w*h)
	row := make([]uint8, 2*cw)
	for y := 0; y < h; y++ {
		fancyRow(row, c[y*stride:y*stride+cw])
		copy(out[y*w:(y+1)*w], row)
	}
	return out
}

func fancyRow(out, in []uint8) {
	n := len(in)
	if n == 1 {
		out[0], out[1] = in[0], in[0]
		return
	}
	out[0] = in[0]
	out[1] = uint8((int(in[0])*3 + int(in[1]) + 2) >> 2)
	for i := 1; i < n-1; i++ {
		v := int(in[i]) * 3
		out[2*i] = uint8((v + int(in[i-1]) + 1) >> 2)
		out[2*i+1] = uint8((v + int(in[i+1]) + 2) >> 2)
	}
	out[2*n-2] = uint8((int(in[n-1])*3 + int(in[n-2]) + 1) >> 2)
	out[2*n-1] = in[n-1]
}

// upsampleH2V2 doubles both dimensions with libjpeg's triangular filter;
// the rows above the first and below the last repeat the edge row.
func upsampleH2V2(c []uint8, stride, w, h int) []uint8 {
	cw, chh := (w+1)/2, (h+1)/2
	out := make([]uint8, w*h)
	row := make([]uint8, 2*cw)
	colsum := make([]int, cw)
	for oy := 0; oy < h; oy++ {
		iy := oy / 2
		ny := iy - 1 // the next nearest row: above for even output rows
		if oy%2 == 1 {
			ny = iy + 1
		}
		ny = min(max(ny, 0), chh-1)
		in0, in1 := c[iy*stride:iy*stride+cw], c[ny*stride:ny*stride+cw]
		for i := range colsum {
			colsum[i] = int(in0[i])*3 + int(in1[i])
		}
		if cw == 1 {
			row[0] = uint8((colsum[0]*4 + 8) >> 4)
			row[1] = uint8((colsum[0]*4 + 7) >> 4)
		} else {
			row[0] = uint8((colsum[0]*4 + 8) >> 4)
			row[1] = uint8((colsum[0]*3 + colsum[1] + 7) >> 4)
			for i := 1; i < cw-1; i++ {
				row[2*i] = uint8((colsum[i]*3 + colsum[i-1] + 8) >> 4)
				row[2*i+1] = uint8((colsum[i]*3 + colsum[i+1] + 7) >> 4)
			}
			row[2*cw-2] = uint8((colsum[cw-1]*3 + colsum[cw-2] + 8) >> 4)
			row[2*cw-1] = uint8((colsum[cw-1]*4 + 7) >> 4)
		}
		copy(out[oy*w:(oy+1)*w], row)
	}
	return out
}
