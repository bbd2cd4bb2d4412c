//go:build unix && !linux

package stdio

import (
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// pollReader reads the server's stdout with read(2) on a nonblocking pipe
// and, when the pipe is empty, waits in poll(2) on the reading goroutine's
// own thread, beside a wake pipe Close writes to.
//
// Why not *os.File: its reads wait in the runtime's netpoller, and every
// empty pipe then costs a park, an epoll_pwait on another thread and a
// wake-up across threads. Measured out of process (perf, 256 MiB of
// 256-byte lines from yes|head, 2 cores), wrap's relay spent about a third
// of its CPU in findRunnable, netpoll, sysmon and futex; a blocking read
// does not, but a blocking read cannot be interrupted, and wrap must stop
// reading an output a server's child holds open after the server exits.
type pollReader struct {
	fd           int // the pipe's read end, nonblocking, not in the netpoller
	wakeR, wakeW int
	mu           sync.Mutex // held by Read while it uses fd
	closed       atomic.Bool
	reading      atomic.Bool
}

// serverOutputPipe returns a pipe for the server's stdout: the end wrap
// reads, and the end the server writes (blocking, as a child expects).
func serverOutputPipe() (serverOutput, *os.File, error) {
	var p, wake [2]int
	if err := cloexecPipe(p[:], false); err != nil {
		return nil, nil, err
	}
	if err := cloexecPipe(wake[:], true); err != nil {
		syscall.Close(p[0])
		syscall.Close(p[1])
		return nil, nil, err
	}
	if err := syscall.SetNonblock(p[0], true); err != nil {
		for _, fd := range []int{p[0], p[1], wake[0], wake[1]} {
			syscall.Close(fd)
		}
		return nil, nil, err
	}
	r := &pollReader{fd: p[0], wakeR: wake[0], wakeW: wake[1]}
	return r, os.NewFile(uintptr(p[1]), "|1"), nil
}

// cloexecPipe makes a pipe whose ends close on exec, both nonblocking if
// asked. macOS has no pipe2, so it takes the pipe and then marks it, with
// syscall.ForkLock held as os.Pipe does there: no fork in between can
// hand the ends to another child.
func cloexecPipe(p []int, nonblock bool) error {
	syscall.ForkLock.RLock()
	defer syscall.ForkLock.RUnlock()
	if err := syscall.Pipe(p); err != nil {
		return err
	}
	for _, fd := range p {
		syscall.CloseOnExec(fd)
		if !nonblock {
			continue
		}
		if err := syscall.SetNonblock(fd, true); err != nil {
			syscall.Close(p[0])
			syscall.Close(p[1])
			return err
		}
	}
	return nil
}

func (r *pollReader) Read(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reading.Store(true)
	defer r.reading.Store(false)
	for {
		if r.closed.Load() {
			return 0, os.ErrClosed
		}
		n, err := syscall.Read(r.fd, b)
		switch {
		case err == syscall.EAGAIN:
			fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}, {Fd: int32(r.wakeR), Events: unix.POLLIN}}
			if _, err := unix.Poll(fds, -1); err != nil && err != syscall.EINTR {
				return 0, err
			}
		case err == syscall.EINTR:
		case err != nil:
			return 0, err
		case n == 0 && len(b) > 0:
			return 0, io.EOF
		default:
			return n, nil
		}
	}
}

func (r *pollReader) waiting() bool { return r.reading.Load() }

// Close wakes a Read that waits, waits for it to return, and closes the
// pipe. Later Reads return os.ErrClosed.
func (r *pollReader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	syscall.Write(r.wakeW, []byte{0})
	r.mu.Lock()
	defer r.mu.Unlock()
	syscall.Close(r.wakeR)
	syscall.Close(r.wakeW)
	return syscall.Close(r.fd)
}
