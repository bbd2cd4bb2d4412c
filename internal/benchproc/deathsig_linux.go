package main

import (
	"os/exec"
	"syscall"
)

// endWithHarness makes cmd end with the harness, however the harness ends
// (the kernel sends it SIGTERM).
func endWithHarness(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
