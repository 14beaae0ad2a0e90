//go:build !linux

package childproc

import "os/exec"

// dieWithParent has no kernel support here; workers rely on WatchParent.
func dieWithParent(cmd *exec.Cmd) {}
