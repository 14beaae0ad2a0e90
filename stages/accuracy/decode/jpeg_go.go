//go:build nolibjpeg

package decode

import (
	"bytes"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"strings"
)

// Backend names the JPEG decoder this build uses.
const Backend = "image/jpeg"

// jpegDecoder decodes with Go's image/jpeg: pure Go, slower, and a level or
// two away from libjpeg on some pixels (different chroma upsampling and
// colour conversion rounding).
type jpegDecoder struct{}

func newJPEGDecoder() (jpegDecoder, error) { return jpegDecoder{}, nil }

func (jpegDecoder) close() error { return nil }

func (jpegDecoder) decode(data []byte) (*Image, error) {
	im, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		// image/jpeg reports running out of data as EOF or as short data.
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || strings.Contains(err.Error(), "short") {
			return nil, ErrTruncated
		}
		return nil, fmt.Errorf("decode: jpeg: %w", err)
	}
	return fromImage(im), nil
}
