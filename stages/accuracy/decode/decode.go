// Package decode turns image file bytes into 8-bit pixels the way PIL's
// Image.open(path).convert("RGB") does for the files found in ImageNet:
// baseline and progressive JPEG (RGB, grayscale, CMYK) and PNG, recognised
// by content rather than by file name.
package decode

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
)

// ErrUnknownFormat reports data that is neither JPEG nor PNG.
var ErrUnknownFormat = errors.New("decode: unknown image format (not JPEG or PNG)")

// ErrTruncated reports image data that ends before the image is complete.
var ErrTruncated = errors.New("decode: image file is truncated")

// maxPixels bounds the images decoded (about 268 megapixels), so a hostile
// header cannot make the decoder allocate without limit.
const maxPixels = 1 << 28

// Image is an 8-bit image with interleaved channels, row-major, no padding.
type Image struct {
	// Width and Height are in pixels.
	Width, Height int
	// Channels is 1 (grayscale, meaning R=G=B) or 3 (RGB).
	Channels int
	// Pix holds Height*Width*Channels bytes.
	Pix []uint8
}

// Format names the container format of data: "jpeg", "png" or "" when unknown.
func Format(data []byte) string {
	switch {
	case len(data) >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF:
		return "jpeg"
	case len(data) >= 8 && bytes.Equal(data[:8], []byte("\x89PNG\r\n\x1a\n")):
		return "png"
	}
	return ""
}

// Decoder decodes images. It holds per-goroutine decoder state, so each
// worker needs its own; Close releases it.
type Decoder struct {
	jpeg jpegDecoder
}

// NewDecoder returns a decoder ready for use.
func NewDecoder() (*Decoder, error) {
	j, err := newJPEGDecoder()
	if err != nil {
		return nil, err
	}
	return &Decoder{jpeg: j}, nil
}

// Close releases the decoder's resources.
func (d *Decoder) Close() error {
	return d.jpeg.close()
}

// Decode decodes a JPEG or PNG image, whatever its file name says.
// Grayscale images come back with one channel; everything else as RGB.
func (d *Decoder) Decode(data []byte) (*Image, error) {
	switch Format(data) {
	case "jpeg":
		return d.jpeg.decode(data)
	case "png":
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("decode: png: %w", err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
			return nil, fmt.Errorf("decode: png: unsupported size %dx%d", cfg.Width, cfg.Height)
		}
		im, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("decode: png: %w", err)
		}
		return fromImage(im), nil
	}
	return nil, ErrUnknownFormat
}

// fromImage converts a decoded Go image as PIL's convert("RGB") does:
// grayscale stays one channel, alpha is dropped without compositing,
// 16-bit colour samples keep their high byte and 16-bit gray is clipped.
func fromImage(im image.Image) *Image {
	b := im.Bounds()
	w, h := b.Dx(), b.Dy()
	switch src := im.(type) {
	case *image.Gray:
		out := &Image{Width: w, Height: h, Channels: 1, Pix: make([]uint8, w*h)}
		for y := 0; y < h; y++ {
			copy(out.Pix[y*w:(y+1)*w], src.Pix[y*src.Stride:y*src.Stride+w])
		}
		return out
	case *image.Gray16:
		// PIL opens 16-bit grayscale as 32-bit "I" and clips it to 0..255.
		out := &Image{Width: w, Height: h, Channels: 1, Pix: make([]uint8, w*h)}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := int(src.Pix[y*src.Stride+2*x])<<8 | int(src.Pix[y*src.Stride+2*x+1])
				out.Pix[y*w+x] = clip8(v)
			}
		}
		return out
	case *image.NRGBA:
		out := &Image{Width: w, Height: h, Channels: 3, Pix: make([]uint8, w*h*3)}
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride:]
			for x := 0; x < w; x++ {
				copy(out.Pix[(y*w+x)*3:(y*w+x)*3+3], row[4*x:4*x+3])
			}
		}
		return out
	case *image.Paletted:
		out := &Image{Width: w, Height: h, Channels: 3, Pix: make([]uint8, w*h*3)}
		pal := make([][3]uint8, len(src.Palette))
		for i, c := range src.Palette {
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			if nc, ok := c.(color.NRGBA); ok {
				n = nc
			}
			pal[i] = [3]uint8{n.R, n.G, n.B}
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if p := int(src.Pix[y*src.Stride+x]); p < len(pal) {
					copy(out.Pix[(y*w+x)*3:(y*w+x)*3+3], pal[p][:])
				}
			}
		}
		return out
	case *image.CMYK:
		out := &Image{Width: w, Height: h, Channels: 3, Pix: make([]uint8, w*h*3)}
		for y := 0; y < h; y++ {
			cmykToRGB(out.Pix[y*w*3:(y+1)*w*3], src.Pix[y*src.Stride:y*src.Stride+4*w], false)
		}
		return out
	}
	out := &Image{Width: w, Height: h, Channels: 3, Pix: make([]uint8, w*h*3)}
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c, ok := im.At(x, y).(color.NRGBA64)
			if !ok {
				c = color.NRGBA64Model.Convert(im.At(x, y)).(color.NRGBA64)
			}
			out.Pix[i] = uint8(c.R >> 8)
			out.Pix[i+1] = uint8(c.G >> 8)
			out.Pix[i+2] = uint8(c.B >> 8)
			i += 3
		}
	}
	return out
}

// cmykToRGB converts CMYK pixels (4 bytes each) to RGB (3 bytes each) with
// Pillow 9.4's cmyk2rgb: nk = 255-K, out = nk - nk*C/255 (rounded). When
// inverted is set the input holds Adobe-style inverted samples (0 = full
// ink), as libjpeg returns them and as PIL's "CMYK;I" raw mode undoes.
func cmykToRGB(dst, src []uint8, inverted bool) {
	for i, j := 0, 0; i+3 < len(src); i, j = i+4, j+3 {
		c, m, ye, k := int(src[i]), int(src[i+1]), int(src[i+2]), int(src[i+3])
		if inverted {
			c, m, ye, k = 255-c, 255-m, 255-ye, 255-k
		}
		nk := 255 - k
		dst[j] = clip8(nk - mulDiv255(c, nk))
		dst[j+1] = clip8(nk - mulDiv255(m, nk))
		dst[j+2] = clip8(nk - mulDiv255(ye, nk))
	}
}

// mulDiv255 is Pillow's MULDIV255: a*b/255 rounded, in integers.
func mulDiv255(a, b int) int {
	t := a*b + 128
	return ((t >> 8) + t) >> 8
}

func clip8(v int) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}
