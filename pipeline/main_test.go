package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/configs"
	"github.com/dnnbench/dnnbench/internal/config"
	"github.com/dnnbench/dnnbench/internal/goldentest"
	"github.com/dnnbench/dnnbench/stages/accuracy/decode"
	"github.com/dnnbench/dnnbench/stages/models"
	"github.com/dnnbench/dnnbench/stages/models/zoo"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// TestMain lets the test binary act as the pipeline's worker child, as the
// real binary does, so the timing and memory stages run for real.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "worker" {
		if err := runWorker(context.Background(), os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "pipeline:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// A test can run the whole pipeline as a child process, to kill it.
	if os.Getenv("DNNBENCH_TEST_PIPELINE") == "1" {
		if err := run(context.Background(), os.Stdout, os.Stderr, os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "pipeline:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// Tests run from pipeline/; the pipeline expects the repository root.
	if err := os.Chdir(".."); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func runArgs(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), &out, &errb, args)
	return out.String() + errb.String(), err
}

func TestUnknownDeviceListsKnown(t *testing.T) {
	_, err := runArgs(t, "--config", "configs/quick.yaml", "--device", "nosuch")
	if err == nil {
		t.Fatal("unknown device accepted")
	}
	for _, want := range []string{`unknown device "nosuch"`, "cpu", "cuda", "jetson", "tensorrt"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestMisspeltKeyNamesFileAndLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typo.yaml")
	os.WriteFile(path, []byte("name: typo\nmodels:\n  - name: r\n    arch: resnet18\ntiming:\n  warmups: 3\n"), 0o644)
	_, err := runArgs(t, "--config", path)
	if err == nil || !strings.Contains(err.Error(), path+`:6: unknown key "warmups" in timing`) {
		t.Fatalf("error %v, want file:line and the key", err)
	}
}

func TestHelpListsStagesAndDevices(t *testing.T) {
	out, err := runArgs(t, "--help")
	if err == nil || !strings.Contains(err.Error(), "help requested") {
		t.Fatalf("--help returned %v", err)
	}
	for _, want := range []string{"models, flops, accuracy, timing, memory, analyse, report", "cpu, cuda, jetson, tensorrt", "-stage string"} {
		if !strings.Contains(out, want) {
			t.Errorf("--help output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadFlags(t *testing.T) {
	if _, err := runArgs(t, "--stage", "timming"); err == nil || !strings.Contains(err.Error(), `unknown stage "timming"`) {
		t.Errorf("bad stage: %v", err)
	}
	if _, err := runArgs(t, "--config", "configs/quick.yaml", "--models", "resnet18,nosuch"); err == nil || !strings.Contains(err.Error(), `no model "nosuch"`) {
		t.Errorf("bad --models: %v", err)
	}
	if _, err := runArgs(t, "--config", "configs/missing.yaml"); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing config: %v", err)
	}
}

// --dataset replaces the config's accuracy.dataset: the accuracy stage reads
// the folder given, and a wrong one is named with what to fix.
func TestDatasetFlag(t *testing.T) {
	tmp := t.TempDir()
	missing := filepath.Join(tmp, "no-such-val")
	_, err := runArgs(t, "--config", "configs/quick.yaml", "--models", "meancolour-check", "--stage", "accuracy",
		"--dataset", missing, "--cache", filepath.Join(tmp, "cache"), "--out", filepath.Join(tmp, "out"), "--quiet")
	if err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "--dataset") {
		t.Errorf("missing --dataset folder: %v", err)
	}
}

// TestShippedConfigs checks that every config and device profile in
// configs/ decodes and names only architectures the zoo builds.
func TestShippedConfigs(t *testing.T) {
	files, _ := filepath.Glob("configs/*.yaml")
	if len(files) < 3 {
		t.Fatalf("configs: %v, want default, quick and paper", files)
	}
	for _, f := range files {
		c, err := config.Load(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range c.Models {
			if m.Arch != "" {
				if _, err := zoo.Lookup(m.Arch); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
		}
		if c.Name != strings.TrimSuffix(filepath.Base(f), ".yaml") {
			t.Errorf("%s: name %q should match the file name", f, c.Name)
		}
	}
	def, _ := config.Load("configs/default.yaml")
	if len(def.Models) != len(zoo.Archs()) {
		t.Errorf("default.yaml lists %d models, the zoo builds %d", len(def.Models), len(zoo.Archs()))
	}
	for _, d := range config.Devices("configs/devices", configs.FS) {
		if _, err := config.LoadDevice(d, "configs/devices", configs.FS); err != nil {
			t.Error(err)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return recs
}

// TestEndToEnd runs every stage on one small model, checks the outputs'
// columns, then reruns and checks that cached measurements are reused.
func TestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "e2e.yaml")
	os.WriteFile(cfg, []byte(`name: e2e
models:
  - {name: sq, arch: squeezenet1_1}
timing: {batch_sizes: [1, 2], warmup: 1, runs: 2, rounds: 2, min_seconds: 0.000001, max_remeasure: 1}
memory: {batch_sizes: [1, 2]}
report: {formats: [md, html, pdf]}
`), 0o644)
	// One timed run per round leaves too few samples for a 95% interval:
	// every timing cell is unstable, so the run re-measures each once.
	out, cacheDir := filepath.Join(dir, "out"), filepath.Join(dir, "cache")
	args := []string{"--config", cfg, "--out", out, "--cache", cacheDir, "--quiet"}
	if log, err := runArgs(t, args...); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	res := filepath.Join(out, "e2e")
	wantHeaders := map[string]string{
		"flops.csv":    "model,params,file_bytes,macs,flops,activation_bytes,unknown_ops,warnings",
		"timing.csv":   "model,device,batch,threads,warmup,runs,latency_ms_median,latency_ms_p90,latency_ms_p99,latency_ms_min,latency_ms_mean,ms_per_image,fps,status,error,stable,unstable_reason",
		"memory.csv":   "model,device,batch,baseline_bytes,static_bytes,peak_bytes,sampler,status,error",
		"accuracy.csv": "model,dataset,crop,n,top1,top5,top1_ci95,source,skipped",
	}
	for file, want := range wantHeaders {
		recs := readCSV(t, filepath.Join(res, file))
		if got := strings.Join(recs[0], ","); !strings.HasPrefix(got, want) {
			t.Errorf("%s header %q, want it to start with %q", file, got, want)
		}
	}
	timing1 := readCSV(t, filepath.Join(res, "timing.csv"))
	if len(timing1) != 3 || timing1[1][13] != "ok" || timing1[2][13] != "ok" {
		t.Fatalf("timing.csv: %v", timing1)
	}
	col := map[string]int{}
	for i, h := range timing1[0] {
		col[h] = i
	}
	for _, r := range timing1[1:] {
		if r[col["stable"]] != "false" || r[col["unstable_reason"]] == "" || r[col["attempts"]] != "2" || r[col["rounds"]] != "4" {
			t.Errorf("timing.csv row %v: want unstable with a reason after 2 attempts of 2 rounds", r)
		}
	}
	if md, _ := os.ReadFile(filepath.Join(res, "report.md")); !strings.Contains(string(md), "†") {
		t.Error("report.md marks no unstable cell")
	}
	acc := readCSV(t, filepath.Join(res, "accuracy.csv"))
	if len(acc) != 2 || !strings.HasPrefix(acc[1][7], "published:torchvision:SqueezeNet1_1") {
		t.Errorf("accuracy.csv: %v, want the published torchvision row", acc)
	}
	// The device's ceilings are measured and every timed cell is on its roofline.
	ceil := readCSV(t, filepath.Join(res, "analysis", "ceilings.csv"))
	if len(ceil) != 2 || strings.Join(ceil[0], ",") != "device,peak_gflops,bandwidth_gbs,method" || ceil[1][0] != "cpu" || ceil[1][3] != "measured" {
		t.Errorf("analysis/ceilings.csv: %v, want one measured cpu row", ceil)
	}
	roof := readCSV(t, filepath.Join(res, "analysis", "roofline.csv"))
	if len(roof) != 3 || strings.Join(roof[0], ",") != "model,device,batch,flops,bytes,intensity_flop_per_byte,achieved_gflops,peak_gflops,efficiency" {
		t.Errorf("analysis/roofline.csv: %v, want a header and sq at batches 1 and 2", roof)
	}
	for _, f := range []string{"report.md", "report.html", "report.pdf", "manifest.json", "models.csv", "flops_ops.csv", "figures/fig5.svg"} {
		if st, err := os.Stat(filepath.Join(res, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	// A rerun reuses every cached measurement: identical timing rows. Its
	// last progress line says where the report is, the PDF first.
	loud := args[:len(args)-1] // without --quiet
	log, err := runArgs(t, loud...)
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, log)
	}
	lines := strings.Split(strings.TrimSpace(log), "\n")
	wantLast := regexp.MustCompile(`^done in \S+: report ` + regexp.QuoteMeta(filepath.Join(res, "report.pdf")+", "+filepath.Join(res, "report.html")+", "+filepath.Join(res, "report.md")+"; tables in "+res) + `$`)
	if last := lines[len(lines)-1]; !wantLast.MatchString(last) {
		t.Errorf("last line %q, want it to match %s", last, wantLast)
	}
	timing2 := readCSV(t, filepath.Join(res, "timing.csv"))
	if fmt.Sprint(timing1) != fmt.Sprint(timing2) {
		t.Errorf("rerun remeasured timing:\n%v\n%v", timing1, timing2)
	}
	// --force on timing remeasures (new samples give new figures); its
	// progress gives the time left for the whole stage once a cell is done.
	log, err = runArgs(t, append(slices.Clone(loud), "--stage", "timing", "--force")...)
	if err != nil {
		t.Fatalf("force: %v\n%s", err, log)
	}
	stageETA := regexp.MustCompile(`(?m)^timing   \[1/1\] sq batch \d+ \(1/2, model ETA [^)]*\); stage: 0/1 models done, ~\d+ s left$`)
	if !stageETA.MatchString(log) {
		t.Errorf("no timing line with the stage's time left (%s) in\n%s", stageETA, log)
	}
	timing3 := readCSV(t, filepath.Join(res, "timing.csv"))
	if fmt.Sprint(timing1) == fmt.Sprint(timing3) {
		t.Errorf("--force did not remeasure")
	}

	// Rows of another device found in the cache (copied from a Jetson)
	// appear beside this device's in the tables and the report.
	store, err := cache.Open(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	sha := readCSV(t, filepath.Join(res, "models.csv"))[1][4]
	for _, b := range []int64{1, 2} {
		row := timing.Row{Model: "sq", Device: "jetson", Batch: b, Runs: 10, Warmup: 10, LatencyMsMedian: 20 * float64(b),
			MsPerImage: 20, FPS: 50, Status: "ok", Provider: "cuda", ModelSHA256: sha}
		if err := cache.Put(store, timing.Entries, fmt.Sprintf("%064d", b), []timing.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if log, err := runArgs(t, append(args, "--stage", "report")...); err != nil {
		t.Fatalf("report: %v\n%s", err, log)
	}
	merged := readCSV(t, filepath.Join(res, "timing.csv"))
	var devices []string
	for _, r := range merged[1:] {
		devices = append(devices, r[1])
	}
	if got := strings.Join(devices, ","); got != "cpu,cpu,jetson,jetson" {
		t.Errorf("merged timing devices %s, want cpu,cpu,jetson,jetson", got)
	}
	md, _ := os.ReadFile(filepath.Join(res, "report.md"))
	if !strings.Contains(string(md), "jetson") {
		t.Error("report.md does not show the jetson rows")
	}
	// The peak of this host is detected and says how (or, on a CPU whose
	// clock or vector unit cannot be read, why it is unknown); the copied
	// device's peak is unknown and the report says why, never a constant.
	rows := 0
	for _, line := range strings.Split(string(md), "\n") {
		cpuRow := strings.HasPrefix(line, "| Device cpu |")
		if cpuRow || strings.HasPrefix(line, "| Device jetson |") {
			rows++
		}
		if cpuRow && !strings.Contains(line, " GFLOP/s detected: ") && !strings.Contains(line, "peak FLOP/s unknown: ") {
			t.Errorf("cpu row does not say how its peak was obtained: %s", line)
		}
		if strings.HasPrefix(line, "| Device jetson |") && !strings.Contains(line, "peak FLOP/s unknown: no measurement conditions recorded") {
			t.Errorf("jetson row: %s", line)
		}
	}
	if rows != 2 {
		t.Errorf("report.md has %d device rows in its setup, want 2 (cpu, jetson)", rows)
	}
}

// TestPreprocessCommand writes what a zoo model is fed for a real ImageNet
// image, in both crop modes.
func TestPreprocessCommand(t *testing.T) {
	golden := goldentest.Dir(t)
	img := filepath.Join(golden, "images", "n01440764_tench.JPEG")
	center := goldentest.Tensor(t, goldentest.ReadLevels(t, golden), filepath.Join(golden, "center", "n01440764_tench.png"), 1)
	for _, crop := range []string{"center", "ten"} {
		dir := t.TempDir()
		out, err := runArgs(t, "preprocess", "--config", "configs/quick.yaml", "--model", "resnet18", "--crop", crop, img, "--out", dir)
		if err != nil {
			t.Fatalf("%s: %v\n%s", crop, err, out)
		}
		npy, _ := filepath.Glob(filepath.Join(dir, "*.npy"))
		png, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		if len(npy) != 1 || len(png) == 0 {
			t.Fatalf("%s: wrote %v and %v", crop, npy, png)
		}
		st, _ := os.Stat(npy[0])
		crops := int64(1)
		if crop == "ten" {
			crops = 10
		}
		// float32 (crops×)3×224×224 plus the .npy header.
		if want := crops * 3 * 224 * 224 * 4; st.Size() < want || st.Size() > want+256 {
			t.Errorf("%s: %s is %d bytes, want about %d", crop, npy[0], st.Size(), want)
		}
		// resnet18's torchvision recipe is the golden one: the same floats
		// with libjpeg-turbo; Go's decoder (-tags nolibjpeg) lands within
		// the accuracy package's bound of 0.75 levels mean absolute difference.
		if crop == "center" {
			got, _ := os.ReadFile(npy[0])
			n := 4 * len(center)
			if len(got) < n {
				t.Fatalf("%s holds %d bytes, want %d of floats", npy[0], len(got), n)
			}
			got = got[len(got)-n:]
			plane := len(center) / 3
			std := [3]float64{0.229, 0.224, 0.225}
			same, diff := true, 0.0
			for i, want := range center {
				v := math.Float32frombits(binary.LittleEndian.Uint32(got[4*i:]))
				same = same && math.Float32bits(v) == math.Float32bits(want)
				diff += math.Abs(float64(v)-float64(want)) * std[i/plane] * 255
			}
			diff /= float64(len(center))
			if decode.Backend == "libjpeg-turbo" && !same {
				t.Errorf("the center tensor differs from torchvision's golden tensor (mean %.4f levels); want bit-identical with libjpeg-turbo", diff)
			}
			if diff > 0.75 {
				t.Errorf("the center tensor is %.4f levels from torchvision's golden tensor, want ≤ 0.75", diff)
			}
		}
	}
	if _, err := runArgs(t, "preprocess", "--config", "configs/quick.yaml", "--model", "nosuch", img, "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), `no model "nosuch"`) {
		t.Errorf("unknown model: %v", err)
	}
}

// TestKilledRunResumes kills a run (SIGKILL) once it has cached some timing
// rows, then reruns: the rows measured before the kill are kept, not
// remeasured, and the rest are completed.
func TestKilledRunResumes(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kill.yaml")
	os.WriteFile(cfg, []byte(`name: kill
models:
  - {name: a, arch: squeezenet1_1}
  - {name: b, arch: shufflenet_v2_x0_5}
timing: {batch_sizes: [1, 2, 4], warmup: 1, runs: 3, min_seconds: 0.3}
memory: {batch_sizes: [1]}
`), 0o644)
	out, cacheDir := filepath.Join(dir, "out"), filepath.Join(dir, "cache")
	args := []string{"--config", cfg, "--out", out, "--cache", cacheDir, "--quiet", "--stage", "timing"}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	cmd := exec.Command(exe, args...)
	cmd.Dir = wd
	cmd.Env = append(os.Environ(), "DNNBENCH_TEST_PIPELINE=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	entries := filepath.Join(cacheDir, timing.Entries, "*.parquet")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if m, _ := filepath.Glob(entries); len(m) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no timing rows were cached within two minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	store, err := cache.Open(cacheDir)
	if err != nil {
		t.Fatal(err)
	}
	before, err := cache.All[timing.Row](store, timing.Entries)
	if err != nil {
		t.Fatalf("cache after the kill: %v", err)
	}
	if len(before) < 2 || len(before) >= 6 {
		t.Fatalf("%d rows cached before the kill, want some but not all", len(before))
	}
	if log, err := runArgs(t, args...); err != nil {
		t.Fatalf("rerun: %v\n%s", err, log)
	}
	after := readCSV(t, filepath.Join(out, "kill", "timing.csv"))
	if len(after) != 7 {
		t.Fatalf("timing.csv has %d rows after the rerun, want 6", len(after)-1)
	}
	for _, r := range before {
		found := false
		for _, rec := range after[1:] {
			median, _ := strconv.ParseFloat(rec[6], 64)
			if rec[0] == r.Model && rec[2] == fmt.Sprint(r.Batch) && median == r.LatencyMsMedian {
				found = true
			}
		}
		if !found {
			t.Errorf("row %s batch %d (median %v ms) measured before the kill was not kept", r.Model, r.Batch, r.LatencyMsMedian)
		}
	}
}

// TestAccuracyProgress scores the golden images with two models that share
// one ONNX file, so the second finds every chunk in the cache: the first
// model's progress gives the whole stage's time left, cached images count
// as free, and the stage ends with nothing left.
func TestAccuracyProgress(t *testing.T) {
	dir := t.TempDir()
	golden := goldentest.Dir(t)
	val := filepath.Join(dir, "val")
	imgs := goldentest.Manifest(t, golden)
	for _, im := range imgs {
		data, err := os.ReadFile(im.JPEG)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(val, im.WNID, filepath.Base(im.JPEG))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := models.Run(context.Background(), models.Config{Dir: filepath.Join(dir, "zoo"), Reference: configs.FS},
		models.Inputs{Specs: []models.Spec{{Name: "sq", Arch: "squeezenet1_1"}}})
	if err != nil {
		t.Fatal(err)
	}
	row := res.Rows[0]
	pre := `preprocess: {resize: 256, crop: 224, interpolation: bilinear, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channels: rgb, scale: 1}`
	cfg := filepath.Join(dir, "acc.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`name: acc
models:
  - {name: a, onnx: %s, %s}
  - {name: b, onnx: %s, %s}
accuracy: {dataset: %s, batch_size: 8, workers: 1}
`, row.Path, pre, row.Path, pre, val)), 0o644)
	log, err := runArgs(t, "--config", cfg, "--out", filepath.Join(dir, "out"), "--cache", filepath.Join(dir, "cache"), "--stage", "accuracy")
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	n := len(imgs)
	for _, re := range []string{
		// a's first images: a's rest and all of b still to do.
		fmt.Sprintf(`accuracy \[1/2\] a 16/%d \(\d+%%\); stage: 0/2 models done, ~\d+ s left`, n),
		// b's images all come from a's cached chunks.
		fmt.Sprintf(`accuracy \[2/2\] b %d/%d \(100%%\); stage: 2/2 models done, nothing left`, n, n),
	} {
		if !regexp.MustCompile(`(?m)^` + re + `$`).MatchString(log) {
			t.Errorf("no progress line matching %s in\n%s", re, log)
		}
	}
}

// TestRemeasureBudget: with a 1 µs re-measurement budget an unstable cell
// gets at most the re-measurement that starts within it, not the two that
// max_remeasure allows, and the run says why in its manifest.
func TestRemeasureBudget(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "budget.yaml")
	os.WriteFile(cfg, []byte(`name: budget
models:
  - {name: sq, arch: squeezenet1_1}
timing: {batch_sizes: [1], warmup: 1, runs: 2, rounds: 2, min_seconds: 0.000001, max_remeasure: 2, remeasure_seconds: 0.000001}
`), 0o644)
	out := filepath.Join(dir, "out")
	if log, err := runArgs(t, "--config", cfg, "--out", out, "--cache", filepath.Join(dir, "cache"), "--quiet", "--stage", "timing"); err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	rows := readCSV(t, filepath.Join(out, "budget", "timing.csv"))
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	if a := rows[1][col["attempts"]]; len(rows) != 2 || rows[1][col["stable"]] != "false" || (a != "1" && a != "2") {
		t.Fatalf("timing.csv %v: want one unstable row measured once or twice, not three times", rows)
	}
	m, err := os.ReadFile(filepath.Join(out, "budget", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(m), "re-measurement stopped at its 0 s budget") || !strings.Contains(string(m), "in pass 1 of 2: 1 unstable cells were not measured again in that pass, and 1 cells remain unstable") {
		t.Errorf("manifest does not say the re-measurement budget ran out:\n%s", m)
	}
}

// TestFailureOnInterrupt: an interrupted run prints its error, then that
// the cache keeps what was completed; a cancellation the user did not ask
// for, or any other error, is printed as it is. Both exit 1.
func TestFailureOnInterrupt(t *testing.T) {
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	msg, code := failure(stopped, fmt.Errorf("timing: resnet18: %w", context.Canceled))
	if code != 1 || !strings.HasPrefix(msg, "pipeline: timing: resnet18: context canceled\npipeline: interrupted") || !strings.Contains(msg, "run the same command again") {
		t.Errorf("interrupted: %q, %d", msg, code)
	}
	msg, code = failure(context.Background(), fmt.Errorf("download: %w", context.Canceled))
	if code != 1 || msg != "pipeline: download: context canceled" {
		t.Errorf("not interrupted: %q, %d", msg, code)
	}
	msg, code = failure(stopped, errors.New("models: no such file"))
	if code != 1 || msg != "pipeline: models: no such file" {
		t.Errorf("other error: %q, %d", msg, code)
	}
}
