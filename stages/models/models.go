// Package models resolves each configured model to a local ONNX file: built
// by the zoo (random weights), a user's file, or a checksummed download, with
// the preprocessing and published-accuracy reference that go with it.
package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dnnbench/dnnbench/internal/atomicfile"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/internal/download"
	"github.com/dnnbench/dnnbench/internal/onnxgraph"
	"github.com/dnnbench/dnnbench/internal/preprocess"
	"github.com/dnnbench/dnnbench/stages/models/zoo"
)

// Spec is one configured model: exactly one of Arch, ONNX or URL.
type Spec struct {
	Name, Arch, ONNX, URL, SHA256, Reference string
	// Override replaces preprocessing fields that are set (non-zero).
	Override *config.Preprocess
}

// Options configure resolution.
type Options struct {
	// Dir holds built and downloaded models (inside the cache).
	Dir string
	// Seed draws zoo weights.
	Seed uint64
	// Reference holds reference/*.csv (configs.FS).
	Reference fs.FS
	// Client downloads URLs; nil means download.Client(Timeouts).
	Client *http.Client
	// Timeouts bound each download's connection and every wait for data
	// (defaults: 30 s to connect, 60 s idle).
	Timeouts download.Timeouts
	// Progress reports download or build progress in bytes (may be nil).
	Progress func(done, total int64)
}

// Resolve returns the model's row, building or downloading its file if it is
// not already in opt.Dir. Warnings are returned as data.
func Resolve(ctx context.Context, s Spec, opt Options) (Row, []string, error) {
	row := Row{Model: s.Name, Reference: s.Reference}
	var warnings []string
	var err error
	switch {
	case s.Arch != "":
		a, lerr := zoo.Lookup(s.Arch)
		if lerr != nil {
			return Row{}, nil, fmt.Errorf("models: %s: %w", s.Name, lerr)
		}
		row.Source, row.Arch, row.Weights = "arch", a.Name, "random"
		if row.Reference == "" {
			row.Reference = a.Reference
		}
		var warning string
		row.Path, row.SHA256, row.Bytes, warning, err = buildArch(a.Name, opt)
		if warning != "" {
			warnings = append(warnings, warning)
		}
		size := a.Size
		if size == 0 {
			size = 224
		}
		row.Channels, row.Height, row.Width = 3, size, size
	case s.ONNX != "":
		row.Source, row.Weights, row.Path = "onnx", "pretrained", s.ONNX
		// Check the file type first: hashing a FIFO or /dev/zero never ends.
		if err = onnxgraph.Regular(s.ONNX); err == nil {
			row.SHA256, row.Bytes, err = hashFile(s.ONNX)
		}
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w; check the onnx: path in the config (relative paths are from the working directory)", err)
		}
	case s.URL != "":
		row.Source, row.Weights = "url", "pretrained"
		var warning string
		row.Path, row.Bytes, warning, err = fetchURL(ctx, s.URL, strings.ToLower(s.SHA256), opt)
		if warning != "" {
			warnings = append(warnings, warning)
		}
		row.SHA256 = strings.ToLower(s.SHA256)
	default:
		return Row{}, nil, fmt.Errorf("models: %s: set one of arch, onnx or url", s.Name)
	}
	if err != nil {
		return Row{}, nil, fmt.Errorf("models: %s: %w", s.Name, err)
	}
	shape, err := inputShape(row.Path)
	if err != nil {
		return Row{}, nil, fmt.Errorf("models: %s: %s: %w", s.Name, row.Path, err)
	}
	if row.Source != "arch" {
		if len(shape) != 4 || shape[1] <= 0 || shape[2] <= 0 || shape[3] <= 0 {
			return Row{}, nil, fmt.Errorf("models: %s: input shape %v: want N×C×H×W with fixed C, H and W", s.Name, shape)
		}
		row.Channels, row.Height, row.Width = shape[1], shape[2], shape[3]
	}

	var p preprocess.Spec
	if row.Reference != "" {
		p, err = ReferencePreprocess(opt.Reference, row.Reference)
		if err != nil {
			return Row{}, nil, fmt.Errorf("models: %s: %w", s.Name, err)
		}
	} else {
		p = preprocess.Spec{Resize: int(row.Height * 256 / 224), Crop: int(row.Height), Interpolation: "bilinear",
			Mean: imagenetMean, Std: imagenetStd, Scale: 1}
		if s.Override == nil {
			warnings = append(warnings, fmt.Sprintf("%s: no reference or preprocess given; assuming torchvision's ImageNet preprocessing (resize %d, crop %d, bilinear, ImageNet mean/std, RGB)", s.Name, p.Resize, p.Crop))
		}
	}
	if o := s.Override; o != nil {
		p = merge(p, *o)
	}
	if int64(p.Crop) != row.Height || int64(p.Crop) != row.Width {
		warnings = append(warnings, fmt.Sprintf("%s: crop %d differs from the model input %d×%d", s.Name, p.Crop, row.Height, row.Width))
	}
	row.setPreprocess(p)
	return row, warnings, nil
}

// SpecPreprocess gives a zoo model's preprocessing without building it;
// other models need Resolve, which reads their input size.
func SpecPreprocess(s Spec, ref fs.FS) (preprocess.Spec, error) {
	if s.Arch == "" {
		return preprocess.Spec{}, fmt.Errorf("models: %s: not a zoo model", s.Name)
	}
	a, err := zoo.Lookup(s.Arch)
	if err != nil {
		return preprocess.Spec{}, fmt.Errorf("models: %s: %w", s.Name, err)
	}
	reference := s.Reference
	if reference == "" {
		reference = a.Reference
	}
	p, err := ReferencePreprocess(ref, reference)
	if err != nil {
		return preprocess.Spec{}, fmt.Errorf("models: %s: %w", s.Name, err)
	}
	if s.Override != nil {
		p = merge(p, *s.Override)
	}
	return p, nil
}

// inputShape checks that path is an ONNX model and returns the shape of its
// first input (dynamic dims are -1).
func inputShape(path string) ([]int64, error) {
	ins, _, err := onnxgraph.IO(path)
	if err != nil {
		return nil, err
	}
	if len(ins) == 0 {
		return nil, errors.New("model has no graph input")
	}
	if ins[0].ElemType == 0 {
		return nil, fmt.Errorf("input %q is not a tensor", ins[0].Name)
	}
	return ins[0].Shape, nil
}

// merge applies the fields the config's override sets (non-zero) to p.
func merge(p preprocess.Spec, o config.Preprocess) preprocess.Spec {
	if o.Resize != 0 {
		p.Resize = o.Resize
	}
	if o.Crop != 0 {
		p.Crop = o.Crop
	}
	if o.Interpolation != "" {
		p.Interpolation = o.Interpolation
	}
	if v, ok := triple3(o.Mean); ok {
		p.Mean = v
	}
	if v, ok := triple3(o.Std); ok {
		p.Std = v
	}
	if o.Channels != "" {
		p.BGR = o.Channels == "bgr"
	}
	if o.Scale != 0 {
		p.Scale = o.Scale
	}
	return p
}

// triple3 returns a config list of three values that are not all zero.
func triple3(v []float64) ([3]float64, bool) {
	var a [3]float64
	if len(v) != 3 {
		return a, false
	}
	copy(a[:], v)
	return a, a != [3]float64{}
}

// buildArch builds the zoo model once per arch, seed and builder version; a
// sidecar file records the sha256, size and modification time so later runs
// need not rehash (see verifyCached). A cached file that no longer matches
// its record is rebuilt, with a warning.
func buildArch(arch string, opt Options) (path, sum string, size int64, warning string, err error) {
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return "", "", 0, "", err
	}
	base := fmt.Sprintf("%s-seed%d-%s", arch, opt.Seed, zoo.BuilderVersion)
	path = filepath.Join(opt.Dir, base+".onnx")
	sum, size, state, err := verifyCached(path, "")
	if err != nil {
		return "", "", 0, "", err
	}
	switch state {
	case cachedOK:
		return path, sum, size, "", nil
	case cachedChanged:
		warning = fmt.Sprintf("models: %s no longer matches its recorded sha256 %s (altered on disk); rebuilt it", path, sum)
	}
	info, err := zoo.Build(arch, path, opt.Seed)
	if err != nil {
		return "", "", 0, "", err
	}
	if err := writeRecord(path, info.SHA256); err != nil {
		return "", "", 0, "", err
	}
	return path, info.SHA256, info.Bytes, warning, nil
}

// States of a cached model file.
const (
	cachedMissing = iota // no file or no record of it
	cachedOK             // the file matches its record
	cachedChanged        // the file differs from its recorded sha256
)

// verifyCached checks a cached model file against its sidecar record
// (path.sha256: "sha256 size mtime-ns"). Matching size and modification time
// are trusted; otherwise the file is rehashed, and a hash equal to the
// recorded one (or to want, when set) refreshes the record. It returns the
// recorded sha256 and the file's size.
func verifyCached(path, want string) (sum string, size int64, state int, err error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0, cachedMissing, nil
	}
	if err != nil {
		return "", 0, 0, err
	}
	rec, _ := os.ReadFile(path + ".sha256")
	f := strings.Fields(string(rec))
	if len(f) > 0 {
		sum = f[0]
	}
	if want != "" {
		sum = want
	}
	if sum == "" {
		return "", 0, cachedMissing, nil
	}
	if len(f) == 3 && f[0] == sum && f[1] == strconv.FormatInt(st.Size(), 10) && f[2] == strconv.FormatInt(st.ModTime().UnixNano(), 10) {
		return sum, st.Size(), cachedOK, nil
	}
	got, n, err := hashFile(path)
	if err != nil {
		return "", 0, 0, err
	}
	if got != sum {
		return sum, n, cachedChanged, nil
	}
	return sum, n, cachedOK, writeRecord(path, sum)
}

// writeRecord writes path's sidecar record: its sha256, size and modification time.
func writeRecord(path, sum string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	return atomicfile.Write(path+".sha256", ".tmp-*", func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "%s %d %d\n", sum, st.Size(), st.ModTime().UnixNano())
		return err
	})
}

// fetchURL fetches url into opt.Dir as url-<sha256>.onnx unless a verified
// copy is there (see verifyCached; an altered copy is fetched again, with a
// warning), checking the checksum; a mismatch deletes the download.
func fetchURL(ctx context.Context, url, want string, opt Options) (path string, size int64, warning string, err error) {
	if err := os.MkdirAll(opt.Dir, 0o755); err != nil {
		return "", 0, "", err
	}
	path = filepath.Join(opt.Dir, "url-"+want+".onnx")
	_, size, state, err := verifyCached(path, want)
	if err != nil {
		return "", 0, "", err
	}
	switch state {
	case cachedOK:
		return path, size, "", nil
	case cachedChanged:
		warning = fmt.Sprintf("models: %s no longer matches its sha256 %s (altered on disk); downloaded it again", path, want)
	}
	size, err = fetch(ctx, url, want, path, opt)
	if err != nil {
		return "", 0, "", err
	}
	return path, size, warning, writeRecord(path, want)
}

// fetch downloads url to path through a temporary file, checking its sha256.
func fetch(ctx context.Context, url, want, path string, opt Options) (int64, error) {
	body, err := download.Get(ctx, opt.Client, url, opt.Timeouts)
	if err != nil && ctx.Err() != nil {
		return 0, fmt.Errorf("downloading %w", err)
	}
	if err != nil {
		return 0, fmt.Errorf("downloading %w (check the url and your network, or download it yourself and use onnx: PATH)", err)
	}
	defer body.Close()
	h := sha256.New()
	var n int64
	tmp, err := atomicfile.Temp(opt.Dir, ".download-*.tmp", func(w io.Writer) error {
		var err error
		n, err = io.Copy(io.MultiWriter(w, h, &progressWriter{total: body.Size, fn: opt.Progress}), body)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("downloading %w", err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		os.Remove(tmp)
		return 0, fmt.Errorf("downloading %s: sha256 %s does not match the configured %s; the file was deleted (fix sha256 in the config if the file is right)", url, got, want)
	}
	if err := atomicfile.Rename(tmp, path); err != nil {
		return 0, err
	}
	return n, nil
}

type progressWriter struct {
	done, total int64
	fn          func(done, total int64)
}

func (p *progressWriter) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if p.fn != nil {
		p.fn(p.done, p.total)
	}
	return len(b), nil
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
