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

// probeReads bounds what one probe reads of a client that keeps sending:
// that many reads of probeBuf bytes (4 KiB), after which the client counts
// as there. A probe so never stalls on one connection; the price is that a
// client that sent much and then left is noticed only once the probes have
// read what it sent, or when its stream next writes.
const probeReads = 16

// probeBuf is what one read of a probe takes at most.
const probeBuf = 256

// probeClient reports whether the client is still there: its connection
// neither closed nor broken. It reads without waiting, dropping whatever
// the client sent (it sends nothing after its request), at most
// probeReads times.
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
	var b [probeBuf]byte
	err = raw.Read(func(fd uintptr) bool {
		for reads := 0; reads < probeReads; {
			n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_DONTWAIT)
			switch {
			case errors.Is(err, syscall.EINTR):
				continue
			case errors.Is(err, syscall.EAGAIN):
			case err != nil || n == 0: // a reset, or the client's end of the stream
				alive = false
			default:
				reads++
				continue // dropped
			}
			return true
		}
		return true // still sending: there
	})
	return alive && err == nil
}
