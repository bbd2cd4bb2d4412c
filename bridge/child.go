package bridge

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A child is one stdio server process: its stdin, stdout and stderr are
// pipes the bridge owns (os.Pipe, not exec's copying goroutines, so Wait
// returns when the process exits and never closes what the reader still
// reads). The child's own ends are closed in the parent after Start, so the
// bridge sees EOF on stdout when the process (and whatever inherited the
// pipe) is gone.
type child struct {
	cmd    *exec.Cmd
	stdin  *os.File // the bridge's write end; closeStdin closes it
	stdout *os.File // the bridge's read end; the session's reader owns it
	stderr *os.File // the bridge's read end; drainStderr owns it

	writeMu sync.Mutex // one line at a time on stdin

	exited   chan struct{} // closed once the process is reaped (Wait returned)
	state    *os.ProcessState
	waitErr  error
	closeIn  sync.Once
	stderrMu sync.Mutex
	tail     []byte // the last stderrTail bytes of stderr
}

// stderrTail is how much of a child's stderr is kept to explain its exit.
const stderrTail = 2048

// startChild starts argv with pipes on its stdin, stdout and stderr, in a
// process group of its own (where the platform has them: signals at stop
// reach what it started too), and a goroutine that reaps it.
func startChild(argv []string) (*child, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("no command")
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		for _, f := range []*os.File{inR, inW, outR, outW} {
			f.Close()
		}
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	cmd.SysProcAttr = newProcessGroup()
	err = cmd.Start()
	for _, f := range []*os.File{inR, outW, errW} { // the child's ends: the child has them now
		f.Close()
	}
	if err != nil {
		for _, f := range []*os.File{inW, outR, errR} {
			f.Close()
		}
		return nil, err
	}
	c := &child{cmd: cmd, stdin: inW, stdout: outR, stderr: errR, exited: make(chan struct{})}
	go func() {
		c.waitErr = cmd.Wait()
		c.state = cmd.ProcessState
		close(c.exited)
	}()
	return c, nil
}

// Pid is the process id.
func (c *child) Pid() int { return c.cmd.Process.Pid }

// writeLine writes line and a newline to the child's stdin. It blocks
// while the child does not read (the pipe is full), until closeStdin.
func (c *child) writeLine(line []byte) error {
	buf := make([]byte, 0, len(line)+1)
	buf = append(append(buf, line...), '\n')
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if _, err := c.stdin.Write(buf); err != nil {
		return fmt.Errorf("writing the server's stdin: %w", err)
	}
	return nil
}

// writeLines writes lines, each with its newline, to the child's stdin;
// see writeLine.
func (c *child) writeLines(lines []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if _, err := c.stdin.Write(lines); err != nil {
		return fmt.Errorf("writing the server's stdin: %w", err)
	}
	return nil
}

// closeStdin closes the child's stdin (a write blocked on it returns an
// error): a stdio server's signal to exit.
func (c *child) closeStdin() { c.closeIn.Do(func() { c.stdin.Close() }) }

// stop ends the process as the MCP spec's stdio shutdown says: close its
// stdin, wait up to grace for it to exit, then SIGTERM, wait up to grace
// again, then SIGKILL; it returns once the process is reaped.
func (c *child) stop(grace time.Duration) {
	c.closeStdin()
	if c.waitFor(grace) {
		return
	}
	signalGroup(c.cmd.Process, syscall.SIGTERM)
	if c.waitFor(grace) {
		return
	}
	signalGroup(c.cmd.Process, syscall.SIGKILL)
	<-c.exited
}

func (c *child) waitFor(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.exited:
		return true
	case <-t.C:
		return false
	}
}

// drainStderr reads the child's stderr until EOF or an error (the pipe
// closed), copying it to w (if not nil; a failing w is given up) and
// keeping its tail.
func (c *child) drainStderr(w io.Writer) {
	buf := make([]byte, 4096)
	for {
		n, err := c.stderr.Read(buf)
		if n > 0 {
			if w != nil {
				if _, werr := w.Write(buf[:n]); werr != nil {
					w = nil
				}
			}
			c.stderrMu.Lock()
			c.tail = append(c.tail, buf[:n]...)
			if len(c.tail) > stderrTail {
				c.tail = append(c.tail[:0], c.tail[len(c.tail)-stderrTail:]...)
			}
			c.stderrMu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// exitReason says how the reaped process ended, with the last line of its
// stderr: "exited with status 1: Error: Cannot find module 'x'".
func (c *child) exitReason() string {
	var how string
	switch {
	case c.state == nil:
		how = "ended: " + fmt.Sprint(c.waitErr)
	case c.state.Exited():
		how = fmt.Sprintf("exited with status %d", c.state.ExitCode())
	default:
		how = "ended: " + c.state.String() // "signal: killed"
	}
	if last := c.lastStderrLine(); last != "" {
		how += ": " + last
	}
	return how
}

func (c *child) lastStderrLine() string {
	c.stderrMu.Lock()
	defer c.stderrMu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(c.tail)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if len(last) > 300 {
		last = last[:300] + "…"
	}
	return strings.ToValidUTF8(last, "�")
}
