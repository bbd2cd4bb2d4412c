//go:build linux

package stdio

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// The server's stdout is read with blocking read(2), and Close still ends
// a Read that waits on an empty pipe whose writer stays open (a server's
// child holding it): the Read returns os.ErrClosed, not the byte Close
// wrote to wake it.
func TestServerOutputCloseWakesBlockedRead(t *testing.T) {
	r, w, err := serverOutputPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, ok := r.(*blockReader); !ok {
		t.Fatalf("serverOutputPipe gave %T, want *blockReader (is /proc mounted?)", r)
	}
	w.Write([]byte("a line\n"))
	b := make([]byte, 64)
	if n, err := r.Read(b); err != nil || string(b[:n]) != "a line\n" {
		t.Fatalf("Read = %q, %v", b[:n], err)
	}
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() { n, err := r.Read(b); done <- result{n, err} }()
	for deadline := time.Now().Add(5 * time.Second); !r.waiting(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Read never started")
		}
	}
	time.Sleep(20 * time.Millisecond) // into read(2)
	closed := make(chan error, 1)
	go func() { closed <- r.Close() }()
	select {
	case res := <-done:
		if res.n != 0 || !errors.Is(res.err, os.ErrClosed) {
			t.Errorf("the waiting Read returned %d, %v; want 0, os.ErrClosed", res.n, res.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not wake the waiting Read")
	}
	if err := <-closed; err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := r.Read(b); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Read after Close: %v, want os.ErrClosed", err)
	}
}

// The pipe ends when its writer closes: the end Close may open to wake a
// Read is not held open.
func TestServerOutputEOF(t *testing.T) {
	r, w, err := serverOutputPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.Write([]byte("last"))
	w.Close()
	got, err := io.ReadAll(r)
	if err != nil || string(got) != "last" {
		t.Errorf("ReadAll = %q, %v; want \"last\", nil", got, err)
	}
}
