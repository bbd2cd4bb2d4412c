package redistest

import (
	"os/exec"
	"syscall"
)

// dieWithTest has the kernel kill the process if the test binary dies
// without running its cleanups (killed by go test's -timeout, by a
// signal): no redis-server outlives it.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
