package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"github.com/dnnbench/dnnbench/internal/diag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/internal/download"
	"github.com/dnnbench/dnnbench/internal/preprocess"
	"github.com/dnnbench/dnnbench/stages/models/zoo"
)

// tinyONNX writes a small classifier with input N×3×size×size.
func tinyONNX(t *testing.T, size int64) []byte {
	t.Helper()
	g := zoo.NewGraph(3, size, size)
	logits := g.Linear(g.Flatten(g.GlobalAvgPool(g.Conv(g.Input(), 8, 3, 1, 1))), 1000, true)
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf, "tiny", logits, 1); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func opts(t *testing.T) Config {
	return Config{Dir: t.TempDir(), Seed: 1, Reference: configs.FS}
}

func TestResolveUserONNX(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mine.onnx")
	if err := os.WriteFile(path, tinyONNX(t, 32), 0o644); err != nil {
		t.Fatal(err)
	}
	row, warns, err := resolveOne(context.Background(), Spec{Name: "mine", ONNX: path}, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	if row.Weights != "pretrained" || row.Height != 32 || row.Width != 32 || row.Channels != 3 {
		t.Errorf("row %+v", row)
	}
	if len(warns) == 0 || !strings.Contains(warns[0].Message, "no reference") || warns[0].Code != "preprocess-assumed" || warns[0].Model != "mine" {
		t.Errorf("warnings %v, want one about the assumed preprocessing", warns)
	}
	// The assumed preprocessing follows the model's input size.
	if p := row.Preprocess; p.Crop != 32 || p.Resize != 32*256/224 {
		t.Errorf("assumed preprocessing %+v, want resize %d and crop 32", p, 32*256/224)
	}
}

func TestResolveBadInputs(t *testing.T) {
	dir := t.TempDir()
	notONNX := filepath.Join(dir, "notes.onnx")
	os.WriteFile(notONNX, []byte("this is a text file, not a model\n"), 0o644)
	truncated := filepath.Join(dir, "trunc.onnx")
	os.WriteFile(truncated, tinyONNX(t, 32)[:200], 0o644)
	cases := []struct {
		spec Spec
		want string
	}{
		{Spec{Name: "a", Arch: "resnet5O"}, `unknown architecture "resnet5O"; closest: resnet50, `},
		{Spec{Name: "a", Arch: "resnet5O"}, fmt.Sprintf("(all %d: alexnet, convnext_tiny, ", len(zoo.Archs()))},
		{Spec{Name: "b", ONNX: filepath.Join(dir, "missing.onnx")}, "does not exist"},
		{Spec{Name: "c", ONNX: notONNX}, "not an ONNX model"},
		{Spec{Name: "d", ONNX: truncated}, "not an ONNX model"},
		{Spec{Name: "e", URLs: []string{"http://127.0.0.1:1/x.onnx"}, SHA256: strings.Repeat("0", 64)}, "downloading http://127.0.0.1:1/x.onnx"},
	}
	for _, tc := range cases {
		_, _, err := resolveOne(context.Background(), tc.spec, opts(t))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.spec.Name, err, tc.want)
		}
	}
}

func TestResolveURL(t *testing.T) {
	model := tinyONNX(t, 16)
	sum := sha256.Sum256(model)
	good := hex.EncodeToString(sum[:])
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(model) }))
	defer srv.Close()
	o := opts(t)
	var progressed int64
	progress := func(p Progress) {
		if p.Downloading {
			progressed = p.Done
		}
	}
	row, _, err := resolveOneProgress(context.Background(), Spec{Name: "u", URLs: []string{srv.URL + "/m.onnx"}, SHA256: good, Reference: "torchvision:ResNet50_Weights.IMAGENET1K_V2"}, o, progress)
	if err != nil {
		t.Fatal(err)
	}
	if row.SHA256 != good || row.Bytes != int64(len(model)) || progressed != int64(len(model)) {
		t.Errorf("row %+v, progress %d", row, progressed)
	}
	if row.Resize != 232 || row.Crop != 224 || row.Interpolation != "bilinear" {
		t.Errorf("torchvision preprocessing not applied: %+v", row)
	}

	bad := strings.Repeat("ab", 32)
	_, _, err = resolveOne(context.Background(), Spec{Name: "v", URLs: []string{srv.URL + "/m.onnx"}, SHA256: bad}, o)
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("checksum mismatch error %v", err)
	}
	if _, err := os.Stat(filepath.Join(o.Dir, "url-"+bad+".onnx")); !os.IsNotExist(err) {
		t.Errorf("mismatched download left on disk: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(o.Dir, ".download-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestResolveSilentServerFailsInBoundedTime(t *testing.T) {
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-done }))
	defer srv.Close()
	defer close(done)
	o := opts(t)
	o.Timeouts = download.Timeouts{Idle: 300 * time.Millisecond}
	start := time.Now()
	_, _, err := resolveOne(context.Background(), Spec{Name: "u", URLs: []string{srv.URL + "/m.onnx"}, SHA256: strings.Repeat("0", 64)}, o)
	if err == nil || !strings.Contains(err.Error(), "models: u: downloading "+srv.URL+"/m.onnx sent nothing for 300ms") {
		t.Fatalf("error %v, want it to name the URL and the silence", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %v with a 300ms idle timeout", d)
	}
}

// TestResolveRefusesNonRegularFiles: opening a FIFO blocks and /dev/zero
// reads forever, so both are refused before anything reads them.
func TestResolveRefusesNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.onnx")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "link.onnx")
	if err := os.Symlink(filepath.Join(dir, "gone.onnx"), dangling); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, want string }{
		{fifo, "pipe.onnx is not a regular file (a named pipe)"},
		{"/dev/zero", "/dev/zero is not a regular file (a character device)"},
		{dir, "is a directory, not an ONNX file"},
		{dangling, "link.onnx is a symbolic link to " + filepath.Join(dir, "gone.onnx") + ": file does not exist; check the onnx: path"},
	}
	for _, tc := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errc := make(chan error, 1)
		go func() {
			_, _, err := resolveOne(ctx, Spec{Name: "m", ONNX: tc.path}, opts(t))
			errc <- err
		}()
		select {
		case err := <-errc:
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want %q", tc.path, err, tc.want)
			}
		case <-ctx.Done():
			t.Errorf("%s: Resolve still running after 10 s", tc.path)
		}
		cancel()
	}
}

func TestReferencePreprocess(t *testing.T) {
	p, err := ReferencePreprocess(configs.FS, "timm:legacy_xception.tf_in1k")
	if err != nil {
		t.Fatal(err)
	}
	// timm: img_size 299, crop_pct 0.897 → resize floor(299/0.897) = 333.
	if p.Crop != 299 || p.Resize != 333 || p.Interpolation != "bicubic" || p.Mean != [3]float64{0.5, 0.5, 0.5} {
		t.Errorf("xception preprocessing %+v", p)
	}
	p, err = ReferencePreprocess(configs.FS, "paper:BN-Inception")
	if err != nil {
		t.Fatal(err)
	}
	if !p.BGR || p.Scale != 255 || p.Mean[0] != 104 {
		t.Errorf("BN-Inception preprocessing %+v", p)
	}
	if _, err := ReferencePreprocess(configs.FS, "torchvision:NoSuch"); err == nil {
		t.Error("unknown reference accepted")
	}
	rgba := fstest.MapFS{"reference/paper_preprocessing.csv": {Data: []byte(
		"model,crop_size,resize_shorter_side,input_range_max,input_space,mean,std\nX,224,256,1,RGBA,0 0 0,1 1 1\n")}}
	if _, err := ReferencePreprocess(rgba, "paper:X"); err == nil || !strings.Contains(err.Error(), `input_space "RGBA"`) {
		t.Errorf("input_space RGBA: %v", err)
	}
	zoo := fstest.MapFS{"reference/zoo.csv": {Data: []byte(
		"model,layout,resize,crop,interpolation,mean,std,channels,scale\n" +
			"a,nchw,256,224,bilinear,1 2 3,4 5 6,bgr,255\n" +
			"b,nchw,256,224,bilinear,1 2 3,4 5 6,gray,255\n" +
			"c,nchw,256,224,bilinear,1 2 3,4 5,rgb,255\n")}}
	if p, err := ReferencePreprocess(zoo, "zoo:a"); err != nil || !p.BGR || p.Mean != [3]float64{1, 2, 3} || p.Std != [3]float64{4, 5, 6} {
		t.Errorf("zoo:a = %+v, %v; want BGR, mean 1 2 3, std 4 5 6", p, err)
	}
	if _, err := ReferencePreprocess(zoo, "zoo:b"); err == nil || !strings.Contains(err.Error(), `zoo b: channels "gray"`) {
		t.Errorf("channels gray: %v", err)
	}
	if _, err := ReferencePreprocess(zoo, "zoo:c"); err == nil || !strings.Contains(err.Error(), "not three values") {
		t.Errorf("std of two values: %v", err)
	}
}

// TestOverrideSetsChannels checks that a config override can switch a BGR
// reference back to RGB, and leaves unset fields alone.
func TestOverrideSetsChannels(t *testing.T) {
	p := merge(preprocess.Spec{Crop: 224, BGR: true, Mean: [3]float64{104, 117, 123}, Scale: 255},
		config.Preprocess{Channels: "rgb", Std: []float64{1, 2}})
	if p.BGR || p.Crop != 224 || p.Mean != [3]float64{104, 117, 123} || p.Std != [3]float64{} || p.Scale != 255 {
		t.Errorf("merged %+v", p)
	}
}

// TestBuildArchRecordsChecksum builds a zoo model once: the recorded sha256
// is the file's, and a second resolve reuses the file and its sidecar.
func TestBuildArchRecordsChecksum(t *testing.T) {
	o := opts(t)
	row, _, err := resolveOne(context.Background(), Spec{Name: "sq", Arch: "squeezenet1_1"}, o)
	if err != nil {
		t.Fatal(err)
	}
	sum, size, err := hashFile(row.Path)
	if err != nil {
		t.Fatal(err)
	}
	if row.SHA256 != sum || row.Bytes != size || row.Weights != "random" || row.Crop != 224 {
		t.Fatalf("row %+v, file sha256 %s size %d", row, sum, size)
	}
	st, _ := os.Stat(row.Path)
	again, _, err := resolveOne(context.Background(), Spec{Name: "sq", Arch: "squeezenet1_1"}, o)
	if err != nil {
		t.Fatal(err)
	}
	st2, _ := os.Stat(again.Path)
	if again.SHA256 != sum || !st2.ModTime().Equal(st.ModTime()) {
		t.Errorf("second resolve rebuilt the model or changed its checksum")
	}
}

// alter flips one byte in the middle of path, keeping its size.
func alter(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// Make sure the modification time moves even on coarse clocks.
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

// TestCachedZooModelAlteredOnDisk alters a built zoo model in the cache: the
// next resolve notices (its modification time moved, its sha256 differs),
// rebuilds it and says so; a file only touched is rehashed and kept.
func TestCachedZooModelAlteredOnDisk(t *testing.T) {
	o := opts(t)
	spec := Spec{Name: "sq", Arch: "squeezenet1_1"}
	row, _, err := resolveOne(context.Background(), spec, o)
	if err != nil {
		t.Fatal(err)
	}
	alter(t, row.Path)
	again, warns, err := resolveOne(context.Background(), spec, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || !strings.Contains(warns[0].Message, "altered on disk") || !strings.Contains(warns[0].Message, "rebuilt") || warns[0].Code != "file-rebuilt" {
		t.Errorf("warnings %q, want one saying the altered file was rebuilt", warns)
	}
	if sum, _, _ := hashFile(again.Path); sum != row.SHA256 || again.SHA256 != row.SHA256 {
		t.Errorf("after the rebuild the file hashes to %s (row says %s), want %s", sum, again.SHA256, row.SHA256)
	}

	// Touched, not changed: kept (same modification time afterwards), no warning.
	later := time.Now().Add(2 * time.Minute).Truncate(time.Second)
	if err := os.Chtimes(row.Path, later, later); err != nil {
		t.Fatal(err)
	}
	third, warns, err := resolveOne(context.Background(), spec, o)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(third.Path)
	if len(warns) != 0 || third.SHA256 != row.SHA256 || !st.ModTime().Equal(later) {
		t.Errorf("touched file: warnings %q, sha256 %s, mtime %v (want none, %s, %v: kept)", warns, third.SHA256, st.ModTime(), row.SHA256, later)
	}
	rec, _ := os.ReadFile(row.Path + ".sha256")
	if !strings.Contains(string(rec), fmt.Sprint(later.UnixNano())) {
		t.Errorf("record %q not refreshed with the new modification time", rec)
	}
}

// TestCachedDownloadAlteredOnDisk alters a downloaded model in the cache:
// the next resolve downloads it again instead of using it.
func TestCachedDownloadAlteredOnDisk(t *testing.T) {
	model := tinyONNX(t, 16)
	sum := sha256.Sum256(model)
	good := hex.EncodeToString(sum[:])
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++; w.Write(model) }))
	defer srv.Close()
	o := opts(t)
	spec := Spec{Name: "u", URLs: []string{srv.URL + "/m.onnx"}, SHA256: good, Reference: "torchvision:ResNet50_Weights.IMAGENET1K_V2"}
	row, _, err := resolveOne(context.Background(), spec, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := resolveOne(context.Background(), spec, o); err != nil || hits != 1 {
		t.Fatalf("second resolve: %v, %d downloads (want the cached copy)", err, hits)
	}
	alter(t, row.Path)
	_, warns, err := resolveOne(context.Background(), spec, o)
	if err != nil {
		t.Fatal(err)
	}
	if hits != 2 || len(warns) == 0 || !strings.Contains(warns[0].Message, "downloaded it again") {
		t.Errorf("%d downloads, warnings %q; want a second download and a warning", hits, warns)
	}
	if got, _, _ := hashFile(row.Path); got != good {
		t.Errorf("cached file hashes to %s after the new download, want %s", got, good)
	}
}

// TestOverrideSquashAndLayout checks that a squash override clears the
// shorter side and, without a crop, the reference's crop; a later
// shorter-side override clears the squash; layout switches to NHWC.
func TestOverrideSquashAndLayout(t *testing.T) {
	ref := preprocess.Spec{Resize: 256, Crop: 224, Scale: 1}
	p := merge(ref, config.Preprocess{Resize: "224x200", Layout: "nhwc"})
	if p.Resize != 0 || p.SquashWidth != 224 || p.SquashHeight != 200 || p.Crop != 0 || !p.NHWC {
		t.Errorf("squash override gave %+v, want a 224x200 squash, no crop, NHWC", p)
	}
	p = merge(ref, config.Preprocess{Resize: "256x256", Crop: 224})
	if p.SquashWidth != 256 || p.Crop != 224 || p.NHWC {
		t.Errorf("squash-then-crop override gave %+v", p)
	}
	p = merge(preprocess.Spec{SquashWidth: 224, SquashHeight: 224, NHWC: true}, config.Preprocess{Resize: "256", Crop: 224, Layout: "nchw"})
	if p.Resize != 256 || p.SquashWidth != 0 || p.SquashHeight != 0 || p.Crop != 224 || p.NHWC {
		t.Errorf("shorter-side override of a squash gave %+v", p)
	}
}

// TestResolveNHWC reads an N×H×W×C model's input size with layout: nhwc,
// and warns when the layout left at nchw makes the size disagree.
func TestResolveNHWC(t *testing.T) {
	g := zoo.NewGraph(24, 24, 3) // input N×24×24×3
	logits := g.Linear(g.Flatten(g.GlobalAvgPool(g.Input())), 1000, true)
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf, "nhwc", logits, 1); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "nhwc.onnx")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	over := &config.Preprocess{Resize: "24x24", Layout: "nhwc"}
	row, warns, err := resolveOne(context.Background(), Spec{Name: "nhwc", ONNX: path, Override: over}, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	if row.Channels != 3 || row.Height != 24 || row.Width != 24 || row.Layout != "nhwc" || row.Squash != "24x24" || row.Crop != 0 {
		t.Errorf("row %+v, want 3 channels of 24×24, nhwc, squash 24x24, no crop", row)
	}
	for _, w := range warns {
		if strings.Contains(w.Message, "model input") {
			t.Errorf("unexpected size warning %q", w)
		}
	}
	over = &config.Preprocess{Resize: "24x24"}
	if _, warns, err = resolveOne(context.Background(), Spec{Name: "nhwc", ONNX: path, Override: over}, opts(t)); err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(warns, func(w diag.Warning) bool {
		return strings.Contains(w.Message, "makes 24×24 inputs, but the model input is 3×24")
	}) {
		t.Errorf("warnings %q, want one naming the 24×24 input against the model's 3×24 read as NCHW", warns)
	}
}
