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
	"github.com/dnnbench/dnnbench/internal/diag"
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

// Spec is one configured model: exactly one of Arch, ONNX or URLs.
type Spec struct {
	Name, Arch, ONNX, SHA256, Reference string
	// URLs are mirrors of one file, tried in order.
	URLs []string
	// Override replaces preprocessing fields that are set (non-zero).
	Override *config.Preprocess
}

// Config configures resolution.
type Config struct {
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
}

// Inputs are the models one Run resolves.
type Inputs struct {
	Specs []Spec
	// Progress, when not nil, is called as each model starts and as its
	// file downloads.
	Progress func(Progress)
}

// Progress is one report of Run's progress.
type Progress struct {
	// Index is the position in Inputs.Specs of the model being resolved.
	Index int
	// Downloading is false for the report that starts the model and true
	// for each report of its download, whose bytes so far are Done and in
	// all Total (-1 when the server does not say).
	Downloading bool
	Done, Total int64
}

// Result is what Run resolves: one Row per spec, in the order given, and
// the warnings about them.
type Result struct {
	Rows     []Row
	Warnings []diag.Warning
}

// Run resolves each spec in order, building or downloading its file unless
// it is already in cfg.Dir. It errors, naming the model, at the first
// model that cannot be resolved (no source, an unknown arch, a missing or
// unreadable file, a failed download, an input shape that does not fit,
// an unknown reference), and with ctx's error when ctx is cancelled
// before a model or during a download; no rows are returned then.
func Run(ctx context.Context, cfg Config, in Inputs) (*Result, error) {
	res := &Result{}
	for i, s := range in.Specs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var progress func(done, total int64)
		if in.Progress != nil {
			in.Progress(Progress{Index: i})
			progress = func(done, total int64) {
				in.Progress(Progress{Index: i, Downloading: true, Done: done, Total: total})
			}
		}
		row, warnings, err := resolve(ctx, s, cfg, progress)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, row)
		res.Warnings = append(res.Warnings, warnings...)
	}
	return res, nil
}

// resolve returns one model's row and warnings, reporting download
// progress to progress (may be nil).
func resolve(ctx context.Context, s Spec, opt Config, progress func(done, total int64)) (Row, []diag.Warning, error) {
	row := Row{Model: s.Name, Reference: s.Reference}
	var warnings []diag.Warning
	warn := func(code, msg string) {
		warnings = append(warnings, diag.Warning{Stage: "models", Model: s.Name, Code: code, Message: msg})
	}
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
			warn("file-rebuilt", warning)
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
	case len(s.URLs) > 0:
		row.Source, row.Weights = "url", "pretrained"
		var warning string
		row.Path, row.Bytes, warning, err = fetchURL(ctx, s.URLs, strings.ToLower(s.SHA256), opt, progress)
		if warning != "" {
			warn("file-refetched", warning)
		}
		row.SHA256 = strings.ToLower(s.SHA256)
	default:
		return Row{}, nil, fmt.Errorf("models: %s: set one of arch, onnx or urls", s.Name)
	}
	if err != nil {
		return Row{}, nil, fmt.Errorf("models: %s: %w", s.Name, err)
	}
	shape, err := inputShape(row.Path)
	if err != nil {
		return Row{}, nil, fmt.Errorf("models: %s: %s: %w", s.Name, row.Path, err)
	}
	var p preprocess.Spec
	if row.Reference != "" {
		p, err = ReferencePreprocess(opt.Reference, row.Reference)
		if err != nil {
			return Row{}, nil, fmt.Errorf("models: %s: %w", s.Name, err)
		}
	}
	// The input's layout decides which dimensions are H and W, and the
	// size decides the default preprocessing, so read it first.
	nhwc := p.NHWC
	if o := s.Override; o != nil && o.Layout != "" {
		nhwc = o.Layout == "nhwc"
	}
	if row.Source != "arch" {
		c, h, w := 1, 2, 3 // NCHW
		layout := "NCHW"
		if nhwc {
			h, w, c, layout = 1, 2, 3, "NHWC"
		}
		if len(shape) != 4 || shape[c] <= 0 || shape[h] <= 0 || shape[w] <= 0 {
			return Row{}, nil, fmt.Errorf("models: %s: input shape %v: want %s with fixed C, H and W (set preprocess layout: nchw or nhwc to match the model)",
				s.Name, shape, layout)
		}
		row.Channels, row.Height, row.Width = shape[c], shape[h], shape[w]
	}
	if row.Reference == "" {
		p = preprocess.Spec{Resize: int(row.Height * 256 / 224), Crop: int(row.Height), Interpolation: "bilinear",
			Mean: imagenetMean, Std: imagenetStd, Scale: 1, NHWC: nhwc}
		if s.Override == nil {
			warn("preprocess-assumed", fmt.Sprintf("no reference or preprocess given; assuming torchvision's ImageNet preprocessing (resize %d, crop %d, bilinear, ImageNet mean/std, RGB)", p.Resize, p.Crop))
		}
	}
	if o := s.Override; o != nil {
		p = merge(p, *o)
	}
	if w, h := p.InputSize(); int64(w) != row.Width || int64(h) != row.Height {
		warn("input-size-mismatch", fmt.Sprintf("preprocessing makes %d×%d inputs, but the model input is %d×%d", w, h, row.Width, row.Height))
	}
	row.setPreprocess(p)
	return row, warnings, nil
}

// SpecPreprocess gives a zoo model's preprocessing without building it;
// other models need Run, which reads their input size.
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

// merge applies the fields the config's override sets (non-zero) to p. A
// squash resize without a crop means no crop.
func merge(p preprocess.Spec, o config.Preprocess) preprocess.Spec {
	if o.Resize != "" {
		// Validated by config; a squash replaces a shorter side and back.
		side, w, h, _ := preprocess.ParseResize(o.Resize)
		p.Resize, p.SquashWidth, p.SquashHeight = side, w, h
		if w > 0 {
			p.Crop = 0 // a squash without crop: the whole squashed image
		}
	}
	if o.Crop != 0 {
		p.Crop = o.Crop
	}
	if o.Layout != "" {
		p.NHWC = o.Layout == "nhwc"
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
func buildArch(arch string, opt Config) (path, sum string, size int64, warning string, err error) {
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
		warning = fmt.Sprintf("%s no longer matches its recorded sha256 %s (altered on disk); rebuilt it", path, sum)
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

// fetchURL fetches the file into opt.Dir as url-<sha256>.onnx unless a
// verified copy is there (see verifyCached; an altered copy is fetched
// again, with a warning), trying the mirrors in urls in order. The bytes go
// to url-<sha256>.onnx.part first, which a later attempt or run resumes
// with a Range request; the file is renamed into place only once its
// sha256 matches, and a mismatch deletes it.
func fetchURL(ctx context.Context, urls []string, want string, opt Config, progress func(done, total int64)) (path string, size int64, warning string, err error) {
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
		warning = fmt.Sprintf("%s no longer matches its sha256 %s (altered on disk); downloaded it again", path, want)
	}
	var failed []string
	for _, url := range urls {
		size, err = fetch(ctx, url, want, path, opt, progress)
		if err == nil {
			return path, size, warning, writeRecord(path, want)
		}
		if ctx.Err() != nil {
			return "", 0, "", fmt.Errorf("downloading %w (any partial download is kept and resumed next time)", err)
		}
		failed = append(failed, err.Error())
	}
	hint := "check your network, or download the file yourself, check its sha256 and use onnx: PATH"
	if len(urls) == 1 {
		return "", 0, "", fmt.Errorf("downloading %s (%s)", failed[0], hint)
	}
	return "", 0, "", fmt.Errorf("downloading: all %d mirrors failed: %s (%s)", len(urls), strings.Join(failed, "; "), hint)
}

// maxResumes bounds how often one mirror's download is resumed after the
// connection broke; only an attempt that wrote bytes is resumed.
const maxResumes = 3

// fetch downloads url into path+".part", resuming what is there, checks the
// sha256 and renames it to path. A mismatch deletes the part file; when the
// file was resumed it is fetched once more from the start, since the part
// may have come from another copy.
func fetch(ctx context.Context, url, want, path string, opt Config, progress func(done, total int64)) (int64, error) {
	part := path + ".part"
	resumed := false
	for attempt := 0; ; attempt++ {
		n, progressed, err := fetchOnce(ctx, url, part, opt, progress)
		if err != nil {
			if ctx.Err() == nil && progressed && attempt < maxResumes {
				resumed = true
				continue // the connection broke after new bytes: resume
			}
			return 0, err
		}
		got, _, err := hashFile(part)
		if err != nil {
			return 0, err
		}
		if got != want {
			os.Remove(part)
			if resumed {
				resumed = false
				continue
			}
			return 0, fmt.Errorf("%s: sha256 %s does not match the configured %s; the file was deleted (fix sha256 in the config if the file is right)", url, got, want)
		}
		if err := atomicfile.Rename(part, path); err != nil {
			return 0, err
		}
		return n, nil
	}
}

// fetchOnce appends url's bytes to part from its current size (starting
// again when the server ignores the range), reporting progress, and returns
// the file's size and whether this attempt wrote any bytes.
func fetchOnce(ctx context.Context, url, part string, opt Config, progress func(done, total int64)) (size int64, progressed bool, err error) {
	var offset int64
	if st, err := os.Stat(part); err == nil && st.Mode().IsRegular() {
		offset = st.Size()
	}
	body, err := download.GetFrom(ctx, opt.Client, url, offset, opt.Timeouts)
	if err != nil && offset > 0 && errors.Is(err, download.ErrRange) {
		// The server refused the range (416 Requested Range Not
		// Satisfiable) or answered another one: start again.
		os.Remove(part)
		offset = 0
		body, err = download.GetFrom(ctx, opt.Client, url, 0, opt.Timeouts)
	}
	if err != nil {
		return 0, false, err
	}
	defer body.Close()
	flags := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if body.Offset == 0 {
		flags |= os.O_TRUNC
	}
	f, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return 0, false, err
	}
	total := int64(-1)
	if body.Size >= 0 {
		total = body.Offset + body.Size
	}
	pw := &progressWriter{done: body.Offset, total: total, fn: progress}
	n, err := io.Copy(io.MultiWriter(f, pw), body)
	if err == nil {
		err = f.Sync() // durable before the rename into place
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && body.Size >= 0 && n != body.Size {
		err = fmt.Errorf("%s: got %d of %d bytes", url, n, body.Size)
	}
	return body.Offset + n, n > 0, err
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
