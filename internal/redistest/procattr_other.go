//go:build !linux

package redistest

import "os/exec"

// dieWithTest does nothing here: only Linux kills a child with its parent.
// The test's cleanups still stop every process.
func dieWithTest(*exec.Cmd) {}
