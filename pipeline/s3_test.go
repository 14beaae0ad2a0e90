package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/dnnbench/dnnbench/internal/onnxrt"
	"github.com/dnnbench/dnnbench/internal/s3test"
	"github.com/dnnbench/dnnbench/internal/testmodel"
	"github.com/dnnbench/dnnbench/stages/memory"
	"github.com/dnnbench/dnnbench/stages/timing"
)

// startBucket starts an S3-protocol server (s3test) with the bucket "lab"
// and points the standard AWS_* variables at it, as a lab using MinIO
// would; child processes inherit them.
func startBucket(t *testing.T) (*s3mem.Backend, string) {
	t.Helper()
	srv := s3test.Start(t, nil)
	s3test.Env(t, srv.URL, "lab-key", "lab-secret")
	return srv.Backend, srv.URL
}

// TestLabOfDevicesInOneBucket: two machines (separate working directories
// and processes, with different device profiles) measure at the same time
// into one bucket; a third working directory with no local cache then runs
// --stage report on the bucket and renders both devices, measuring nothing.
func TestLabOfDevicesInOneBucket(t *testing.T) {
	backend, _ := startBucket(t)
	lib, err := onnxrt.Locate("")
	if err != nil {
		t.Fatal(err)
	}
	if lib, err = filepath.Abs(lib); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "tiny.onnx")
	if err := testmodel.Write(model, testmodel.Spec{}); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "lab.yaml")
	os.WriteFile(cfg, []byte(`name: lab
models:
  - {name: tiny, onnx: `+model+`}
timing: {batch_sizes: [1, 2], warmup: 1, runs: 2, rounds: 2, min_seconds: 0.000001, max_remeasure: 0}
memory: {batch_sizes: [1]}
report: {formats: [md]}
`), 0o644)
	cpu, err := os.ReadFile("configs/devices/cpu.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Machine B's profile: the CPU profile under its own name, with two threads.
	second := strings.Replace(strings.Replace(string(cpu), "name: cpu", "name: bench2", 1), "intra_op_threads: 0", "intra_op_threads: 2", 1)
	machine := func(name string, profiles map[string]string) string {
		wd := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(wd, "configs", "devices"), 0o755); err != nil {
			t.Fatal(err)
		}
		for file, body := range profiles {
			os.WriteFile(filepath.Join(wd, "configs", "devices", file), []byte(body), 0o644)
		}
		return wd
	}
	pipeline := func(wd string, args ...string) *exec.Cmd {
		cmd := exec.Command(exe, append([]string{"--config", cfg, "--out", "out", "--cache", "s3://lab/fleet"}, args...)...)
		cmd.Dir = wd
		cmd.Env = append(os.Environ(), "DNNBENCH_TEST_PIPELINE=1", "ONNXRUNTIME_LIB="+lib)
		return cmd
	}
	a := machine("a", map[string]string{"cpu.yaml": string(cpu)})
	b := machine("b", map[string]string{"bench2.yaml": second})
	var wg sync.WaitGroup
	logs := make([]bytes.Buffer, 2)
	errs := make([]error, 2)
	for i, cmd := range []*exec.Cmd{pipeline(a, "--device", "cpu"), pipeline(b, "--device", "bench2")} {
		cmd.Stdout, cmd.Stderr = &logs[i], &logs[i]
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = cmd.Run() }()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("machine %c: %v\n%s", 'a'+i, errs[i], logs[i].String())
		}
	}
	// Each machine's entries are in the bucket: 2 devices × 2 batches of
	// timing, 2 × 1 of memory, and both devices' conditions.
	if got := len(s3test.Objects(t, backend, "fleet/"+timing.Entries+"/")); got != 4 {
		t.Errorf("bucket holds %d timing entries, want 4", got)
	}
	if got := len(s3test.Objects(t, backend, "fleet/"+memory.Entries+"/")); got != 2 {
		t.Errorf("bucket holds %d memory entries, want 2", got)
	}
	if got := s3test.Objects(t, backend, "fleet/conditions/"); !slices.Equal(got, []string{"fleet/conditions/bench2.json", "fleet/conditions/cpu.json"}) {
		t.Errorf("bucket conditions %v", got)
	}
	// Nothing local travelled: no packs, no model files, no lock.
	for _, k := range s3test.Objects(t, backend, "fleet/") {
		if strings.Contains(k, "/packs/") || strings.Contains(k, "/files/") || strings.HasSuffix(k, ".lock") {
			t.Errorf("bucket holds local-only file %s", k)
		}
	}
	before := s3test.Objects(t, backend, "")

	// Machine C has no cache, and a "cpu" profile of its own (one thread):
	// its keys match none in the bucket, so a run that measured would
	// measure everything, and one that only takes its own keys' rows would
	// drop machine A's. It renders the report.
	c := machine("c", map[string]string{"cpu.yaml": strings.Replace(string(cpu), "intra_op_threads: 0", "intra_op_threads: 1", 1)})
	var logC bytes.Buffer
	cmd := pipeline(c, "--stage", "report")
	cmd.Stdout, cmd.Stderr = &logC, &logC
	if err := cmd.Run(); err != nil {
		t.Fatalf("machine c: %v\n%s", err, logC.String())
	}
	for _, line := range strings.Split(logC.String(), "\n") {
		if strings.HasPrefix(line, "timing   [") || strings.HasPrefix(line, "memory   [") {
			t.Errorf("machine c measured: %s", line)
		}
	}
	if !strings.Contains(logC.String(), "cache s3://lab/fleet: ") || !strings.Contains(logC.String(), "downloaded") {
		t.Errorf("machine c does not report its sync:\n%s", logC.String())
	}
	if after := s3test.Objects(t, backend, ""); !slices.Equal(before, after) {
		t.Errorf("machine c changed the bucket:\nbefore %v\nafter  %v", before, after)
	}
	res := filepath.Join(c, "out", "lab")
	if got := strings.Join(column(t, filepath.Join(res, "timing.csv"), "device"), ","); got != "bench2,bench2,cpu,cpu" {
		t.Errorf("machine c's timing.csv devices %s, want bench2,bench2,cpu,cpu", got)
	}
	if got := strings.Join(column(t, filepath.Join(res, "memory.csv"), "device"), ","); got != "bench2,cpu" {
		t.Errorf("machine c's memory.csv devices %s, want bench2,cpu", got)
	}
	// The rows are the ones the machines measured, not new measurements.
	medians := func(path, device string) []string {
		var out []string
		devs := column(t, path, "device")
		for i, m := range column(t, path, "latency_ms_median") {
			if devs[i] == device {
				out = append(out, m)
			}
		}
		return out
	}
	for dev, wd := range map[string]string{"cpu": a, "bench2": b} {
		measured := medians(filepath.Join(wd, "out", "lab", "timing.csv"), dev)
		if got := medians(filepath.Join(res, "timing.csv"), dev); len(measured) != 2 || !slices.Equal(got, measured) {
			t.Errorf("%s medians on machine c %v, measured %v", dev, got, measured)
		}
	}
	md, err := os.ReadFile(filepath.Join(res, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dev := range []string{"cpu", "bench2"} {
		// Each device's setup row and its conditions (a document in the bucket).
		if !strings.Contains(string(md), "| Device "+dev+" |") || !strings.Contains(string(md), "| "+dev+" | provider cpu, ONNX Runtime") {
			t.Errorf("report.md lacks device %s's setup row or conditions:\n%s", dev, md)
		}
	}
	// "Did it get faster?" across the bucket: compare reads its sides
	// from the same s3:// cache.
	cmp := exec.Command(exe, "compare", "--base", "cpu", "--new", "bench2", "--cache", "s3://lab/fleet", "--out", "cmp")
	cmp.Dir = c
	cmp.Env = append(os.Environ(), "DNNBENCH_TEST_PIPELINE=1", "ONNXRUNTIME_LIB="+lib)
	if out, err := cmp.CombinedOutput(); err != nil {
		t.Fatalf("compare on the bucket: %v\n%s", err, out)
	}
	if got := strings.Join(column(t, filepath.Join(c, "cmp", "compare", "compare.csv"), "batch"), ","); got != "1,2," {
		t.Errorf("compare.csv batches %q, want 1,2 and the geomean row", got)
	}
	// The local copy is where the README says.
	if _, err := os.Stat(filepath.Join(c, ".dnnbench", "s3", "lab")); err != nil {
		t.Errorf("machine c's local copy: %v", err)
	}
}

// TestS3CacheErrorsNameTheFix: a --cache naming a missing bucket fails
// before any stage runs, naming the bucket and AWS_ENDPOINT_URL.
func TestS3CacheErrorsNameTheFix(t *testing.T) {
	_, url := startBucket(t)
	quick, err := filepath.Abs("configs/quick.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir()) // the local copy goes under the working directory
	_, err = runArgs(t, "--config", quick, "--out", "out", "--cache", "s3://missing/x", "--stage", "report", "--quiet")
	if err == nil || !strings.Contains(err.Error(), `bucket "missing" does not exist`) || !strings.Contains(err.Error(), url) {
		t.Errorf("missing bucket: %v", err)
	}
	_, err = runArgs(t, "--config", quick, "--cache", "s3://Bad_Bucket/x")
	if err == nil || !strings.Contains(err.Error(), "invalid bucket name") {
		t.Errorf("bad bucket name: %v", err)
	}
}
