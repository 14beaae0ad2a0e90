package childproc

import (
	"context"
	"io"
	"strings"
	"testing"
)

type line struct {
	N int    `json:"n"`
	S string `json:"s"`
}

func TestRoundTripAndExitStatus(t *testing.T) {
	// The child echoes its request back twice, complains on stderr and fails.
	script := `read req; echo "$req"; echo "$req"; echo "it went wrong" >&2; exit 4`
	c, err := Start(context.Background(), "/bin/sh", []string{"-c", script}, nil, line{N: 7, S: "x"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		var l line
		if err := c.Next(&l); err != nil || l != (line{7, "x"}) {
			t.Fatalf("line %d: %+v, %v", i, l, err)
		}
	}
	var l line
	if err := c.Next(&l); err != io.EOF {
		t.Fatalf("after the last line: %v, want io.EOF", err)
	}
	err = c.Wait()
	if err == nil || !strings.Contains(err.Error(), "exited with status 4: it went wrong") {
		t.Errorf("wait: %v", err)
	}
}

func TestKilledBySignal(t *testing.T) {
	c, err := Start(context.Background(), "/bin/sh", []string{"-c", `kill -9 $$`}, nil, line{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(); err == nil || !strings.Contains(err.Error(), "killed by signal killed (possibly the kernel's out-of-memory killer)") {
		t.Errorf("wait: %v", err)
	}
}

func TestBadLineAndMissingExe(t *testing.T) {
	c, err := Start(context.Background(), "/bin/sh", []string{"-c", `echo not json`}, nil, line{})
	if err != nil {
		t.Fatal(err)
	}
	var l line
	if err := c.Next(&l); err == nil || !strings.Contains(err.Error(), `bad worker output line "not json"`) {
		t.Errorf("bad line: %v", err)
	}
	c.Wait()
	if _, err := Start(context.Background(), "", nil, nil, line{}); err == nil {
		t.Error("empty exe: want an error")
	}
	if _, err := Start(context.Background(), "/nonexistent/worker", nil, nil, line{}); err == nil || !strings.Contains(err.Error(), "/nonexistent/worker") {
		t.Errorf("missing exe: %v", err)
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	b := &tailBuffer{max: 8}
	b.Write([]byte("0123456789"))
	b.Write([]byte("ab"))
	if got := b.String(); got != "456789ab" {
		t.Errorf("tail %q, want 456789ab", got)
	}
}

func TestReadRequestRejectsUnknownFields(t *testing.T) {
	var l line
	if err := ReadRequest(strings.NewReader(`{"n":1,"extra":2}`), &l); err == nil {
		t.Error("unknown field: want an error")
	}
	if err := ReadRequest(strings.NewReader(`{"n":1,"s":"a"}`), &l); err != nil || l.N != 1 {
		t.Errorf("%+v, %v", l, err)
	}
}
