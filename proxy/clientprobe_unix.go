//go:build linux || darwin || freebsd || netbsd || openbsd

package proxy

import (
	"errors"
	"net"
	"syscall"
)

// probeable reports whether probeClient can probe conn: a socket.
func probeable(conn net.Conn) bool {
	_, ok := conn.(syscall.Conn)
	return ok
}

// probeClient reports whether the client is still there: its connection
// neither closed nor broken. It reads without waiting, dropping whatever
// the client sent (it sends nothing after its request).
func probeClient(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := true
	var b [64]byte
	err = raw.Read(func(fd uintptr) bool {
		for {
			n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_DONTWAIT)
			switch {
			case errors.Is(err, syscall.EINTR):
				continue
			case errors.Is(err, syscall.EAGAIN):
			case err != nil || n == 0: // a reset, or the client's end of the stream
				alive = false
			default:
				continue // dropped
			}
			return true
		}
	})
	return alive && err == nil
}
