package cache

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLockNotifySaysWhoAndHowLong: a second run told about its wait hears
// the holder's process id and how long it has waited, at once.
func TestLockNotifySaysWhoAndHowLong(t *testing.T) {
	s := openTemp(t)
	unlock := lock(t, s)
	defer unlock()
	s2, _ := Open(s.Dir())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var waits []LockWait
	_, err := s2.LockNotify(ctx, func(w LockWait) { waits = append(waits, w); cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("LockNotify on a held lock: %v", err)
	}
	if len(waits) != 1 {
		t.Fatalf("%d notifications, want 1 as soon as the wait began", len(waits))
	}
	w := waits[0]
	if w.Holder != os.Getpid() || w.HolderGone || w.Dir != s.Dir() || w.Waited < 0 || w.Waited > time.Second {
		t.Errorf("wait %+v, want holder %d alive", w, os.Getpid())
	}
	if got := w.String(); !strings.Contains(got, "process "+itoa(os.Getpid())) {
		t.Errorf("String() = %q", got)
	}
}

// TestNotWritableSaysWhy: a read-only or forbidden cache directory is
// reported as such, with the fix, never as locked.
func TestNotWritableSaysWhy(t *testing.T) {
	s := openTemp(t)
	cases := []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: s.Dir() + "/.lock", Err: syscall.EROFS}, "is on a read-only file system; pass a writable directory with --cache"},
		{&fs.PathError{Op: "open", Path: s.Dir() + "/.lock", Err: syscall.EACCES}, "cannot write in " + s.Dir() + ": permission denied; make it writable (chmod -R u+w " + s.Dir() + ")"},
	}
	for _, c := range cases {
		got := s.notWritable(c.err).Error()
		if !strings.Contains(got, c.want) || strings.Contains(got, "locked") {
			t.Errorf("notWritable(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	// A directory that does not take files: a path under a regular file.
	f := s.Dir() + "/file"
	os.WriteFile(f, nil, 0o644)
	bad := &Store{dir: f + "/sub"}
	if _, err := bad.Lock(context.Background()); err == nil || strings.Contains(err.Error(), "locked") {
		t.Errorf("Lock in an unusable directory: %v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
