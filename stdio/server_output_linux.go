//go:build linux

package stdio

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// blockReader reads the server's stdout with plain blocking read(2), as
// cat(1) does: one system call per block, the thread asleep in the pipe
// while it is empty.
//
// Why not *os.File or a nonblocking pipe: either waits for an empty pipe
// outside the read (the netpoller's epoll on another thread, or poll(2)),
// which costs a read that fails with EAGAIN and a poll per block on top of
// the read that gets the bytes. Measured out of process (perf, 256 MiB of
// 256-byte lines from yes|head on 2 cores) that was 2.3× cat's system
// calls for the same bytes; see docs/BENCHMARKS.md.
//
// A blocking read cannot be interrupted by closing its file, and wrap must
// stop reading an output a server's child holds open after the server
// exits. Close therefore sets closed and then wakes the read the way any
// writer would: it opens the pipe again through /proc/self/fd for writing
// and writes one byte. The woken Read sees closed and returns os.ErrClosed
// without what it read (wrap is giving that output up); the byte Close
// wrote is never relayed. The extra write end is closed at once, so it
// never holds off the pipe's end. Where /proc cannot be opened, the
// pipe is read through the poller instead (pollReader).
type blockReader struct {
	fd      int
	mu      sync.Mutex // held by Read while it uses fd
	closed  atomic.Bool
	reading atomic.Bool
}

func serverOutputPipe() (serverOutput, *os.File, error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, err
	}
	w := os.NewFile(uintptr(p[1]), "|1")
	// Best effort: past the user's pipe quota the kernel refuses, and the
	// pipe keeps its default size.
	unix.FcntlInt(uintptr(p[0]), unix.F_SETPIPE_SZ, serverPipeSize)
	// Can Close wake a Read? Opening the pipe again for writing is what it
	// will do; if that is refused here (no /proc), use the poller.
	waker, err := os.OpenFile(procFD(p[0]), os.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		if err := syscall.SetNonblock(p[0], true); err != nil { // so that os.File reads it through the poller
			syscall.Close(p[0])
			w.Close()
			return nil, nil, err
		}
		return &fileReader{f: os.NewFile(uintptr(p[0]), "|0")}, w, nil
	}
	waker.Close()
	return &blockReader{fd: p[0]}, w, nil
}

// serverPipeSize is the capacity asked for the pipe of the server's
// stdout (Linux's default is 64 KiB; 1 MiB is the default most an
// unprivileged process may ask). With 64 KiB, a server writing faster
// than wrap relays fills the pipe at every read and sleeps until the
// next; wrap's read then finds the pipe empty and sleeps in turn: two
// context switches per 64 KiB, and for a Go program a thread handing its
// P over at each. Measured out of process (scripts/bench-wrap-process.sh
// -total 1024 -file, 256 B lines): wrap --hub off 0.89-0.98 s before,
// 0.55-0.67 s after, against cat(1)'s 0.68-0.83 s. Pausing still blocks
// the server: once the pipe holds 1 MiB instead of 64 KiB.
const serverPipeSize = 1 << 20

func procFD(fd int) string { return fmt.Sprintf("/proc/self/fd/%d", fd) }

func (r *blockReader) Read(b []byte) (int, error) {
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
		case r.closed.Load():
			return 0, os.ErrClosed
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

func (r *blockReader) waiting() bool { return r.reading.Load() }

// Close wakes a Read that waits, waits for it to return, and closes the
// pipe. Later Reads return os.ErrClosed.
func (r *blockReader) Close() error {
	if r.closed.Swap(true) {
		return nil
	}
	if !r.mu.TryLock() { // a Read is under way: wake it
		if w, err := os.OpenFile(procFD(r.fd), os.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0); err == nil {
			w.Write([]byte{0}) // a full pipe (EAGAIN) wakes no one, but then the Read is not waiting
			w.Close()
		}
		r.mu.Lock()
	}
	defer r.mu.Unlock()
	return syscall.Close(r.fd)
}
