//go:build unix

package bridge

import (
	"os"
	"syscall"
)

// newProcessGroup puts the child in a process group of its own: a
// terminal's Ctrl-C reaches mcpscope alone (which then stops its children
// in order), and the stop signals reach what the child started (npx, uvx
// and shells start the real server as a grandchild).
func newProcessGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// signalGroup sends sig to p's process group, or to p if that fails.
func signalGroup(p *os.Process, sig syscall.Signal) {
	if err := syscall.Kill(-p.Pid, sig); err != nil {
		p.Signal(sig)
	}
}
