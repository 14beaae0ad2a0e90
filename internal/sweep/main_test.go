package sweep

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dnnbench/dnnbench/internal/childproc"
)

// envEcho turns the test binary into a worker that answers with its
// arguments, the variable's value and the request's model.
const envEcho = "DNNBENCH_SWEEP_TEST_ECHO"

// echo is the echo worker's answer.
type echo struct {
	Args  []string `json:"args"`
	Env   string   `json:"env"`
	Model string   `json:"model"`
	Batch int      `json:"batch"`
}

// echoRequest is a stage's request as the echo worker reads it.
type echoRequest struct {
	Request
	Batch int `json:"batch"`
}

func TestMain(m *testing.M) {
	if v := os.Getenv(envEcho); v != "" {
		err := Serve(context.Background(), "echo", os.Stdin, os.Stdout, func(_ context.Context, req echoRequest, enc *childproc.Encoder) error {
			return enc.Send(echo{Args: os.Args[1:], Env: v, Model: req.Model, Batch: req.Batch})
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestWorkerStart: the child gets "worker STAGE", the extra environment
// and the request, which it reads through Serve.
func TestWorkerStart(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	w := Worker{Exe: exe, Env: []string{envEcho + "=yes"}}
	child, err := w.Start(context.Background(), "memory", echoRequest{Request: Request{Model: "resnet50"}, Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	var got echo
	if err := child.Next(&got); err != nil {
		t.Fatalf("%v (stderr %q)", err, child.Stderr())
	}
	if err := child.Wait(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got.Args, " ") != "worker memory" || got.Env != "yes" || got.Model != "resnet50" || got.Batch != 8 {
		t.Errorf("child saw %+v; want args [worker memory], env yes, model resnet50, batch 8", got)
	}
	if _, err := (Worker{}).Start(context.Background(), "timing", echoRequest{}); err == nil {
		t.Error("Start without an executable succeeded")
	}
}

// TestServeRejectsUnknownFields: a request with a field the stage does not
// know is an error that names the stage's worker, and the work never runs.
func TestServeRejectsUnknownFields(t *testing.T) {
	var out strings.Builder
	ran := false
	err := Serve(context.Background(), "memory", strings.NewReader(`{"model":"m","colour":"red"}`+"\n"), &out,
		func(context.Context, echoRequest, *childproc.Encoder) error { ran = true; return nil })
	if err == nil || !strings.HasPrefix(err.Error(), "memory: worker: ") || !strings.Contains(err.Error(), "colour") {
		t.Errorf("err %v, want a memory worker error naming the unknown field", err)
	}
	if ran || out.Len() != 0 {
		t.Errorf("the work ran (%v) or wrote %q on a bad request", ran, out.String())
	}
}

// TestServeHandsOverTheRequest: the work gets the decoded request and
// writes its events on out; its error is Serve's.
func TestServeHandsOverTheRequest(t *testing.T) {
	var out strings.Builder
	boom := errors.New("boom")
	err := Serve(context.Background(), "timing", strings.NewReader(`{"model":"m","batch":4}`+"\n"), &out,
		func(_ context.Context, req echoRequest, enc *childproc.Encoder) error {
			if err := enc.Send(echo{Model: req.Model, Batch: req.Batch}); err != nil {
				return err
			}
			return boom
		})
	if !errors.Is(err, boom) {
		t.Errorf("err %v, want the work's", err)
	}
	if got, want := out.String(), `{"args":null,"env":"","model":"m","batch":4}`+"\n"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
}
