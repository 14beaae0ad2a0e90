//go:build nolibjpeg

package decode

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"strings"
)

// Backend names the JPEG decoder this build uses.
const Backend = "image/jpeg"

// jpegDecoder decodes with Go's image/jpeg: pure Go, slower, and a level
// away from libjpeg on some pixels (a different IDCT). Chroma upsampling
// and colour conversion follow libjpeg (see fromYCbCr).
type jpegDecoder struct{}

func newJPEGDecoder() (jpegDecoder, error) { return jpegDecoder{}, nil }

func (jpegDecoder) close() error { return nil }

func (jpegDecoder) decode(data []byte) (*Image, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err == nil && (cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels) {
		return nil, fmt.Errorf("decode: jpeg: unsupported size %dx%d", cfg.Width, cfg.Height)
	}
	im, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		// image/jpeg reports running out of data as EOF or as short data.
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "short") {
			return nil, ErrTruncated
		}
		return nil, fmt.Errorf("decode: jpeg: %w", err)
	}
	if ycc, ok := im.(*image.YCbCr); ok {
		if out, ok := fromYCbCr(ycc); ok {
			return out, nil
		}
	}
	return fromImage(im), nil
}
