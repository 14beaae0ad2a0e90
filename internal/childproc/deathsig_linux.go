package childproc

import (
	"os/exec"
	"syscall"
)

// dieWithParent asks the kernel to SIGKILL the child when the thread that
// started it exits. Go ends a thread only when a goroutine locked to it
// (runtime.LockOSThread) returns without unlocking; callers of Start must not
// do that, and WatchParent covers the case anyway.
func dieWithParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
