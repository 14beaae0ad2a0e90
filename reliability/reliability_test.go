package reliability

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/dnnbench/dnnbench/internal/pdftext"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/testmodel"
)

// perCase bounds every run: a case that takes longer has hung.
const perCase = 30 * time.Second

var (
	pipelineBin string // the pipeline binary built by TestMain
	ortLib      string // the ONNX Runtime library the children use
)

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

// setup builds the pipeline once into a temporary directory, finds ONNX
// Runtime (the timing and accuracy cases need it), and runs the tests.
func setup(m *testing.M) (int, error) {
	lib, err := onnxrt.Locate("")
	if err != nil {
		return 0, fmt.Errorf("%w (run make setup)", err)
	}
	ortLib = lib
	tmp, err := os.MkdirTemp("", "reliability-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	pipelineBin = filepath.Join(tmp, "pipeline")
	build := exec.Command("go", "build", "-o", pipelineBin, "./pipeline")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("building the pipeline: %v\n%s", err, out)
	}
	return m.Run(), nil
}

// hostile is one hostile input and how the run must end.
type hostile struct {
	name string
	// setup builds the input in dir (the run's working directory) and
	// returns the pipeline's arguments.
	setup func(t *testing.T, dir string) []string
	// exit is the expected exit status; want are substrings of its stderr.
	exit int
	want []string
	// interrupt sends SIGINT this long after the start (0: never).
	interrupt time.Duration
	// check asserts on the run's outputs, when given.
	check func(t *testing.T, dir string)
}

// run runs one case and checks the outcome.
func (h hostile) run(t *testing.T) {
	dir := t.TempDir()
	args := h.setup(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), perCase)
	defer cancel()
	cmd := exec.CommandContext(ctx, pipelineBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ONNXRUNTIME_LIB="+ortLib)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if h.interrupt > 0 {
		timer := time.AfterFunc(h.interrupt, func() { cmd.Process.Signal(os.Interrupt) })
		defer timer.Stop()
	}
	err := cmd.Wait()
	text := out.String()
	if ctx.Err() != nil {
		t.Fatalf("still running after %v (hung); output:\n%s", perCase, text)
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	if got := cmd.ProcessState.ExitCode(); got != h.exit {
		t.Errorf("exit status %d, want %d; output:\n%s", got, h.exit, text)
	}
	for _, w := range h.want {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q; output:\n%s", w, text)
		}
	}
	for _, crash := range []string{"panic:", "goroutine ", "fatal error:", "SIGSEGV"} {
		if strings.Contains(text, crash) {
			t.Errorf("output shows a crash (%q):\n%s", crash, text)
		}
	}
	if h.check != nil && !t.Failed() {
		h.check(t, dir)
	}
}

// write writes data to dir/name, creating folders.
func write(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// model returns a tiny ONNX classifier (input N×3×8×8).
func model(t *testing.T, s testmodel.Spec) []byte {
	t.Helper()
	b, err := testmodel.Bytes(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stage returns a setup that writes yaml as c.yaml (and, unless the config
// names no onnx file, a working model m.onnx) and runs stage.
func stage(stage, yaml string, extra ...string) func(t *testing.T, dir string) []string {
	return func(t *testing.T, dir string) []string {
		write(t, dir, "c.yaml", []byte(yaml))
		write(t, dir, "m.onnx", model(t, testmodel.Spec{}))
		return append([]string{"--config", "c.yaml", "--stage", stage, "--out", "out", "--cache", "cache"}, extra...)
	}
}

// withModel is a config of one model read from path, plus rest.
func withModel(path, rest string) string {
	return "name: t\nmodels:\n  - name: m\n    onnx: " + path + "\n" + rest
}

// modelFile returns a setup that lets make build the model file (or not)
// before running the models stage on it.
func modelFile(path string, make func(t *testing.T, dir string)) func(t *testing.T, dir string) []string {
	return func(t *testing.T, dir string) []string {
		make(t, dir)
		return stage("models", withModel(path, ""))(t, dir)
	}
}

// server serves h on 127.0.0.1 until the test ends; a handler blocking on
// done is released first.
func server(t *testing.T, h func(w http.ResponseWriter, done <-chan struct{})) string {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h(w, done) }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(done) })
	return srv.URL + "/m.onnx"
}

// download returns a setup whose one model is url (from serve) with sha256 sum.
func download(serve func(t *testing.T) string, sum string, extra ...string) func(t *testing.T, dir string) []string {
	return func(t *testing.T, dir string) []string {
		url := serve(t)
		return stage("models", "name: t\nmodels:\n  - name: m\n    url: "+url+"\n    sha256: "+sum+"\n", extra...)(t, dir)
	}
}

func silent(t *testing.T) string {
	return server(t, func(w http.ResponseWriter, done <-chan struct{}) { <-done })
}

var zeros = strings.Repeat("0", 64)

func TestHostileInput(t *testing.T) {
	const head = "name: t\nmodels:\n  - name: m\n    onnx: m.onnx\n"
	cases := []hostile{
		// Configs.
		{name: "unknown key", setup: stage("models", head+"timing:\n  warmups: 3\n"),
			exit: 1, want: []string{`c.yaml:6: unknown key "warmups" in timing (allowed: `}},
		{name: "wrong type", setup: stage("models", head+"timing:\n  runs: many\n"),
			exit: 1, want: []string{`c.yaml:6: timing.runs: "many" is not a whole number`}},
		{name: "NaN", setup: stage("models", head+"timing:\n  min_seconds: .nan\n"),
			exit: 1, want: []string{"c.yaml:6: timing.min_seconds is .nan; it must be a finite number"}},
		{name: "infinity", setup: stage("models", head+"report:\n  constraints: {fps: [15, .inf]}\n"),
			exit: 1, want: []string{"c.yaml:6: report.constraints.fps[1] is .inf; it must be a finite number"}},
		{name: "negative runs", setup: stage("models", head+"timing: {runs: -1}\n"),
			exit: 1, want: []string{"c.yaml:5: ", "runs"}},
		{name: "negative batch size", setup: stage("models", head+"memory: {batch_sizes: [-4]}\n"),
			exit: 1, want: []string{"c.yaml:5: memory.batch_sizes: -4 must be between 1 and 4096"}},
		{name: "huge intra_op_threads", setup: device("intra_op_threads: 100000\n"),
			exit: 1, want: []string{"configs/devices/big.yaml:3: intra_op_threads 100000 is more than", "or 0 to let ONNX Runtime choose"}},
		{name: "huge inter_op_threads", setup: device("inter_op_threads: 100000\n"),
			exit: 1, want: []string{"configs/devices/big.yaml:3: inter_op_threads 100000 is more than"}},
		{name: "model name with ../", setup: stage("models", "name: t\nmodels:\n  - name: ../../etc\n    onnx: m.onnx\n"),
			exit: 1, want: []string{`c.yaml:3: models[0].name "../../etc" must be`}},
		{name: "model name with HTML", setup: stage("models", "name: t\nmodels:\n  - name: \"<script>x</script>\"\n    onnx: m.onnx\n"),
			exit: 1, want: []string{`c.yaml:3: models[0].name "<script>x</script>" must be`}},
		{name: "config name with ../", setup: stage("models", "name: ../up\nmodels:\n  - name: m\n    onnx: m.onnx\n"),
			exit: 1, want: []string{`c.yaml:1: name "../up" must be`}},
		{name: "YAML syntax error", setup: stage("models", head+"   warmup: 1\ntiming:\n  runs: 3\n"),
			exit: 1, want: []string{"c.yaml:5: did not find expected '-' indicator"}},
		{name: "FIFO as config", setup: func(t *testing.T, dir string) []string {
			if err := syscall.Mkfifo(filepath.Join(dir, "pipe.yaml"), 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{"--config", "pipe.yaml", "--stage", "models"}
		}, exit: 1, want: []string{"config: pipe.yaml is not a regular file (a named pipe)"}},
		{name: "/dev/zero as config", setup: func(t *testing.T, dir string) []string { return []string{"--config", "/dev/zero"} },
			exit: 1, want: []string{"config: /dev/zero is not a regular file (a device)"}},
		{name: "directory as config", setup: func(t *testing.T, dir string) []string { return []string{"--config", "."} },
			exit: 1, want: []string{"config: . is not a regular file (a directory)"}},
		{name: "batch size too large", setup: stage("models", head+"timing: {batch_sizes: [1, 100000]}\n"),
			exit: 1, want: []string{"c.yaml:5: timing.batch_sizes: 100000 must be between 1 and 4096"}},
		{name: "two model sources", setup: stage("models", head+"    arch: resnet18\n"),
			exit: 1, want: []string{`c.yaml:3: model "m": set exactly one of arch, onnx or url`}},
		{name: "url that is not http", setup: stage("models", "name: t\nmodels:\n  - name: m\n    url: file:///etc/passwd\n    sha256: "+zeros+"\n"),
			exit: 1, want: []string{`c.yaml:4: model "m": url must be http(s)`}},
		{name: "url without sha256", setup: stage("models", "name: t\nmodels:\n  - name: m\n    url: https://example.org/m.onnx\n"),
			exit: 1, want: []string{`model "m": a url needs sha256`}},
		{name: "unknown architecture", setup: stage("models", "name: t\nmodels:\n  - name: m\n    arch: resnet5O\n"),
			exit: 1, want: []string{`unknown architecture "resnet5O"; closest: resnet50, `, "(all 44: alexnet, "}},
		{name: "unknown device", setup: stage("models", head, "--device", "nosuch"),
			exit: 1, want: []string{`unknown device "nosuch"; known devices: cpu, cuda, jetson, tensorrt`}},

		// Model files.
		{name: "missing model", setup: modelFile("gone.onnx", func(*testing.T, string) {}),
			exit: 1, want: []string{"models: m: gone.onnx: file does not exist; check the onnx: path"}},
		{name: "empty model", setup: modelFile("empty.onnx", func(t *testing.T, dir string) { write(t, dir, "empty.onnx", nil) }),
			exit: 1, want: []string{"models: m: empty.onnx: not an ONNX model"}},
		{name: "truncated model", setup: modelFile("cut.onnx", func(t *testing.T, dir string) {
			write(t, dir, "cut.onnx", model(t, testmodel.Spec{Hidden: 64})[:300])
		}), exit: 1, want: []string{"models: m: cut.onnx: not an ONNX model"}},
		{name: "random bytes", setup: modelFile("noise.onnx", func(t *testing.T, dir string) {
			noise := make([]byte, 4096)
			for i := range noise {
				noise[i] = byte(i*7919 + i/13)
			}
			write(t, dir, "noise.onnx", noise)
		}), exit: 1, want: []string{"models: m: noise.onnx: not an ONNX model"}},
		{name: "FIFO as model", setup: modelFile("pipe.onnx", func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "pipe.onnx"), 0o644); err != nil {
				t.Fatal(err)
			}
		}), exit: 1, want: []string{"pipe.onnx is not a regular file (a named pipe)"}},
		{name: "/dev/zero as model", setup: modelFile("/dev/zero", func(*testing.T, string) {}),
			exit: 1, want: []string{"/dev/zero is not a regular file (a character device)"}},
		{name: "directory as model", setup: modelFile("dir.onnx", func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, "dir.onnx"), 0o755); err != nil {
				t.Fatal(err)
			}
		}), exit: 1, want: []string{"dir.onnx is a directory, not an ONNX file"}},
		{name: "dangling symlink as model", setup: modelFile("link.onnx", func(t *testing.T, dir string) {
			if err := os.Symlink("gone.onnx", filepath.Join(dir, "link.onnx")); err != nil {
				t.Fatal(err)
			}
		}), exit: 1, want: []string{"link.onnx is a symbolic link to gone.onnx: file does not exist"}},
		{name: "fixed batch 1 asked for batch 2", setup: func(t *testing.T, dir string) []string {
			write(t, dir, "b1.onnx", model(t, testmodel.Spec{Batch: 1}))
			return stage("timing", withModel("b1.onnx", "timing: {batch_sizes: [1, 2], warmup: 1, runs: 1, min_seconds: 0.01}\n"))(t, dir)
		}, exit: 0, check: func(t *testing.T, dir string) {
			csv, err := os.ReadFile(filepath.Join(dir, "out", "t", "timing.csv"))
			if err != nil {
				t.Fatal(err)
			}
			want := `has its batch dimension fixed to 1 (shape [1 3 8 8]), so batch 2 cannot run; use batch_sizes: [1] or export the model with a dynamic batch dimension`
			if !strings.Contains(string(csv), want) {
				t.Errorf("timing.csv lacks %q:\n%s", want, csv)
			}
		}},

		// Datasets.
		{name: "empty dataset folder", setup: func(t *testing.T, dir string) []string {
			if err := os.Mkdir(filepath.Join(dir, "ds"), 0o755); err != nil {
				t.Fatal(err)
			}
			return stage("accuracy", head+"accuracy: {dataset: ds}\n")(t, dir)
		}, exit: 1, want: []string{"dataset: ds: no layout recognised: want class folders named by WNID"}},
		{name: "dataset without a layout", setup: func(t *testing.T, dir string) []string {
			write(t, dir, "ds/notes/readme.txt", []byte("no images here\n"))
			return stage("accuracy", head+"accuracy: {dataset: ds}\n")(t, dir)
		}, exit: 1, want: []string{"dataset: ds: no layout recognised"}},

		{name: "FIFO named like an image", setup: func(t *testing.T, dir string) []string {
			write(t, dir, "ds/n01440764/good.JPEG", grayJPEG(t))
			if err := syscall.Mkfifo(filepath.Join(dir, "ds/n01440764/pipe.JPEG"), 0o644); err != nil {
				t.Fatal(err)
			}
			return stage("accuracy", head+"accuracy: {dataset: ds, max_skipped: 100}\n")(t, dir)
		}, exit: 0, want: []string{"1 of 2 images skipped"}, check: func(t *testing.T, dir string) {
			csv, err := os.ReadFile(filepath.Join(dir, "out", "t", "accuracy.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(csv, []byte("pipe.JPEG is not a regular file")) {
				t.Errorf("accuracy.csv does not say the FIFO was skipped:\n%s", csv)
			}
		}},
		{name: "dangling image symlink", setup: func(t *testing.T, dir string) []string {
			write(t, dir, "ds/n01440764/good.JPEG", grayJPEG(t))
			if err := os.Symlink(filepath.Join(dir, "gone.JPEG"), filepath.Join(dir, "ds/n01440764/link.JPEG")); err != nil {
				t.Fatal(err)
			}
			return stage("accuracy", head+"accuracy: {dataset: ds}\n")(t, dir)
		}, exit: 0, want: []string{"m center crop FAILED: 1 of 2 images", `"link.JPEG" is a broken symbolic link`}},
		{name: "dataset that is a file", setup: stage("accuracy", head+"accuracy: {dataset: m.onnx}\n"),
			exit: 1, want: []string{"dataset: m.onnx is not a folder"}},

		// Hostile names reach the report escaped, and legible in the PDF.
		{name: "hostile and non-Latin image names in the report", setup: func(t *testing.T, dir string) []string {
			write(t, dir, "ds/n01440764/<img src=x onerror=alert(1)>.JPEG", []byte("not a JPEG"))
			write(t, dir, "ds/n01440764/中文.JPEG", []byte("not a JPEG either"))
			write(t, dir, "ds/n01440764/good.JPEG", grayJPEG(t))
			// Two of three images are unreadable: allow that, so the row is
			// scored and the skipped names reach the report.
			return stage("report", head+"accuracy: {dataset: ds, max_skipped: 100}\n"+
				"timing: {batch_sizes: [1], warmup: 1, runs: 1, min_seconds: 0.01}\nmemory: {batch_sizes: [1]}\n")(t, dir)
		}, exit: 0, check: func(t *testing.T, dir string) {
			html, err := os.ReadFile(filepath.Join(dir, "out", "t", "report.html"))
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(html, []byte("<img src=x")) {
				t.Errorf("report.html holds the image name as markup")
			}
			if !bytes.Contains(html, []byte("&lt;img src=x onerror=alert(1)&gt;.JPEG")) {
				t.Errorf("report.html does not show the hostile image name escaped")
			}
			pdf, err := os.ReadFile(filepath.Join(dir, "out", "t", "report.pdf"))
			if err != nil {
				t.Fatal(err)
			}
			// The PDF's fonts have no CJK glyphs: the name prints as escapes.
			if text := pdftext.Text(pdf); !strings.Contains(text, `\u4e2d\u6587.JPEG`) {
				t.Errorf("report.pdf does not show 中文.JPEG as \\u4e2d\\u6587.JPEG")
			}
		}},

		// Downloads.
		{name: "silent download server", setup: download(silent, zeros, "--download-timeout", "500ms"),
			exit: 1, want: []string{"/m.onnx sent nothing for 500ms (the server accepted the connection but does not answer)"}},
		{name: "Ctrl-C during a download", setup: download(silent, zeros), interrupt: time.Second,
			exit: 1, want: []string{"/m.onnx: interrupted: interrupt signal received (any partial download is kept and resumed next time)\n", "run the same command again to continue"}},
		{name: "wrong sha256", setup: download(func(t *testing.T) string {
			b := model(t, testmodel.Spec{})
			return server(t, func(w http.ResponseWriter, _ <-chan struct{}) { w.Write(b) })
		}, zeros), exit: 1, want: []string{"does not match the configured " + zeros + "; the file was deleted"}},
		{name: "connection refused", setup: download(func(t *testing.T) string {
			srv := httptest.NewServer(http.NotFoundHandler())
			srv.Close()
			return srv.URL + "/m.onnx"
		}, zeros), exit: 1, want: []string{"connection refused"}},
		{name: "download 404", setup: download(func(t *testing.T) string {
			return server(t, func(w http.ResponseWriter, _ <-chan struct{}) { w.WriteHeader(http.StatusNotFound) })
		}, zeros), exit: 1, want: []string{"/m.onnx: 404 Not Found"}},
	}
	for _, h := range cases {
		t.Run(h.name, h.run)
	}
}

// device returns a setup with a device profile configs/devices/big.yaml
// whose third line is line, run with --device big.
func device(line string) func(t *testing.T, dir string) []string {
	return func(t *testing.T, dir string) []string {
		write(t, dir, "configs/devices/big.yaml", []byte("name: big\nprovider: cpu\n"+line))
		return stage("models", withModel("m.onnx", ""), "--device", "big")(t, dir)
	}
}

// grayJPEG encodes a small gray image as JPEG.
func grayJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = uint8(i)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
