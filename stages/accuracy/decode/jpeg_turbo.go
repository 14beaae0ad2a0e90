//go:build !nolibjpeg

package decode

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <turbojpeg.h>
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

// Backend names the JPEG decoder this build uses.
const Backend = "libjpeg-turbo"

// jpegDecoder wraps one TurboJPEG decompressor handle. TurboJPEG decodes with
// libjpeg's defaults unless told otherwise, which are PIL's: the ISLOW
// integer DCT and fancy (triangular) chroma upsampling.
type jpegDecoder struct {
	h C.tjhandle
}

func newJPEGDecoder() (jpegDecoder, error) {
	h := C.tjInitDecompress()
	if h == nil {
		return jpegDecoder{}, errors.New("decode: libjpeg-turbo: cannot create a decompressor")
	}
	return jpegDecoder{h: h}, nil
}

func (d jpegDecoder) close() error {
	if d.h == nil {
		return nil
	}
	if C.tjDestroy(d.h) != 0 {
		return errors.New("decode: libjpeg-turbo: cannot destroy the decompressor")
	}
	return nil
}

func (d jpegDecoder) errorString() string {
	return C.GoString(C.tjGetErrorStr2(d.h))
}

func (d jpegDecoder) decode(data []byte) (*Image, error) {
	if d.h == nil {
		return nil, errors.New("decode: decoder is closed")
	}
	src := (*C.uchar)(unsafe.Pointer(&data[0]))
	size := C.ulong(len(data))
	var w, h, subsamp, cs C.int
	if C.tjDecompressHeader3(d.h, src, size, &w, &h, &subsamp, &cs) != 0 {
		return nil, fmt.Errorf("decode: jpeg header: %s", d.errorString())
	}
	if w <= 0 || h <= 0 || int64(w)*int64(h) > maxPixels {
		return nil, fmt.Errorf("decode: jpeg: unsupported size %dx%d", w, h)
	}
	var pf C.int
	var ch int
	switch cs {
	case C.TJCS_GRAY:
		pf, ch = C.TJPF_GRAY, 1
	case C.TJCS_CMYK, C.TJCS_YCCK:
		pf, ch = C.TJPF_CMYK, 4
	default:
		pf, ch = C.TJPF_RGB, 3
	}
	buf := make([]uint8, int(w)*int(h)*ch)
	dst := (*C.uchar)(unsafe.Pointer(&buf[0]))
	if C.tjDecompress2(d.h, src, size, dst, w, 0, h, pf, 0) != 0 {
		msg := d.errorString()
		// Warnings still leave a decoded image; PIL accepts all of them
		// except running out of data, which it reports as truncation.
		// TurboJPEG keeps only the first warning's text, so truncation is
		// recognised from the data: the last scan never reaches an EOI marker.
		if C.tjGetErrorCode(d.h) != C.TJERR_WARNING {
			return nil, fmt.Errorf("decode: jpeg: %s", msg)
		}
		if strings.Contains(msg, "Premature end of JPEG file") || missingEOI(data) {
			return nil, ErrTruncated
		}
	}
	if ch == 4 {
		rgb := make([]uint8, int(w)*int(h)*3)
		cmykToRGB(rgb, buf, true)
		buf, ch = rgb, 3
	}
	return &Image{Width: int(w), Height: int(h), Channels: ch, Pix: buf}, nil
}

// missingEOI reports whether no end-of-image marker follows the last
// start-of-scan marker. Entropy-coded data never holds an unstuffed 0xFF
// other than restart markers, so the last 0xFFDA is a real scan header.
func missingEOI(data []byte) bool {
	return bytes.LastIndex(data, []byte{0xFF, 0xD9}) < bytes.LastIndex(data, []byte{0xFF, 0xDA})
}
