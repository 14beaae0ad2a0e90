package decode

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"testing"
)

func newDecoder(t *testing.T) *Decoder {
	t.Helper()
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	return d
}

func TestCMYKMatchesPIL(t *testing.T) {
	data, err := os.ReadFile("testdata/cmyk_gradient.jpg")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/cmyk_gradient.rgb")
	if err != nil {
		t.Fatal(err)
	}
	im, err := newDecoder(t).Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 40 || im.Height != 24 || im.Channels != 3 {
		t.Fatalf("got %dx%d with %d channels, want 40x24 RGB", im.Width, im.Height, im.Channels)
	}
	var diff, worst int
	for i := range want {
		d := int(im.Pix[i]) - int(want[i])
		if d < 0 {
			d = -d
		}
		diff += d
		worst = max(worst, d)
	}
	mean := float64(diff) / float64(len(want))
	t.Logf("%s: CMYK→RGB mean abs diff from PIL %.4f levels, worst %d", Backend, mean, worst)
	limit := 0.0 // libjpeg-turbo decodes the same samples PIL does
	if Backend != "libjpeg-turbo" {
		limit = 0.5 // image/jpeg's IDCT differs slightly
	}
	if mean > limit {
		t.Errorf("mean abs diff %.4f levels from PIL, want ≤ %.1f", mean, limit)
	}
}

func solid(w, h int, c color.Color) *image.NRGBA {
	im := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			im.Set(x, y, c)
		}
	}
	return im
}

func TestPNGIsSniffedAndAlphaDropped(t *testing.T) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, solid(5, 3, color.NRGBA{R: 10, G: 200, B: 30, A: 7})); err != nil {
		t.Fatal(err)
	}
	im, err := newDecoder(t).Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if im.Width != 5 || im.Height != 3 || im.Channels != 3 {
		t.Fatalf("got %dx%dx%d", im.Width, im.Height, im.Channels)
	}
	// PIL's RGBA→RGB drops alpha without compositing.
	if got := im.Pix[:3]; got[0] != 10 || got[1] != 200 || got[2] != 30 {
		t.Errorf("pixel %v, want [10 200 30]", got)
	}
}

func TestGrayJPEGStaysOneChannel(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 16, 8))
	for i := range g.Pix {
		g.Pix[i] = 77
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	im, err := newDecoder(t).Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if im.Channels != 1 || len(im.Pix) != 16*8 || im.Pix[0] != 77 {
		t.Errorf("got %d channels, %d bytes, first %d; want 1, 128, 77", im.Channels, len(im.Pix), im.Pix[0])
	}
}

func noisyJPEG(t *testing.T) []byte {
	t.Helper()
	im := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range im.Pix {
		im.Pix[i] = uint8(i*7919 + i/13)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, im, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBadFiles(t *testing.T) {
	d := newDecoder(t)
	full := noisyJPEG(t)
	if _, err := d.Decode(full); err != nil {
		t.Fatalf("intact JPEG: %v", err)
	}
	if _, err := d.Decode(full[:len(full)*6/10]); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated JPEG: got %v, want ErrTruncated", err)
	}
	if _, err := d.Decode([]byte("this is not an image at all")); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("text: got %v, want ErrUnknownFormat", err)
	}
	junk := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{0x13, 0x37}, 100)...)
	if _, err := d.Decode(junk); err == nil {
		t.Error("corrupt JPEG decoded without error")
	}
	if _, err := d.Decode([]byte("\x89PNG\r\n\x1a\n garbage")); err == nil {
		t.Error("corrupt PNG decoded without error")
	}
	if _, err := d.Decode(nil); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("empty: got %v, want ErrUnknownFormat", err)
	}
}

func TestCMYKFormula(t *testing.T) {
	// Pillow 9.4's convert('RGB') of these CMYK pixels, printed by PIL.
	cases := []struct{ in, want [4]uint8 }{
		{[4]uint8{0, 0, 0, 0}, [4]uint8{255, 255, 255}},
		{[4]uint8{255, 255, 0, 0}, [4]uint8{0, 0, 255}},
		{[4]uint8{0, 0, 0, 255}, [4]uint8{0, 0, 0}},
		{[4]uint8{128, 64, 10, 100}, [4]uint8{77, 116, 149}},
		{[4]uint8{200, 30, 250, 1}, [4]uint8{55, 224, 5}},
	}
	for _, c := range cases {
		got := make([]uint8, 3)
		cmykToRGB(got, c.in[:], false)
		if got[0] != c.want[0] || got[1] != c.want[1] || got[2] != c.want[2] {
			t.Errorf("cmyk %v → %v, want %v", c.in, got, c.want[:3])
		}
	}
}

func TestGray16PNGClipsLikePIL(t *testing.T) {
	g := image.NewGray16(image.Rect(0, 0, 6, 1))
	for i, v := range []uint16{0, 100, 255, 256, 1000, 65535} {
		g.SetGray16(i, 0, color.Gray16{Y: v})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, g); err != nil {
		t.Fatal(err)
	}
	im, err := newDecoder(t).Decode(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	// PIL 9.4: Image.open(...).convert('RGB') of these gives 0 100 255 255 255 255.
	if want := []uint8{0, 100, 255, 255, 255, 255}; im.Channels != 1 || !bytes.Equal(im.Pix, want) {
		t.Errorf("got %v (%d channels), want %v", im.Pix, im.Channels, want)
	}
}
