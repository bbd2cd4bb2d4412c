package backlog

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestLinesInOrderAndBounded: lines reach write in the order put, whole;
// while write is stuck, Put returns until max bytes wait and then blocks;
// Close lets the goroutine write the rest and end.
func TestLinesInOrderAndBounded(t *testing.T) {
	var mu sync.Mutex
	var got bytes.Buffer
	stuck, entered := make(chan struct{}), make(chan struct{}, 1)
	b := New(func(lines []byte) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-stuck
		mu.Lock()
		got.Write(lines)
		mu.Unlock()
	}, 100)
	line := func(i int) []byte { return fmt.Appendf(nil, "line %03d", i) } // 9 bytes with its newline
	b.Put(line(0))
	<-entered                 // the first line is taken by write, which is stuck
	for i := 1; i < 12; i++ { // 11 more wait: 99 bytes
		b.Put(line(i))
	}
	blocked := make(chan struct{})
	go func() { b.Put(line(12)); close(blocked) }()
	select {
	case <-blocked:
		t.Fatal("Put returned with max bytes waiting and write stuck")
	case <-time.After(100 * time.Millisecond):
	}
	close(stuck)
	<-blocked
	b.Close()
	<-b.Done
	var want bytes.Buffer
	for i := range 13 {
		want.Write(line(i))
		want.WriteByte('\n')
	}
	if got.String() != want.String() {
		t.Errorf("written:\n%s\nwant:\n%s", got.String(), want.String())
	}
}
