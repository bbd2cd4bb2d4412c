package hub

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// DefaultPath is where the hub listens unless told otherwise:
// $XDG_RUNTIME_DIR/mcpscope/hub.sock, else <os.TempDir()>/mcpscope-<uid>/hub.sock.
func DefaultPath() string {
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, "mcpscope", "hub.sock")
	}
	return filepath.Join(os.TempDir(), "mcpscope-"+strconv.Itoa(os.Getuid()), "hub.sock")
}

// ErrHubRunning says another hub already listens on the path.
var ErrHubRunning = errors.New("another mcpscope is already the hub there")

// Listen listens on the unix socket path for wrap connections: its
// directory is created 0700 if missing and the socket is made 0600. A
// live hub already on path is ErrHubRunning; a stale socket file (nobody
// listening) is removed and replaced.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("hub: creating %s: %w", filepath.Dir(path), err)
	}
	if _, err := os.Lstat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%w (%s)", ErrHubRunning, path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("hub: removing the stale socket %s: %w", path, err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("hub: listening on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("hub: %w", err)
	}
	return ln, nil
}
