// Command convert made testdata/golden from the golden preprocessing set
// (24 ImageNet JPEGs and torchvision's float32 .npy tensors, see README.md):
// it maps every tensor value back to the 0..255 level torchvision's
// ToTensor → Normalize made it from, fails unless every value is such a
// level, writes the levels as PNG crops (stacked top to bottom for ten-crop)
// and the 768-entry level table, and checks each PNG reads back exactly.
//
//	go run ./testdata/golden/convert SRC DST
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func readNPY(path string) []float32 {
	b, err := os.ReadFile(path)
	must(err)
	hl := int(binary.LittleEndian.Uint16(b[8:10]))
	d := b[10+hl:]
	out := make([]float32, len(d)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:]))
	}
	return out
}

func must(err error) {
	if err != nil {
		fail(err)
	}
}

func fail(v any) {
	fmt.Fprintln(os.Stderr, "convert:", v)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 3 {
		fail("usage: go run ./testdata/golden/convert SRC DST")
	}
	src, dst := os.Args[1], os.Args[2]
	// torchvision: ToTensor = float32(v)/255, Normalize = (x - mean)/std in float32.
	mean := [3]float32{0.485, 0.456, 0.406}
	std := [3]float32{0.229, 0.224, 0.225}
	var table [3][256]float32
	inv := [3]map[uint32]uint8{{}, {}, {}}
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			x := float32(v) / 255
			x = x - mean[c]
			table[c][v] = x / std[c]
			inv[c][math.Float32bits(table[c][v])] = uint8(v)
		}
	}
	var seen [3][256]bool
	f, err := os.Open(filepath.Join(src, "manifest.csv"))
	must(err)
	recs, err := csv.NewReader(f).ReadAll()
	must(err)
	total, bytesOut := 0, 0
	toLevels := func(name string, x []float32, crops int) []uint8 {
		const s = 224
		plane := s * s
		lv := make([]uint8, len(x))
		for i, v := range x {
			c := (i / plane) % 3
			l, ok := inv[c][math.Float32bits(v)]
			if !ok {
				fail(fmt.Sprintf("%s value %d = %v (bits %08x) channel %d is no level", name, i, v, math.Float32bits(v), c))
			}
			seen[c][l] = true
			lv[i] = l
		}
		total += len(x)
		return lv
	}
	// PNG: crops stacked vertically, gray when R=G=B everywhere.
	writePNG := func(path string, lv []uint8, crops int) {
		const s = 224
		plane := s * s
		gray := true
		for k := 0; k < crops && gray; k++ {
			b := lv[k*3*plane:]
			for i := 0; i < plane; i++ {
				if b[i] != b[plane+i] || b[i] != b[2*plane+i] {
					gray = false
					break
				}
			}
		}
		var im image.Image
		if gray {
			g := image.NewGray(image.Rect(0, 0, s, s*crops))
			for k := 0; k < crops; k++ {
				copy(g.Pix[k*plane:], lv[k*3*plane:k*3*plane+plane])
			}
			im = g
		} else {
			r := image.NewNRGBA(image.Rect(0, 0, s, s*crops))
			for k := 0; k < crops; k++ {
				b := lv[k*3*plane:]
				for i := 0; i < plane; i++ {
					r.SetNRGBA(i%s, k*s+i/s, color.NRGBA{b[i], b[plane+i], b[2*plane+i], 255})
				}
			}
			im = r
		}
		var buf bytes.Buffer
		must((&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, im))
		must(os.MkdirAll(filepath.Dir(path), 0o755))
		must(os.WriteFile(path, buf.Bytes(), 0o644))
		bytesOut += buf.Len()
		// Read back and check every float.
		back, err := png.Decode(bytes.NewReader(buf.Bytes()))
		must(err)
		for k := 0; k < crops; k++ {
			for y := 0; y < s; y++ {
				for x := 0; x < s; x++ {
					c := color.NRGBAModel.Convert(back.At(x, k*s+y)).(color.NRGBA)
					i := k*3*plane + y*s + x
					if c.R != lv[i] || c.G != lv[plane+i] || c.B != lv[2*plane+i] {
						fail(path + ": png round trip")
					}
				}
			}
		}
	}
	out := [][]string{{"image", "wnid", "mode", "width", "height", "center", "tencrop"}}
	for _, r := range recs[1:] {
		name := strings.TrimSuffix(filepath.Base(r[5]), ".npy")
		x := readNPY(filepath.Join(src, r[5]))
		cpng := "center/" + name + ".png"
		writePNG(filepath.Join(dst, cpng), toLevels(r[5], x, 1), 1)
		tpng := ""
		if r[6] != "" {
			if _, err := os.Stat(filepath.Join(src, r[6])); err == nil {
				x := readNPY(filepath.Join(src, r[6]))
				tpng = "tencrop/" + name + ".png"
				writePNG(filepath.Join(dst, tpng), toLevels(r[6], x, 10), 10)
			}
		}
		img, err := os.ReadFile(filepath.Join(src, r[0]))
		must(err)
		must(os.MkdirAll(filepath.Join(dst, "images"), 0o755))
		must(os.WriteFile(filepath.Join(dst, r[0]), img, 0o644))
		out = append(out, []string{r[0], r[1], r[2], r[3], r[4], cpng, tpng})
	}
	mf, err := os.Create(filepath.Join(dst, "manifest.csv"))
	must(err)
	w := csv.NewWriter(mf)
	must(w.WriteAll(out))
	must(mf.Close())
	missing := 0
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			if !seen[c][v] {
				missing++
				fmt.Printf("channel %d level %d never seen\n", c, v)
			}
		}
	}
	lf, err := os.Create(filepath.Join(dst, "levels.csv"))
	must(err)
	lw := csv.NewWriter(lf)
	must(lw.Write([]string{"channel", "level", "value", "bits"}))
	for c := 0; c < 3; c++ {
		for v := 0; v < 256; v++ {
			if seen[c][v] {
				x := table[c][v]
				must(lw.Write([]string{fmt.Sprint(c), fmt.Sprint(v), strconv.FormatFloat(float64(x), 'g', -1, 32), fmt.Sprintf("%08x", math.Float32bits(x))}))
			}
		}
	}
	lw.Flush()
	must(lw.Error())
	must(lf.Close())
	fmt.Printf("%d floats all reproduced; %d png bytes; %d levels unseen\n", total, bytesOut, missing)
}
