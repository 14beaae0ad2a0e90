// Package accuracy measures top-1/top-5 ImageNet accuracy of an ONNX image
// classifier with preprocessing that reproduces the PIL/torchvision recipe
// bit for bit, and looks up published accuracy for models whose weights are
// random.
package accuracy

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/dnnbench/dnnbench/internal/diag"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/stages/accuracy/dataset"
	"github.com/dnnbench/dnnbench/stages/accuracy/decode"
)

// Model is one classifier to score.
type Model struct {
	// Name is the model's name from the config.
	Name string
	// Path is the ONNX file.
	Path string
	// Weights is "random" or "pretrained"; random weights are never measured.
	Weights string
	// Reference is the published-accuracy key (see Published); may be empty.
	Reference string
	// Preprocess makes the network input from an image.
	Preprocess Preprocess
	// ActivationBytes estimates the network's intermediate tensors per
	// input in bytes (the flops stage's peak_activation_bytes); the batch's
	// memory bound counts them. 0 means unknown.
	ActivationBytes int64
}

// Config configures a run.
type Config struct {
	// Dataset is the ImageNet validation folder; empty means published values only.
	Dataset string
	// Crops are the crop modes to score, "center" and/or "ten"; default center.
	Crops []string
	// Limit scores a deterministic, evenly spread subset of this many images; 0 = all.
	Limit int
	// BatchSize is the number of network inputs per inference (a ten-crop
	// image takes ten); default 32, capped at what the images need. A model
	// with a fixed batch uses its own. A batch whose buffers would take more
	// than half the available memory is an error naming the largest that fits.
	BatchSize int
	// Workers decode and preprocess in parallel; default runtime.GOMAXPROCS(0),
	// at most WorkersPerCore per core, capped at the number of images.
	Workers int
	// MaxSkippedPercent is the largest share of images, in percent, that may
	// be skipped (unreadable) before a row fails; 0 allows none.
	MaxSkippedPercent float64
	// Limits are the machine's memory and cores; zero fields are read from the machine.
	Limits Limits
	// ChunkSize is the number of images per checkpointed chunk; default 1000.
	ChunkSize int
	// Library is the ONNX Runtime library; empty means onnxrt.Locate("").
	Library string
	// Session configures the inference session.
	Session onnxrt.Options
}

// Chunk identifies one checkpointed piece of a run.
type Chunk struct {
	// Crop is the crop mode.
	Crop string
	// Index is the chunk's position; chunks cover the image list in order.
	Index int
	// Images is the number of images in the chunk.
	Images int
	// Key is a hex SHA-256 of Fingerprint, the crop mode, the preprocessing,
	// the dataset's identity (resolved image folder, label list) and the
	// chunk's image names, labels and file identities (size, modification
	// time). A checkpoint store must add the model file's identity and the
	// runtime version to it.
	Key string
}

// ChunkResult is the outcome of one chunk.
type ChunkResult struct {
	// Scored, Top1 and Top5 count images scored and those right at 1 and 5.
	Scored, Top1, Top5 int64
	// Skipped lists "name: reason" for images that could not be read, sorted.
	Skipped []string
}

// Checkpoint stores chunk results so an interrupted run resumes where it
// stopped. Load reports ok=false for a chunk never saved.
type Checkpoint interface {
	Load(c Chunk) (r ChunkResult, ok bool, err error)
	Save(c Chunk, r ChunkResult) error
}

// DatasetWarning is the code of warnings about entries the dataset listing
// ignored; they are the same for every model.
const DatasetWarning = "dataset-entry-ignored"

// Inputs are what one Run scores.
type Inputs struct {
	// Model is the classifier to score.
	Model Model
	// Checkpoint keeps chunk results so an interrupted run resumes; may be nil.
	Checkpoint Checkpoint
	// Progress, if not nil, is called with the images done and the total
	// over all crop modes.
	Progress func(done, total int)
}

// Result is what Run returns: one row per crop mode (and the published
// row beside it), and warnings (skipped images, dataset oddities).
type Result struct {
	Rows     []Row
	Warnings []diag.Warning
}

// Run scores in.Model on the dataset in cfg for each crop mode. A model
// with random weights, or a run without a dataset, gets its published row
// instead (none when it has no reference, with a warning). It errors when
// the stage cannot run: invalid preprocessing or crop modes, settings past
// the machine's Limits, an unreadable dataset or model, a crop mode where
// no image could be read (naming the first causes), or ctx cancelled. A
// crop mode with more than MaxSkippedPercent unreadable images is a row
// with status StatusError.
func Run(ctx context.Context, cfg Config, in Inputs) (*Result, error) {
	rows, warns, err := run(ctx, cfg, in.Model, in.Checkpoint, in.Progress)
	if err != nil {
		return nil, err
	}
	return &Result{Rows: rows, Warnings: warns}, nil
}

func run(ctx context.Context, cfg Config, m Model, cp Checkpoint, progress func(done, total int)) ([]Row, []diag.Warning, error) {
	if m.Weights == "random" || cfg.Dataset == "" {
		why := "no dataset configured"
		if m.Weights == "random" {
			why = "random weights"
		}
		if m.Reference == "" {
			return nil, []diag.Warning{{Stage: "accuracy", Model: m.Name, Code: "no-accuracy", Message: why + " and no published reference; no accuracy"}}, nil
		}
		row, ok, err := Published(m.Reference)
		if err != nil {
			return nil, nil, fmt.Errorf("accuracy: %s: %w", m.Name, err)
		}
		if !ok {
			return nil, []diag.Warning{{Stage: "accuracy", Model: m.Name, Code: "reference-not-found", Message: fmt.Sprintf("reference %q not found in the published tables", m.Reference)}}, nil
		}
		row.Model = m.Name
		row.Status = StatusOK
		return []Row{row}, nil, nil
	}
	if err := m.Preprocess.Validate(); err != nil {
		return nil, nil, fmt.Errorf("accuracy: %s: %w", m.Name, err)
	}
	for _, c := range cfg.Crops {
		if _, err := Crops(c); err != nil {
			return nil, nil, err
		}
	}
	classes, err := dataset.LoadClasses(configs.FS)
	if err != nil {
		return nil, nil, err
	}
	ds, err := dataset.Open(cfg.Dataset, classes)
	if err != nil {
		return nil, nil, err
	}
	items := ds.Subset(cfg.Limit)
	lim := cfg.Limits.resolve()
	if cfg.Workers, err = checkWorkers(cfg.Workers, len(items), lim); err != nil {
		return nil, nil, err
	}
	crops := 1
	for _, c := range cfg.Crops {
		k, _ := Crops(c)
		crops = max(crops, k)
	}
	lib := cfg.Library
	if lib == "" {
		if lib, err = onnxrt.Locate(""); err != nil {
			return nil, nil, err
		}
	}
	if _, err := onnxrt.Init(lib); err != nil {
		return nil, nil, err
	}
	sess, err := onnxrt.NewSession(m.Path, cfg.Session)
	if err != nil {
		return nil, nil, fmt.Errorf("accuracy: %s: %w", m.Name, err)
	}
	defer sess.Close()
	w, h := m.Preprocess.inputSize()
	need := batchNeed{width: w, height: h, nhwc: m.Preprocess.NHWC, nout: classes.Len() + 1, workers: cfg.Workers, crops: crops, activation: m.ActivationBytes}
	in, err := newSessionInfer(sess, cfg.BatchSize, len(items)*crops, need, lim)
	if err != nil {
		return nil, nil, fmt.Errorf("accuracy: %s: %w", m.Name, err)
	}
	defer in.close()
	rows, warns, err := measure(ctx, cfg, m, ds, items, classes.Len(), in, cp, progress)
	if err != nil {
		return nil, nil, err
	}
	var listing []diag.Warning
	for _, w := range ds.Warnings {
		listing = append(listing, diag.Warning{Stage: "accuracy", Code: DatasetWarning, Message: w})
	}
	warns = append(listing, warns...)
	if m.Reference != "" {
		// The published row stands beside the measured one, so the report can
		// say whether the published figure is reproduced here.
		pub, ok, err := Published(m.Reference)
		if err != nil {
			return nil, nil, fmt.Errorf("accuracy: %s: %w", m.Name, err)
		}
		if !ok {
			warns = append(warns, diag.Warning{Stage: "accuracy", Model: m.Name, Code: "reference-not-found", Message: fmt.Sprintf("reference %q not found in the published tables; measured accuracy only", m.Reference)})
		} else {
			pub.Model, pub.Status = m.Name, StatusOK
			rows = append(rows, pub)
		}
	}
	return rows, warns, nil
}

// inferer runs a classifier on batches of fixed size.
type inferer interface {
	// size is the number of inputs per run.
	size() int
	// input is the batch input buffer, size()×3×crop×crop.
	input() []float32
	// run runs the batch and returns size()×classes scores.
	run() ([]float32, error)
}

type sessionInfer struct {
	b *onnxrt.Batch
	n int
}

// newSessionInfer allocates a batch for s: the configured size (default 32)
// capped at the inputs the images need, or the model's fixed batch, within
// the memory bound of lim.
func newSessionInfer(s *onnxrt.Session, batch, inputs int, need batchNeed, lim Limits) (*sessionInfer, error) {
	shape := s.InputShape()
	c, h, w, layout := 1, 2, 3, "N×3×H×W (NCHW)"
	if need.nhwc {
		h, w, c, layout = 1, 2, 3, "N×H×W×3 (NHWC)"
	}
	if len(shape) != 4 || (shape[c] > 0 && shape[c] != 3) {
		return nil, fmt.Errorf("input shape %v is not %s; set preprocess layout to the model's", shape, layout)
	}
	if (shape[h] > 0 && shape[h] != int64(need.height)) || (shape[w] > 0 && shape[w] != int64(need.width)) {
		return nil, fmt.Errorf("input shape %v (%s) does not match the %d×%d input (W×H) of its preprocessing", shape, layout, need.width, need.height)
	}
	if shape[h] < 0 || shape[w] < 0 {
		return nil, fmt.Errorf("input shape %v has dynamic height or width; the accuracy stage needs them fixed", shape)
	}
	n := batch
	if n <= 0 {
		n = 32
	}
	n = max(1, min(n, inputs))
	if shape[0] > 0 {
		n = int(shape[0])
		need.fixed = true
	}
	if err := need.check(n, lim); err != nil {
		return nil, err
	}
	b, err := s.NewBatch(n)
	if err != nil {
		return nil, err
	}
	return &sessionInfer{b: b, n: n}, nil
}

func (s *sessionInfer) size() int        { return s.n }
func (s *sessionInfer) input() []float32 { return s.b.Input() }
func (s *sessionInfer) close() error     { return s.b.Close() }
func (s *sessionInfer) run() ([]float32, error) {
	if err := s.b.Run(); err != nil {
		return nil, err
	}
	return s.b.Output(), nil
}

// measure scores items in chunks for every crop mode.
func measure(ctx context.Context, cfg Config, m Model, ds *dataset.Dataset, items []dataset.Item, nclass int, in inferer, cp Checkpoint, progress func(done, total int)) ([]Row, []diag.Warning, error) {
	if err := m.Preprocess.Validate(); err != nil {
		return nil, nil, fmt.Errorf("accuracy: %s: %w", m.Name, err)
	}
	crops := cfg.Crops
	if len(crops) == 0 {
		crops = []string{CropCenter}
	}
	var warns []diag.Warning
	var modes []string
	for _, c := range crops {
		if _, err := Crops(c); err != nil {
			return nil, nil, err
		}
		if c == CropTen && m.Preprocess.Crop == 0 {
			warns = append(warns, diag.Warning{Stage: "accuracy", Model: m.Name, Code: "ten-crop-not-scored", Message: "ten-crop not scored: its preprocessing has no crop (the squashed image is the input)"})
			continue
		}
		modes = append(modes, c)
	}
	crops = modes
	chunk := cfg.ChunkSize
	if chunk <= 0 {
		chunk = 1000
	}
	workers := max(1, min(cfg.Workers, len(items)))
	if cfg.Workers <= 0 {
		workers = max(1, min(runtime.GOMAXPROCS(0), len(items)))
	}
	reader, err := ds.NewReader()
	if err != nil {
		return nil, nil, err
	}
	defer reader.Close()
	dsID, err := ds.Identity()
	if err != nil {
		return nil, nil, err
	}
	total := len(items) * len(crops)
	done := 0
	var rows []Row
	for _, mode := range crops {
		var sum ChunkResult
		for ci, start := 0, 0; start < len(items); ci, start = ci+1, start+chunk {
			part := items[start:min(start+chunk, len(items))]
			c := Chunk{Crop: mode, Index: ci, Images: len(part), Key: chunkKey(dsID, mode, m.Preprocess, ds, part)}
			r, ok := ChunkResult{}, false
			if cp != nil {
				if r, ok, err = cp.Load(c); err != nil {
					return nil, nil, fmt.Errorf("accuracy: %s: loading checkpoint: %w", m.Name, err)
				}
			}
			if !ok {
				var onImages func(int)
				if progress != nil {
					base := done
					onImages = func(n int) { progress(base+n, total) }
				}
				r, err = score(ctx, m.Preprocess, mode, part, reader, nclass, in, workers, onImages)
				if err != nil {
					return nil, nil, fmt.Errorf("accuracy: %s %s crop: %w", m.Name, mode, err)
				}
				if cp != nil {
					if err := cp.Save(c, r); err != nil {
						return nil, nil, fmt.Errorf("accuracy: %s: saving checkpoint: %w", m.Name, err)
					}
				}
			}
			sum.Scored += r.Scored
			sum.Top1 += r.Top1
			sum.Top5 += r.Top5
			sum.Skipped = append(sum.Skipped, r.Skipped...)
			done += len(part)
			if ok && progress != nil {
				progress(done, total)
			}
		}
		if sum.Scored == 0 {
			return nil, nil, fmt.Errorf("accuracy: %s %s crop: none of the %d images could be scored: %s",
				m.Name, mode, len(items), firstCauses(sum.Skipped, 3))
		}
		row := Row{Model: m.Name, Dataset: cfg.Dataset, Crop: mode, N: sum.Scored, Source: "measured",
			Skipped: int64(len(sum.Skipped)), Status: StatusOK, Ignored: int64(ds.Ignored), DatasetImages: int64(len(ds.Items))}
		share := 100 * float64(len(sum.Skipped)) / float64(len(items))
		if share > cfg.MaxSkippedPercent {
			row.Status = StatusError
			row.Error = fmt.Sprintf("%d of %d images (%.2f%%) could not be read, more than accuracy.max_skipped %g%%; no accuracy is reported: %s",
				len(sum.Skipped), len(items), share, cfg.MaxSkippedPercent, firstCauses(sum.Skipped, 3))
		} else {
			row.Top1 = 100 * float64(sum.Top1) / float64(sum.Scored)
			row.Top5 = 100 * float64(sum.Top5) / float64(sum.Scored)
			row.Top1CI95 = 100 * WilsonHalfWidth(sum.Top1, sum.Scored)
		}
		for _, s := range sum.Skipped {
			warns = append(warns, diag.Warning{Stage: "accuracy", Model: m.Name, Code: "image-skipped", Message: fmt.Sprintf("%s crop: skipped %s", mode, s)})
		}
		row.Warnings = skippedSummary(sum.Skipped)
		rows = append(rows, row)
	}
	return rows, warns, nil
}

// firstCauses names the first most skipped images and why, and how many more.
func firstCauses(skipped []string, most int) string {
	s := strings.Join(skipped[:min(len(skipped), most)], "; ")
	if len(skipped) > most {
		s += fmt.Sprintf("; and %d more", len(skipped)-most)
	}
	return s
}

// skippedSummary lists up to ten skipped images for the row's warnings column.
func skippedSummary(skipped []string) []string {
	const most = 10
	var out []string
	for _, s := range skipped[:min(len(skipped), most)] {
		out = append(out, "skipped "+s)
	}
	if len(skipped) > most {
		out = append(out, fmt.Sprintf("and %d more skipped", len(skipped)-most))
	}
	return out
}

// WilsonHalfWidth is the half-width of the Wilson score 95% interval
// (z = 1.96) for k successes in n trials, as a fraction. The Wilson interval
// stays inside [0, 1] and behaves at accuracies near 0 or 100%, where the
// normal approximation does not; its centre is not exactly k/n, so the
// half-width reported is half the interval's length.
func WilsonHalfWidth(k, n int64) float64 {
	if n <= 0 {
		return 0
	}
	const z = 1.959963984540054
	p := float64(k) / float64(n)
	nn := float64(n)
	return z / (1 + z*z/nn) * math.Sqrt(p*(1-p)/nn+z*z/(4*nn*nn))
}

// WilsonInterval is the Wilson score 95% interval (z = 1.96) for k
// successes in n trials, as fractions; (0, 0) when n is not positive.
func WilsonInterval(k, n int64) (lo, hi float64) {
	if n <= 0 {
		return 0, 0
	}
	const z = 1.959963984540054
	p := float64(k) / float64(n)
	nn := float64(n)
	centre := (p + z*z/(2*nn)) / (1 + z*z/nn)
	half := WilsonHalfWidth(k, n)
	return max(0, centre-half), min(1, centre+half)
}

// Fingerprint names what, besides the model, the dataset and the settings,
// decides this stage's results: its schema version and the JPEG decoder
// (the pure-Go fallback build differs from libjpeg-turbo on some pixels).
// Cache keys for accuracy rows should include it.
func Fingerprint() string {
	return "accuracy v1 decoder " + decode.Backend
}

func chunkKey(dsID, mode string, p Preprocess, ds *dataset.Dataset, items []dataset.Item) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%+v\x00%s\x00", Fingerprint(), mode, p, dsID)
	var b [8]byte
	for _, it := range items {
		h.Write([]byte(it.Name))
		binary.LittleEndian.PutUint64(b[:], uint64(it.Label))
		h.Write(b[:])
		h.Write([]byte(ds.ItemIdentity(it) + "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// prepared is one image's tensor (or why it has none).
type prepared struct {
	index  int
	tensor []float32 // crops×3×c×c, from the pool
	err    error
}

// progressEvery is how many finished images pass between progress calls.
const progressEvery = 16

// score decodes and preprocesses items on workers goroutines and feeds the
// tensors to in, in batches, on the calling goroutine. Memory stays bounded
// by a fixed pool of tensor buffers. onImages, if not nil, is called on the
// calling goroutine with the number of images finished (scored or skipped),
// every progressEvery images and once at the end.
func score(ctx context.Context, p Preprocess, mode string, items []dataset.Item, r *dataset.Reader, nclass int, in inferer, workers int, onImages func(int)) (ChunkResult, error) {
	k, _ := Crops(mode)
	size := p.values()
	n := in.size()
	if len(in.input()) != n*size {
		w, h := p.inputSize()
		return ChunkResult{}, fmt.Errorf("batch input holds %d values, want %d×3×%d×%d", len(in.input()), n, h, w)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Enough buffers to keep every worker busy while a batch fills.
	nbuf := 2*workers + (n+k-1)/k + 1
	pool := make(chan []float32, nbuf)
	for i := 0; i < nbuf; i++ {
		pool <- make([]float32, k*size)
	}
	jobs := make(chan int)
	results := make(chan prepared, nbuf)
	norm := p.normaliser()
	var wg sync.WaitGroup
	// initErr holds the first worker's failure to start.
	initErr := make(chan error, 1)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dec, err := decode.NewDecoder()
			if err != nil {
				select {
				case initErr <- err:
				default:
				}
				cancel()
				return
			}
			defer dec.Close()
			for i := range jobs {
				var buf []float32
				select {
				case buf = <-pool:
				case <-ctx.Done():
					return
				}
				res := prepared{index: i, tensor: buf}
				data, err := r.ReadFile(items[i])
				if err == nil {
					var im *decode.Image
					if im, err = dec.Decode(data); err == nil {
						_, err = p.fill(buf, im, mode, norm)
					}
				}
				if err != nil {
					res.err = err
				}
				select {
				case results <- res:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range items {
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()

	var res ChunkResult
	finished := 0
	finish := func() {
		finished++
		if onImages != nil && (finished%progressEvery == 0 || finished == len(items)) {
			onImages(finished)
		}
	}
	// Pending images whose crops are in the batch or waiting for it.
	type pending struct {
		label int
		sum   []float64 // logits summed over the image's crops
		left  int       // crops not yet run
	}
	batch := make([]*pending, 0, n)
	input := in.input()
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		clear(input[len(batch)*size:])
		out, err := in.run()
		if onnxrt.IsOOM(err) {
			return fmt.Errorf("inference at batch %d ran out of memory; lower accuracy.batch_size: %w", n, err)
		}
		if err != nil {
			return fmt.Errorf("inference: %w", err)
		}
		if len(out) != n*nclass && len(out) != n*(nclass+1) {
			return fmt.Errorf("model output has %d values for a batch of %d; want %d classes per input", len(out), n, nclass)
		}
		per := len(out) / n
		skip := per - nclass // a 1001-class output has background at index 0
		for j, img := range batch {
			o := out[j*per+skip : (j+1)*per]
			for c, v := range o {
				img.sum[c] += float64(v)
			}
			img.left--
			if img.left == 0 {
				res.Scored++
				rank := labelRank(img.sum, img.label)
				if rank < 1 {
					res.Top1++
				}
				if rank < 5 {
					res.Top5++
				}
				finish()
			}
		}
		batch = batch[:0]
		return nil
	}
	received := 0
	for received < len(items) {
		var pr prepared
		var ok bool
		select {
		case pr, ok = <-results:
		case <-ctx.Done():
			select {
			case err := <-initErr:
				return res, err
			default:
			}
			return res, ctx.Err()
		}
		if !ok {
			break
		}
		received++
		if pr.err != nil {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%s: %v", items[pr.index].Name, reason(pr.err)))
			pool <- pr.tensor
			finish()
			continue
		}
		img := &pending{label: items[pr.index].Label, sum: make([]float64, nclass), left: k}
		for c := 0; c < k; c++ {
			copy(input[len(batch)*size:(len(batch)+1)*size], pr.tensor[c*size:(c+1)*size])
			batch = append(batch, img)
			if len(batch) == n {
				if err := flush(); err != nil {
					return res, err
				}
			}
		}
		pool <- pr.tensor
	}
	select {
	case err := <-initErr:
		return res, err
	default:
	}
	if received < len(items) {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		return res, errors.New("workers stopped early")
	}
	if err := flush(); err != nil {
		return res, err
	}
	sort.Strings(res.Skipped)
	return res, nil
}

// reason shortens a skip error for the warnings.
func reason(err error) string {
	switch {
	case errors.Is(err, decode.ErrTruncated):
		return "truncated image file"
	case errors.Is(err, decode.ErrUnknownFormat):
		return "not a JPEG or PNG image"
	}
	return err.Error()
}

// labelRank is the number of classes ranked above the label: those with a
// higher score, and those with an equal score and a lower index (the order
// a stable descending sort gives). A NaN label score ranks last.
func labelRank(scores []float64, label int) int {
	s := scores[label]
	if math.IsNaN(s) {
		return len(scores)
	}
	rank := 0
	for c, v := range scores {
		if v > s || (v == s && c < label) {
			rank++
		}
	}
	return rank
}
