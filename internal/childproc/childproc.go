// Package childproc runs a stage worker in a fresh child process and talks to
// it in JSON: one request on the child's stdin, a stream of JSON lines (one
// event per line) on its stdout. The child's stderr is kept for error messages.
package childproc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
)

// maxLine bounds one event line; a timing row with every sample fits easily.
const maxLine = 64 << 20

// stderrKeep is how many trailing bytes of the child's stderr are kept.
const stderrKeep = 8 << 10

// Child is a running worker process.
type Child struct {
	cmd    *exec.Cmd
	lines  *bufio.Scanner
	stderr *tailBuffer
	waited bool
	err    error
}

// Start runs exe with args (and env appended to the parent's environment),
// writes request as JSON to the child's stdin and closes it. The child is
// killed when ctx is cancelled.
func Start(ctx context.Context, exe string, args, env []string, request any) (*Child, error) {
	if exe == "" {
		return nil, errors.New("childproc: no worker executable given")
	}
	req, err := json.Marshal(request)
	if err != nil {
		return nil, fmt.Errorf("childproc: encoding request: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(append(req, '\n'))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("childproc: %w", err)
	}
	tail := &tailBuffer{max: stderrKeep}
	cmd.Stderr = tail
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("childproc: starting %s: %w", exe, err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	return &Child{cmd: cmd, lines: sc, stderr: tail}, nil
}

// Next decodes the next event line into v. It returns io.EOF when the child
// closed its output (crashed or finished); call Wait to learn which.
func (c *Child) Next(v any) error {
	if !c.lines.Scan() {
		if err := c.lines.Err(); err != nil {
			return fmt.Errorf("childproc: reading worker output: %w", err)
		}
		return io.EOF
	}
	if err := json.Unmarshal(c.lines.Bytes(), v); err != nil {
		return fmt.Errorf("childproc: bad worker output line %q: %w", truncate(c.lines.Text(), 200), err)
	}
	return nil
}

// Wait waits for the child to exit. A non-zero exit or a signal is an error
// whose message includes the tail of the child's stderr.
func (c *Child) Wait() error {
	if c.waited {
		return c.err
	}
	c.waited = true
	// Drain what is left so the child is never blocked writing.
	for c.lines.Scan() {
	}
	err := c.cmd.Wait()
	if err != nil {
		c.err = fmt.Errorf("worker %s", describeExit(err, c.Stderr()))
	}
	return c.err
}

// Kill stops the child at once (used when the parent gives up on it).
func (c *Child) Kill() {
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Kill()
	}
}

// Stderr is the tail of what the child wrote on stderr so far, trimmed.
func (c *Child) Stderr() string { return strings.TrimSpace(c.stderr.String()) }

// describeExit turns an exit error into words and appends the stderr tail.
func describeExit(err error, stderr string) string {
	msg := err.Error()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			msg = "killed by signal " + ws.Signal().String()
			if ws.Signal() == syscall.SIGKILL {
				msg += " (possibly the kernel's out-of-memory killer)"
			}
		} else {
			msg = fmt.Sprintf("exited with status %d", ee.ExitCode())
		}
	}
	if stderr != "" {
		msg += ": " + lastLines(stderr, 5)
	}
	return msg
}

// lastLines keeps the last n lines of s, joined by " | ".
func lastLines(s string, n int) string {
	ls := strings.Split(s, "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, " | ")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// Encoder writes events as JSON lines; workers use it on their stdout.
type Encoder struct {
	mu  sync.Mutex
	enc *json.Encoder
}

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{enc: json.NewEncoder(w)} }

// Send writes one event line.
func (e *Encoder) Send(v any) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.enc.Encode(v); err != nil {
		return fmt.Errorf("childproc: writing event: %w", err)
	}
	return nil
}

// ReadRequest decodes the single JSON request a worker receives on stdin.
func ReadRequest(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("childproc: reading request: %w", err)
	}
	return nil
}
