package stdio

import (
	"os/exec"
	"syscall"
)

// setParentDeathSignal has the kernel kill the server if wrap dies
// without ending it (SIGKILL, a crash): no orphan.
func setParentDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
