package stdio

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/mcpscope/mcpscope/jsonrpc"
)

// Default grace periods of the shutdown sequence the MCP specification
// gives for stdio: close the server's stdin, wait for it to exit, then
// SIGTERM, then SIGKILL.
const (
	DefaultCloseGrace = 5 * time.Second
	DefaultTermGrace  = 5 * time.Second
)

// outputGrace is how long the server's stdout may stay open after the
// server exited (a child of its own holding it) before wrap stops reading.
const outputGrace = 2 * time.Second

// Wrap runs Command as a stdio server for the client on Stdin/Stdout.
type Wrap struct {
	Command []string
	Stdin   io.Reader // the client's side: requests come from here
	Stdout  io.Writer // answers go here
	Stderr  io.Writer // the server's stderr, and wrap's own messages
	// Judge judges each line (the hub, or a Local engine); nil relays them
	// as they are. Run closes it.
	Judge Judge
	// Window bounds the bytes in flight per direction; 0 is
	// hub.DefaultWindow.
	Window int
	// Signals are forwarded to the server (SIGINT, SIGTERM sent to wrap).
	Signals <-chan os.Signal
	// CloseGrace is how long the server may take to exit after its stdin
	// closes before it gets SIGTERM; TermGrace, after SIGTERM before
	// SIGKILL. 0 means the defaults.
	CloseGrace, TermGrace time.Duration
}

// Run starts Command and relays until it has exited and its output is
// written, then returns its exit status (128+n for signal n). If Command
// cannot start, stderr says why and every request on Stdin is answered
// with a JSON-RPC error until Stdin ends; the status is then 127 (not
// found) or 126. When ctx ends, the server gets SIGTERM (or the signal on
// Signals that ended ctx), then SIGKILL after TermGrace.
//
// A read of Stdin still blocked when Run returns is left to end with
// Stdin (the process exits; tests close their pipe); nothing it reads is
// used.
func (w *Wrap) Run(ctx context.Context) int {
	name := strings.Join(w.Command, " ")
	cmd, toServer, fromServer, err := w.start()
	if err != nil {
		return w.cannotStart(name, err)
	}
	r := newRelay(w.Judge, w.Window, w.Stdin, w.Stdout, toServer, fromServer, w.Stderr)
	run := r.start(toServer)
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	clientClosed := w.supervise(ctx, cmd.Process, run, exited)

	// The server's last lines reach the client, however long a paused hub
	// holds them (they wait in the window and the pipe); only a reader
	// waiting in read(2) for an end a child of the server holds off past
	// the grace stops.
	for grace := time.After(outputGrace); ; {
		select {
		case <-run.serverOutputRead:
			grace = nil
		case <-grace:
			if run.serverOutputWaits() {
				fromServer.Close()
			}
			grace = time.After(100 * time.Millisecond)
		}
		if grace == nil {
			break
		}
	}
	<-run.serverOutputWritten
	status := exitStatus(cmd.ProcessState)
	r.answerPending(status, name)
	r.c2s.win.abort()
	toServer.Close()
	<-run.clientInputWritten
	run.backlogsWritten()
	fromServer.Close()
	reason := fmt.Sprintf("server exited with status %d", status)
	if clientClosed {
		reason = "client closed stdin; " + reason
	}
	if w.Judge != nil {
		w.Judge.Close(reason)
	}
	<-run.judged
	return status
}

// start starts Command on pipes of its own: the server's stdin
// (toServer, for wrap to write) and stdout (fromServer, for wrap to read).
func (w *Wrap) start() (cmd *exec.Cmd, toServer *os.File, fromServer serverOutput, err error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, err
	}
	outR, outW, err := serverOutputPipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, nil, nil, err
	}
	cmd = exec.Command(w.Command[0], w.Command[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, w.Stderr
	cmd.WaitDelay = outputGrace
	setParentDeathSignal(cmd)
	err = cmd.Start()
	inR.Close() // the server's ends: the server has them now
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, nil, nil, err
	}
	return cmd, inW, outR, nil
}

// supervise runs the server's lifecycle until it exits: the client
// closing stdin closes the server's, then SIGTERM after CloseGrace, SIGKILL
// after TermGrace (the MCP shutdown sequence for stdio); signals on
// Signals are forwarded; ctx ending is SIGTERM (or the signal that ended
// it), then SIGKILL after TermGrace. It reports whether the client closed
// stdin (rather than its reading failing).
func (w *Wrap) supervise(ctx context.Context, server *os.Process, run *running, exited <-chan struct{}) (clientClosed bool) {
	closeGrace, termGrace := or(w.CloseGrace, DefaultCloseGrace), or(w.TermGrace, DefaultTermGrace)
	var term, kill <-chan time.Time
	stdinClosed, ctxDone := run.clientInputWritten, ctx.Done()
	for {
		select {
		case <-stdinClosed:
			stdinClosed, clientClosed = nil, run.clientReadErr() == nil
			term = time.After(closeGrace)
		case <-term:
			term, kill = nil, time.After(termGrace)
			server.Signal(syscall.SIGTERM)
		case <-kill:
			server.Kill()
		case s := <-w.Signals:
			server.Signal(s)
		case <-ctxDone:
			ctxDone = nil
			select { // the signal that ended ctx, if it was one
			case s := <-w.Signals:
				server.Signal(s)
			case <-time.After(100 * time.Millisecond):
				server.Signal(syscall.SIGTERM)
			}
			term, kill = nil, time.After(termGrace)
		case <-exited:
			return clientClosed
		}
	}
}

// cannotStart says Command cannot start, on stderr and to each request of
// the client (clients often hide stderr), until Stdin ends.
func (w *Wrap) cannotStart(name string, err error) int {
	msg := fmt.Sprintf("mcpscope wrap: cannot start %q: %v", name, err)
	fmt.Fprintln(w.Stderr, msg)
	if w.Judge != nil {
		w.Judge.Close("cannot start: " + err.Error())
	}
	status := 126
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) {
		status = 127
	}
	p := &pipe{src: newReader(w.Stdin), r: &relay{}}
	out := bufio.NewWriter(w.Stdout)
	for {
		line, _, long, rerr := p.readLine()
		if long != nil { // an oversized line: skip the rest of it
			for {
				if _, rerr = p.src.ReadSlice('\n'); !errors.Is(rerr, bufio.ErrBufferFull) {
					break
				}
			}
		}
		each(line, func(env jsonrpc.Envelope) {
			if env.Kind == jsonrpc.Request && env.ID != "" {
				out.Write(errorLine(env.ID, msg))
				out.WriteByte('\n')
			}
		})
		out.Flush()
		if rerr != nil {
			return status
		}
	}
}

func newReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, readBuffer) }

// exitStatus is the status a shell would report: the exit code, or 128+n
// for a process ended by signal n.
func exitStatus(ps *os.ProcessState) int {
	if ps == nil {
		return 1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
