// Package download fetches URLs with connect and idle timeouts: a server
// that accepts a connection and then sends nothing fails in bounded time
// instead of hanging, a slow but steady download is never cut short, and
// cancelling the context (Ctrl-C) stops a download at once. GetFrom resumes
// a download at an offset with an HTTP Range request.
package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// ErrRange reports that a server answered a range request with another
// range or refused it (416); the caller should start again from zero.
var ErrRange = errors.New("the server did not honour the range request")

// Timeouts bound a download; zero fields take the defaults.
type Timeouts struct {
	// Connect bounds dialling and the TLS handshake; default 30 s.
	Connect time.Duration
	// Idle bounds every wait for data: the response headers and each
	// following read of the body; default 60 s.
	Idle time.Duration
}

func (t Timeouts) withDefaults() Timeouts {
	if t.Connect <= 0 {
		t.Connect = 30 * time.Second
	}
	if t.Idle <= 0 {
		t.Idle = 60 * time.Second
	}
	return t
}

// Client is an HTTP client whose connections time out after t.Connect; Get
// bounds the wait for headers and body itself.
func Client(t Timeouts) *http.Client {
	t = t.withDefaults()
	return &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: t.Connect, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: t.Connect,
		ForceAttemptHTTP2:   true,
	}}
}

// Body is the body of a successful response (200 OK, or 206 Partial
// Content to a range request). Reading it fails once no byte has arrived
// for the idle timeout or the context is cancelled.
type Body struct {
	// Size is the announced length of the body in bytes, -1 when unknown.
	Size int64
	// Offset is where the body starts in the file: the requested offset
	// when the server honoured the range (206), 0 when it sent the whole
	// file (200) and the caller must start again.
	Offset int64

	url    string
	body   io.ReadCloser
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
	idle   time.Duration
}

// Get starts a GET of url with client (nil: Client(t)). Errors name the
// URL and say whether the server was silent, unreachable or refused.
func Get(ctx context.Context, client *http.Client, url string, t Timeouts) (*Body, error) {
	return GetFrom(ctx, client, url, 0, t)
}

// GetFrom is Get of the bytes of url from offset on: a positive offset
// sends "Range: bytes=offset-". A server that ignores the range answers
// 200 with the whole file (Body.Offset 0); a 206 whose Content-Range does
// not start at offset is an error.
func GetFrom(ctx context.Context, client *http.Client, url string, offset int64, t Timeouts) (*Body, error) {
	t = t.withDefaults()
	if client == nil {
		client = Client(t)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	silent := fmt.Errorf("%s sent nothing for %v (the server accepted the connection but does not answer)", url, t.Idle)
	timer := time.AfterFunc(t.Idle, func() { cancel(silent) })
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		timer.Stop()
		cancel(nil)
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	resp, err := client.Do(req)
	if err != nil {
		timer.Stop()
		err = cause(ctx, url, err)
		cancel(nil)
		return nil, err
	}
	start := int64(0)
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusPartialContent && offset > 0:
		var end int64
		cr := resp.Header.Get("Content-Range")
		if _, err := fmt.Sscanf(cr, "bytes %d-%d/", &start, &end); err != nil || start != offset {
			timer.Stop()
			resp.Body.Close()
			cancel(nil)
			return nil, fmt.Errorf("%s: asked for bytes from %d, got Content-Range %q: %w", url, offset, cr, ErrRange)
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		timer.Stop()
		resp.Body.Close()
		cancel(nil)
		return nil, fmt.Errorf("%s: %s: %w", url, resp.Status, ErrRange)
	default:
		timer.Stop()
		resp.Body.Close()
		cancel(nil)
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	timer.Reset(t.Idle)
	return &Body{Size: resp.ContentLength, Offset: start, url: url, body: resp.Body, ctx: ctx, cancel: cancel, timer: timer, idle: t.Idle}, nil
}

// Read reads the body, restarting the idle timeout whenever bytes arrive.
func (b *Body) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if n > 0 {
		b.timer.Reset(b.idle)
	}
	if err != nil && err != io.EOF {
		err = cause(b.ctx, b.url, err)
	}
	return n, err
}

// Close releases the connection and the timer.
func (b *Body) Close() error {
	b.timer.Stop()
	err := b.body.Close()
	b.cancel(nil)
	return err
}

// cause replaces a transport error caused by the idle timeout or by
// cancellation with that cause.
func cause(ctx context.Context, url string, err error) error {
	switch c := context.Cause(ctx); {
	case c == nil:
		return fmt.Errorf("%s: %w", url, err)
	case errors.Is(c, context.Canceled) || errors.Is(c, context.DeadlineExceeded):
		return fmt.Errorf("%s: interrupted: %w", url, c)
	default:
		return c
	}
}
