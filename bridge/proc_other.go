//go:build !unix

package bridge

import (
	"os"
	"syscall"
)

func newProcessGroup() *syscall.SysProcAttr { return nil }

// signalGroup ends p: without Unix signals, SIGTERM and SIGKILL both kill.
func signalGroup(p *os.Process, _ syscall.Signal) { p.Kill() }
