// Package childproc runs a stage worker in a fresh child process and talks to
// it in JSON: one request on the child's stdin, a stream of JSON lines (one
// event per line) on its stdout. The child's stderr is kept for error messages.
//
// A worker never outlives its parent. On Linux the child gets SIGKILL when the
// parent dies (Pdeathsig). On every system the parent keeps the child's stdin
// open after the request, and a worker that calls WatchParent exits when it
// reads end of file there, which happens when the parent exits however it
// exits.
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
	stdin  io.WriteCloser
	waited bool
	err    error
}

// Start runs exe with args (and env appended to the parent's environment)
// and writes request as one JSON line to the child's stdin, which stays open
// until Wait or Kill (see WatchParent). The child is killed when ctx is
// cancelled or, on Linux, when this process dies. The child inherits the
// open files in inherit as descriptors 3, 4, …: the pipeline passes the
// cache lock, so that the lock is held while any worker of a run lives.
func Start(ctx context.Context, exe string, args, env []string, request any, inherit ...*os.File) (*Child, error) {
	if exe == "" {
		return nil, errors.New("childproc: no worker executable given")
	}
	req, err := json.Marshal(request)
	if err != nil {
		return nil, fmt.Errorf("childproc: encoding request: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.ExtraFiles = inherit
	dieWithParent(cmd)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("childproc: %w", err)
	}
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
	c := &Child{cmd: cmd, lines: sc, stderr: tail, stdin: stdin}
	// A request is far smaller than a pipe's buffer, so this does not block;
	// a child that exits before reading it is reported by Wait.
	if _, err := stdin.Write(append(req, '\n')); err != nil && !errors.Is(err, syscall.EPIPE) {
		c.Kill()
		c.Wait()
		return nil, fmt.Errorf("childproc: writing the request to %s: %w", exe, err)
	}
	return c, nil
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
	c.stdin.Close()
	err := c.cmd.Wait()
	if err != nil {
		if cause, ok := c.stderr.oomCause(); ok {
			c.err = fmt.Errorf("worker %w: %s", ErrOutOfMemory, cause)
		} else {
			c.err = fmt.Errorf("worker %s", describeExit(err, c.Stderr()))
		}
	}
	return c.err
}

// Kill stops the child at once (used when the parent gives up on it).
func (c *Child) Kill() {
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Kill()
	}
	c.stdin.Close()
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

// ErrOutOfMemory marks a worker that died because an allocation failed
// (the Go runtime's or the C++ allocator's), as told by its stderr.
var ErrOutOfMemory = errors.New("ran out of memory")

// OutOfMemory reports whether a worker's stderr says that it ran out of
// memory, and the one line that says how: "runtime: out of memory: cannot
// allocate 4294967296-byte block (…)" from Go, std::bad_alloc from C++, or
// ENOMEM's "cannot allocate memory".
func OutOfMemory(stderr string) (cause string, ok bool) {
	for line := range strings.Lines(stderr) {
		line = strings.TrimSpace(line)
		if !oomLine(line) {
			continue
		}
		if cause == "" || (!strings.Contains(cause, "cannot allocate") && strings.Contains(line, "cannot allocate")) {
			cause = line
		}
	}
	return truncate(cause, 200), cause != ""
}

func oomLine(line string) bool {
	l := strings.ToLower(line)
	return strings.Contains(l, "runtime: out of memory") || strings.HasPrefix(l, "fatal error: out of memory") ||
		strings.Contains(l, "cannot allocate memory") || strings.Contains(l, "std::bad_alloc")
}

// tailBuffer keeps the last max bytes written to it, and the lines that
// tell of an out-of-memory death wherever they are (a Go crash's stack can
// push them out of the tail).
type tailBuffer struct {
	mu   sync.Mutex
	max  int
	buf  []byte
	line []byte // the incomplete last line, at most max bytes
	oom  []string
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-t.max:]...)
	}
	t.line = append(t.line, p...)
	for {
		i := bytes.IndexByte(t.line, '\n')
		if i < 0 {
			break
		}
		if l := string(t.line[:i]); oomLine(l) && len(t.oom) < 8 {
			t.oom = append(t.oom, l)
		}
		t.line = t.line[i+1:]
	}
	if len(t.line) > t.max {
		t.line = t.line[len(t.line)-t.max:]
	}
	t.line = append([]byte(nil), t.line...)
	return len(p), nil
}

// oomCause is OutOfMemory over everything written, not only the tail.
func (t *tailBuffer) oomCause() (string, bool) {
	t.mu.Lock()
	lines := strings.Join(append(t.oom, string(t.line)), "\n")
	t.mu.Unlock()
	return OutOfMemory(lines)
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

// WatchParent reads the request line a worker receives on in (its stdin)
// and returns it for ReadRequest. It then keeps reading in, and calls gone
// once the parent's end is closed: the parent exited, crashed or was killed
// without its Pdeathsig reaching the worker (other systems than Linux, or a
// parent that died while starting it). gone should end the process.
func WatchParent(in io.Reader, gone func()) (request io.Reader, err error) {
	br := bufio.NewReader(in)
	line, err := br.ReadBytes('\n')
	if err != nil && (err != io.EOF || len(line) == 0) {
		return nil, fmt.Errorf("childproc: reading request: %w", err)
	}
	go func() {
		io.Copy(io.Discard, br)
		gone()
	}()
	return bytes.NewReader(line), nil
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
