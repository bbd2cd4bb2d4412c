package ui

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// DefaultExportDir is where the UI's export key writes unless told
// otherwise (--export-dir): mcpscope/exports under the per-user data
// directory, which is $XDG_DATA_HOME when it is set to an absolute path,
// else ~/.local/share on Unix, ~/Library/Application Support on macOS and
// %LocalAppData% on Windows. Never the current directory: the UI may run
// in a source tree.
func DefaultExportDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "mcpscope", "exports"), nil
	}
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return filepath.Join(d, "mcpscope", "exports"), nil
		}
		return "", errors.New("%LocalAppData% is not set: give --export-dir")
	case "darwin", "ios":
		if d, err := os.UserConfigDir(); err == nil { // ~/Library/Application Support
			return filepath.Join(d, "mcpscope", "exports"), nil
		}
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", errors.New("no home directory to export into: give --export-dir")
	}
	return filepath.Join(home, ".local", "share", "mcpscope", "exports"), nil
}

// exportDir returns the directory exports go to (the options', else
// DefaultExportDir), made absolute and created (0700: sessions carry what
// clients sent) if missing.
func (m *Model) exportDir() (string, error) {
	dir := m.exportTo
	if dir == "" {
		d, err := DefaultExportDir()
		if err != nil {
			return "", err
		}
		dir = d
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}
