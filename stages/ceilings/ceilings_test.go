package ceilings

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"github.com/dnnbench/dnnbench/cache"
	"github.com/dnnbench/dnnbench/internal/onnxgraph"
	"github.com/dnnbench/dnnbench/internal/onnxrt"
)

func initRuntime(tb testing.TB) {
	tb.Helper()
	lib, err := onnxrt.Locate("")
	if err != nil {
		tb.Fatalf("ONNX Runtime is needed for this test (make setup): %v", err)
	}
	if _, err := onnxrt.Init(lib); err != nil {
		tb.Fatal(err)
	}
}

func decode(t *testing.T, b []byte) *onnx.ModelProto {
	t.Helper()
	var m onnx.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// TestMatMulGraph checks the chain's nodes, shapes and FLOP count.
func TestMatMulGraph(t *testing.T) {
	g := MatMulGraph{N: 8, Depth: 3}
	b, err := g.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, b)
	var ops, outs []string
	for _, n := range m.Graph.Node {
		ops = append(ops, n.OpType)
		outs = append(outs, n.Output[0])
	}
	if want := []string{"MatMul", "MatMul", "MatMul"}; !reflect.DeepEqual(ops, want) {
		t.Errorf("ops %v, want %v", ops, want)
	}
	if want := []string{"m0", "m1", "output"}; !reflect.DeepEqual(outs, want) {
		t.Errorf("node outputs %v, want %v", outs, want)
	}
	if got := m.Graph.Node[1].Input; !reflect.DeepEqual(got, []string{"m0", "w"}) {
		t.Errorf("second MatMul reads %v, want the first's output and the weight", got)
	}
	if w := m.Graph.Initializer[0]; !reflect.DeepEqual(w.Dims, []int64{8, 8}) || len(w.RawData) != 4*64 {
		t.Errorf("weight dims %v with %d bytes, want 8×8 float32", w.Dims, len(w.RawData))
	}
	if got, want := g.FLOPs(), 3*2*512.0; got != want {
		t.Errorf("FLOPs %v, want %v", got, want)
	}
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ins, outsV, err := onnxgraph.IO(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 || !reflect.DeepEqual(ins[0].Shape, []int64{1, 8, 8}) || !reflect.DeepEqual(outsV[0].Shape, []int64{1, 8, 8}) {
		t.Errorf("inputs %+v outputs %+v, want one 1×8×8 input and output", ins, outsV)
	}
}

// TestConvGraph checks the chain, the convolution's attributes, the weight
// and the FLOPs, and that the runtime reads the input and output shapes.
func TestConvGraph(t *testing.T) {
	g := ConvGraph{C: 4, HW: 6, Depth: 2}
	b, err := g.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, b)
	if len(m.Graph.Node) != 2 || m.Graph.Node[0].OpType != "Conv" || m.Graph.Node[1].Input[0] != m.Graph.Node[0].Output[0] || m.Graph.Node[1].Output[0] != "output" {
		t.Fatalf("nodes %v, want two chained Convs ending in output", m.Graph.Node)
	}
	attrs := map[string][]int64{}
	for _, a := range m.Graph.Node[0].Attribute {
		attrs[a.Name] = a.Ints
	}
	if !reflect.DeepEqual(attrs["kernel_shape"], []int64{3, 3}) || !reflect.DeepEqual(attrs["pads"], []int64{1, 1, 1, 1}) {
		t.Errorf("attributes %v, want a 3×3 kernel padded by 1", attrs)
	}
	if w := m.Graph.Initializer[0]; !reflect.DeepEqual(w.Dims, []int64{4, 4, 3, 3}) {
		t.Errorf("weight dims %v, want 4×4×3×3", w.Dims)
	}
	// 2 convs × 2 FLOPs × 9 taps × 4 in × 4 out channels × 36 pixels.
	if got, want := g.FLOPs(), 2*2*9*16*36.0; got != want {
		t.Errorf("FLOPs %v, want %v", got, want)
	}
	path := filepath.Join(t.TempDir(), "c.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	ins, outs, err := onnxgraph.IO(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 || !reflect.DeepEqual(ins[0].Shape, []int64{1, 4, 6, 6}) || !reflect.DeepEqual(outs[0].Shape, []int64{1, 4, 6, 6}) {
		t.Errorf("inputs %+v outputs %+v, want 1×4×6×6 in and out", ins, outs)
	}
	if _, err := (ConvGraph{C: 4, HW: 0, Depth: 1}).Bytes(); err == nil {
		t.Error("conv graph on a 0×0 image built")
	}
}

// TestStreamGraph checks the Adds alternate their constants and the bytes moved.
func TestStreamGraph(t *testing.T) {
	g := StreamGraph{Elems: 100, Depth: 4}
	b, err := g.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	m := decode(t, b)
	var consts []string
	for _, n := range m.Graph.Node {
		if n.OpType != "Add" {
			t.Errorf("op %s, want Add", n.OpType)
		}
		consts = append(consts, n.Input[1])
	}
	if want := []string{"plus", "minus", "plus", "minus"}; !reflect.DeepEqual(consts, want) {
		t.Errorf("constants %v, want %v", consts, want)
	}
	if got, want := g.BytesMoved(), 4*8*100.0; got != want {
		t.Errorf("bytes moved %v, want %v", got, want)
	}
}

func TestGraphsRejectEmptySizes(t *testing.T) {
	if _, err := (MatMulGraph{N: 0, Depth: 1}).Bytes(); err == nil {
		t.Error("matmul graph of size 0 built")
	}
	if _, err := (StreamGraph{Elems: 10, Depth: 0}).Bytes(); err == nil {
		t.Error("stream graph of depth 0 built")
	}
	if err := (Config{}).WithDefaults().Validate(); err == nil {
		t.Error("config without a directory validated")
	}
}

// small is a config of small graphs that run in milliseconds.
func small(t *testing.T) Config {
	return Config{Device: "cpu", Dir: t.TempDir(), Session: onnxrt.Options{IntraOpThreads: 1},
		MatMul: MatMulGraph{N: 64, Depth: 2}, Conv: ConvGraph{C: 8, HW: 16, Depth: 2}, Stream: StreamGraph{Elems: 1 << 16, Depth: 2}, MinRuns: 2, MinSeconds: 0.01}
}

// TestMeasure runs small graphs through the runtime: both ceilings must be
// positive and finite, and the row marked measured.
func TestMeasure(t *testing.T) {
	initRuntime(t)
	cfg := small(t)
	cfg.OtherCPU = func() (float64, bool) { return 100, true } // an idle host: no other CPU used
	m, err := measure(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	row := m.Row
	if row.Device != "cpu" || row.Method != MethodMeasured {
		t.Errorf("row %+v, want device cpu, method measured", row)
	}
	for name, v := range map[string]float64{"peak": row.PeakGFLOPS, "bandwidth": row.BandwidthGBs} {
		if !(v > 0) || math.IsInf(v, 0) {
			t.Errorf("%s %v, want a positive finite number", name, v)
		}
	}
	if m.OtherCPU != 0 || m.Loaded() {
		t.Errorf("idle host: other CPU %v cores, loaded %v; want 0, false", m.OtherCPU, m.Loaded())
	}
	if row.PeakGFLOPS != math.Max(m.MatMulGFLOPS, m.ConvGFLOPS) || !(m.MatMulGFLOPS > 0 && m.ConvGFLOPS > 0) {
		t.Errorf("peak %v, MatMul %v, Conv %v: want the larger of two positive figures", row.PeakGFLOPS, m.MatMulGFLOPS, m.ConvGFLOPS)
	}
}

// TestRun checks what Run returns on an idle and on a busy host, and that
// it refuses a cancelled context and an invalid config.
func TestRun(t *testing.T) {
	initRuntime(t)
	cfg := small(t)
	cfg.OtherCPU = func() (float64, bool) { return 100, true }
	res, err := Run(context.Background(), cfg, Inputs{NominalGFLOPS: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0] != res.Measurement.Row || res.Rows[0].Method != MethodMeasured || !res.Cacheable || len(res.Warnings) != 0 {
		t.Errorf("idle host: %+v; want the measured row, cacheable, no warning", res)
	}
	var busy float64
	cfg.OtherCPU = func() (float64, bool) { busy += 1000; return busy, true }
	if res, err = Run(context.Background(), cfg, Inputs{}); err != nil {
		t.Fatal(err)
	}
	if res.Cacheable || res.Rows[0].Method != MethodMeasured || len(res.Warnings) != 1 || res.Warnings[0].Code != "ceilings-loaded" {
		t.Errorf("busy host: %+v; want the measured row, not cacheable, a ceilings-loaded warning", res)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, cfg, Inputs{}); err != context.Canceled {
		t.Errorf("cancelled context: err = %v, want context.Canceled", err)
	}
	if _, err := Run(context.Background(), Config{}, Inputs{}); err == nil || !strings.Contains(err.Error(), "Config.Dir") {
		t.Errorf("config without a directory: err = %v, want one naming Config.Dir", err)
	}
}

// TestKeyMatchesThePipelinesFormerKey checks that Key builds the key the
// pipeline built before it moved here, so cached ceilings are still found,
// and that it applies the defaults itself.
func TestKeyMatchesThePipelinesFormerKey(t *testing.T) {
	fp := map[string]any{"cpu": "Test CPU", "cores": 8, "ort": "1.24.1"}
	cfg := Config{Device: "cpu", Dir: "/tmp/graphs"}.WithDefaults()
	old, err := cache.Key(Schema, "ceilings", cfg.MatMul, cfg.Conv, cfg.Stream, cfg.MinRuns, cfg.MinSeconds, fp)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []Config{cfg, {Device: "cpu", Dir: "/tmp/graphs"}} {
		if got, err := Key(c, fp); err != nil || got != old {
			t.Errorf("Key(%+v) = %s, %v; want the former key %s", c, got, err, old)
		}
	}
	cfg.MinRuns++
	if got, _ := Key(cfg, fp); got == old {
		t.Error("Key ignores MinRuns")
	}
}

// TestMeasureLoaded flags a measurement during which other processes were
// busy, and one where the host does not say as not loaded (NaN).
func TestMeasureLoaded(t *testing.T) {
	initRuntime(t)
	cfg := small(t)
	var busy float64
	cfg.OtherCPU = func() (float64, bool) { busy += 1000; return busy, true } // 1000 CPU s per call: always busy
	m, err := measure(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Loaded() || !(m.OtherCPU > 1) {
		t.Errorf("busy host: other CPU %v cores, loaded %v; want loaded", m.OtherCPU, m.Loaded())
	}
	cfg.OtherCPU = func() (float64, bool) { return 0, false }
	if m, err = measure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(m.OtherCPU) || m.Loaded() {
		t.Errorf("host without load readings: other CPU %v, loaded %v; want NaN, false", m.OtherCPU, m.Loaded())
	}
}

// TestMeasureUnknownProvider fails cleanly, so Run falls back to the
// nominal peak with a warning and nothing to cache.
func TestMeasureUnknownProvider(t *testing.T) {
	initRuntime(t)
	cfg := Config{Device: "x", Dir: t.TempDir(), Session: onnxrt.Options{Provider: "no-such-provider"},
		MatMul: MatMulGraph{N: 8, Depth: 1}, Stream: StreamGraph{Elems: 8, Depth: 1}, MinSeconds: 0.001}
	if _, err := measure(context.Background(), cfg); err == nil {
		t.Fatal("an unknown provider measured ceilings")
	}
	res, err := Run(context.Background(), cfg, Inputs{NominalGFLOPS: 12.5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0] != Nominal("x", 12.5) || res.Cacheable {
		t.Errorf("rows %+v, cacheable %v; want the nominal row, not cacheable", res.Rows, res.Cacheable)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Code != "ceilings-nominal" || res.Warnings[0].Device != "x" ||
		!strings.Contains(res.Warnings[0].Message, "detected peak 12.5 GFLOP/s") {
		t.Errorf("warnings %+v, want one ceilings-nominal naming the peak", res.Warnings)
	}
	if got := Nominal("x", 12.5); got.Method != MethodNominal || got.BandwidthGBs != 0 || got.PeakGFLOPS != 12.5 {
		t.Errorf("nominal row %+v", got)
	}
}

// TestCSVColumns pins analysis/ceilings.csv's header.
func TestCSVColumns(t *testing.T) {
	var buf bytes.Buffer
	if err := cache.WriteCSV(&buf, []Row{{Device: "cpu", PeakGFLOPS: 1, BandwidthGBs: 2, Method: MethodMeasured}}); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "device,peak_gflops,bandwidth_gbs,method\ncpu,1,2,measured\n"; got != want {
		t.Errorf("csv %q, want %q", got, want)
	}
}

// threads is DNNBENCH_THREADS, or 0 (the runtime decides).
func threads(tb testing.TB) int {
	s := os.Getenv("DNNBENCH_THREADS")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		tb.Fatalf("DNNBENCH_THREADS=%q: want a thread count ≥ 0", s)
	}
	return n
}

// BenchmarkRawMatMul1024 runs one 1024×1024 MatMul through a plain
// session at DNNBENCH_THREADS threads: the raw figure the MatMul ceiling
// should match.
func BenchmarkRawMatMul1024(b *testing.B) { rawRun(b, MatMulGraph{N: 1024, Depth: 1}) }

// BenchmarkRawConv runs one convolution of the default conv graph the same
// way, the figure the Conv ceiling should match.
func BenchmarkRawConv(b *testing.B) {
	g := Config{}.WithDefaults().Conv
	g.Depth = 1
	rawRun(b, g)
}

// rawRun times graph g's runs in a plain session and reports GFLOP/s.
func rawRun(b *testing.B, g interface {
	Bytes() ([]byte, error)
	FLOPs() float64
}) {
	initRuntime(b)
	graph, err := g.Bytes()
	if err != nil {
		b.Fatal(err)
	}
	path := filepath.Join(b.TempDir(), "raw.onnx")
	if err := os.WriteFile(path, graph, 0o644); err != nil {
		b.Fatal(err)
	}
	sess, err := onnxrt.NewSession(path, onnxrt.Options{IntraOpThreads: threads(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	batch, err := sess.NewBatch(1)
	if err != nil {
		b.Fatal(err)
	}
	defer batch.Close()
	if err := batch.Run(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := batch.Run(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(g.FLOPs()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkCeilings(b *testing.B) {
	initRuntime(b)
	var m Measurement
	for range b.N {
		res, err := Run(context.Background(), Config{Device: "cpu", Dir: b.TempDir(), Session: onnxrt.Options{IntraOpThreads: threads(b)}}, Inputs{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Measurement.Row.Method != MethodMeasured {
			b.Fatalf("not measured: %v", res.Warnings)
		}
		m = res.Measurement
	}
	b.ReportMetric(m.Row.PeakGFLOPS, "peak-GFLOP/s")
	b.ReportMetric(m.MatMulGFLOPS, "matmul-GFLOP/s")
	b.ReportMetric(m.ConvGFLOPS, "conv-GFLOP/s")
	b.ReportMetric(m.Row.BandwidthGBs, "GB/s")
	b.ReportMetric(m.OtherCPU, "other-cores")
}
