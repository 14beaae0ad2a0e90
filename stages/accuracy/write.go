package accuracy

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dnnbench/dnnbench/stages/accuracy/decode"
)

// WritePreprocessed writes, for each image, the exact network input as
// <name>.npy (float32, (3,H,W) for the center mode, (10,3,H,W) for ten) and
// the crops as PNG (<name>.png, or <name>_crop0.png … _crop9.png in
// torchvision's TenCrop order) into outDir, creating it. Names come from the
// image's base name with anything but letters, digits, '-', '_' and '.'
// replaced, made unique. It returns the files written, in order.
func WritePreprocessed(p Preprocess, crop string, images []string, outDir string) ([]string, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	k, err := Crops(crop)
	if err != nil {
		return nil, err
	}
	if len(images) == 0 {
		return nil, errors.New("accuracy: preprocess: no images given")
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("accuracy: preprocess: %w", err)
	}
	dec, err := decode.NewDecoder()
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	norm := p.normaliser()
	used := map[string]bool{}
	var written []string
	for _, path := range images {
		data, err := os.ReadFile(path)
		if err != nil {
			return written, fmt.Errorf("accuracy: preprocess: %w", err)
		}
		im, err := dec.Decode(data)
		if err != nil {
			return written, fmt.Errorf("accuracy: preprocess: %s: %w", path, err)
		}
		tensor := make([]float32, k*p.values())
		crops, err := p.fill(tensor, im, crop, norm)
		if err != nil {
			return written, fmt.Errorf("accuracy: preprocess: %s: %w", path, err)
		}
		base := uniqueName(safeName(path), used)
		w, h := p.inputSize()
		shape := []int{3, h, w}
		if p.NHWC {
			shape = []int{h, w, 3}
		}
		if k > 1 {
			shape = append([]int{k}, shape...)
		}
		npy := filepath.Join(outDir, base+".npy")
		if err := writeFile(npy, func(f *os.File) error { return writeNPY(f, shape, tensor) }); err != nil {
			return written, err
		}
		written = append(written, npy)
		for i, c := range crops {
			name := base + ".png"
			if k > 1 {
				name = fmt.Sprintf("%s_crop%d.png", base, i)
			}
			out := filepath.Join(outDir, name)
			if err := writeFile(out, func(f *os.File) error { return png.Encode(f, cropImage(c)) }); err != nil {
				return written, err
			}
			written = append(written, out)
		}
	}
	return written, nil
}

// safeName is the image's base name without its extension, reduced to
// characters that are safe in any file system; never empty, never hidden.
func safeName(path string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	b := []byte(base)
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			b[i] = '_'
		}
	}
	s := string(b)
	if s == "" || s[0] == '.' {
		s = "_" + s
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func uniqueName(base string, used map[string]bool) string {
	name := base
	for i := 2; used[name]; i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	used[name] = true
	return name
}

func writeFile(path string, write func(*os.File) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("accuracy: preprocess: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("accuracy: preprocess: %w", cerr)
		}
	}()
	if err := write(f); err != nil {
		return fmt.Errorf("accuracy: preprocess: %s: %w", path, err)
	}
	return nil
}

// cropImage wraps crop pixels as a Go image for PNG encoding.
func cropImage(c *crop) image.Image {
	r := image.Rect(0, 0, c.Width, c.Height)
	if c.Channels == 1 {
		return &image.Gray{Pix: c.Pix, Stride: c.Width, Rect: r}
	}
	im := image.NewNRGBA(r)
	for i := 0; i < c.Width*c.Height; i++ {
		copy(im.Pix[4*i:4*i+3], c.Pix[3*i:3*i+3])
		im.Pix[4*i+3] = 255
	}
	return im
}
