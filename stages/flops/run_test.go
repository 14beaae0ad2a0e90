package flops

import (
	"context"
	"errors"
	"testing"

	"github.com/dnnbench/dnnbench/internal/cachekey"
)

// countOne counts one unlabelled file through Run.
func countOne(path string, cfg Config) (Row, []OpRow, error) {
	res, err := Run(context.Background(), cfg, Inputs{Files: []File{{Path: path}}})
	if err != nil {
		return Row{}, nil, err
	}
	if len(res.Rows) != 1 {
		return Row{}, nil, errors.New("Run returned no row for one file")
	}
	return res.Rows[0], res.Ops, nil
}

func TestRunLabelsRowsInOrder(t *testing.T) {
	flat := flattenGraph().write(t, t.TempDir())
	// A file with an op nobody knows: warned about in its row.
	b := newBuilder(13).input("x", "N", 1, 4, 4).node("FancyOp", []string{"x"}, []string{"y"}).output("y")
	b.g.Node[0].Domain = "com.example"
	unknown := b.write(t, t.TempDir())
	res, err := Run(context.Background(), Config{}, Inputs{Files: []File{{Name: "a", Path: flat}, {Name: "b", Path: unknown}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 2 || res.Rows[0].Model != "a" || res.Rows[1].Model != "b" || res.Rows[0].MACs != 72 {
		t.Fatalf("rows %+v, want a (72 MACs) then b", res.Rows)
	}
	seen := map[string]bool{}
	for _, op := range res.Ops {
		seen[op.Model] = true
		if op.Model != "a" && op.Model != "b" {
			t.Errorf("op row %+v is not labelled with its file's name", op)
		}
	}
	if !seen["a"] || !seen["b"] {
		t.Errorf("op rows %+v miss a file", res.Ops)
	}
	if len(res.Rows[1].Warnings) == 0 || len(res.Warnings) != len(res.Rows[0].Warnings)+len(res.Rows[1].Warnings) {
		t.Fatalf("typed warnings %+v do not match the rows' %q and %q", res.Warnings, res.Rows[0].Warnings, res.Rows[1].Warnings)
	}
	last := res.Warnings[len(res.Warnings)-1]
	if last.Stage != "flops" || last.Model != "b" || last.Code != "row-warning" || last.Message != res.Rows[1].Warnings[len(res.Rows[1].Warnings)-1] {
		t.Errorf("last warning %+v does not carry b's last row warning", last)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, Config{}, Inputs{Files: []File{{Name: "a", Path: flattenGraph().write(t, t.TempDir())}}})
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Errorf("cancelled Run = %v, %v; want context.Canceled", res, err)
	}
}

func TestKeyMatchesThePipelinesFormerKey(t *testing.T) {
	sha := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	// The pipeline built the key as cache.Key(flops.Schema, "flops", sha, bytes)
	// for its batch-1 count; cache.Key is cachekey.Key.
	old, err := cachekey.Key(Schema, "flops", sha, int64(1234))
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []Config{{Batch: 1}, {}} {
		if k, err := Key(cfg, sha, 1234); err != nil || k != old {
			t.Errorf("Key(%+v) = %q, %v; want the former key %q", cfg, k, err, old)
		}
	}
	for _, cfg := range []Config{{Batch: 2}, {Dims: map[string]int64{"height": 8}}} {
		if k, err := Key(cfg, sha, 1234); err != nil || k == old {
			t.Errorf("Key(%+v) = %q, %v; want a key of its own", cfg, k, err)
		}
	}
	if k, _ := Key(Config{}, sha, 1235); k == old {
		t.Error("another file size gave the same key")
	}
}

// cancelAfter is a context whose Err is nil for its first n calls and
// context.Canceled from then on, so a test can cancel between two nodes.
type cancelAfter struct {
	context.Context
	n, calls int
}

func (c *cancelAfter) Err() error {
	c.calls++
	if c.calls > c.n {
		return context.Canceled
	}
	return nil
}

func TestRunStopsBetweenNodes(t *testing.T) {
	path := flattenGraph().write(t, t.TempDir())
	m, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	nodes := len(m.Graph.Nodes)
	if nodes < 2 {
		t.Fatalf("test graph has %d nodes, want at least 2", nodes)
	}
	// One check passes before the file; then inference checks each node,
	// then counting does: cancel in the middle of each.
	for _, n := range []int{1 + nodes/2, 1 + nodes + nodes/2} {
		ctx := &cancelAfter{Context: context.Background(), n: n}
		res, err := Run(ctx, Config{}, Inputs{Files: []File{{Name: "a", Path: path}}})
		if !errors.Is(err, context.Canceled) || res != nil {
			t.Errorf("cancelled after %d checks: Run = %v, %v; want context.Canceled", n, res, err)
		}
		if ctx.calls != n+1 {
			t.Errorf("cancelled after %d checks: Run checked ctx %d times, want it to stop at the first failed check (%d)", n, ctx.calls, n+1)
		}
	}
	// Uncancelled, every node is checked twice (inference, counting).
	ctx := &cancelAfter{Context: context.Background(), n: 1 << 30}
	if _, err := Run(ctx, Config{}, Inputs{Files: []File{{Name: "a", Path: path}}}); err != nil {
		t.Fatal(err)
	}
	if want := 1 + 2*nodes; ctx.calls != want {
		t.Errorf("Run checked ctx %d times for %d nodes, want %d", ctx.calls, nodes, want)
	}
}
