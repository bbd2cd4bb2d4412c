//go:build unix

package stdio

import (
	"os"
	"syscall"
)

// PollableStdin returns the process's stdin ready to be read through the
// runtime's poller when it is a pipe or a socket (as a client launching a
// server gives it), and os.Stdin otherwise (a terminal, a file). restore
// puts the pipe back in blocking mode; the caller calls it as it exits.
//
// Why: os.Stdin reads in a blocking read(2), and a client's stdin is idle
// most of the time, so one thread sits in that read for the whole session.
// The scheduler then finds no idle P while the relay reads and writes, and
// hands Ps between threads at every system call: out of process (strace -f
// -c, 256 MiB of 256-byte lines from the server) about 30,000 futex calls
// per run, against 1,000 with stdin in the poller.
func PollableStdin() (stdin *os.File, restore func()) {
	f, fd := os.Stdin, syscall.Stdin
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil || (st.Mode&syscall.S_IFMT != syscall.S_IFIFO && st.Mode&syscall.S_IFMT != syscall.S_IFSOCK) {
		return f, func() {}
	}
	dup, err := syscall.Dup(fd)
	if err != nil {
		return f, func() {}
	}
	syscall.CloseOnExec(dup)
	if err := syscall.SetNonblock(dup, true); err != nil { // the flag is the pipe's, so fd 0 is nonblocking too
		syscall.Close(dup)
		return f, func() {}
	}
	return os.NewFile(uintptr(dup), f.Name()), func() { syscall.SetNonblock(fd, false) }
}
