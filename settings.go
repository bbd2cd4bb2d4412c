package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/pflag"
)

// maxConfigBytes bounds the config file read: settings, not data.
const maxConfigBytes = 1 << 20

// notFromSettings are the flags that only the command line sets: --help
// asks, --config says where the settings are.
var notFromSettings = map[string]bool{"help": true, configFlag: true}

// defaultConfigPath is where the config file is looked for unless --config
// or MCPSCOPE_CONFIG says otherwise: mcpscope/config under the user's
// config directory ($XDG_CONFIG_HOME, else ~/.config; on macOS
// ~/Library/Application Support; on Windows %AppData%), or "" when there
// is none.
func defaultConfigPath() string {
	if v, ok := os.LookupEnv(envName(configFlag)); ok {
		return v
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "mcpscope", "config")
}

// envName is the environment variable of a flag: MCPSCOPE_ and the name
// in capitals, '-' as '_' (--max-body is MCPSCOPE_MAX_BODY).
func envName(flag string) string {
	return "MCPSCOPE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// applySettings sets each flag of fs the command line left alone: from its
// environment variable when set and not empty, else from the config file at
// *configPath. A missing file is fine unless --config named it. A
// repeatable flag takes every line that names it, in order.
func applySettings(fs *pflag.FlagSet, configPath *string) error {
	preset := map[string]bool{}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || notFromSettings[f.Name] || err != nil {
			preset[f.Name] = true
			return
		}
		v := os.Getenv(envName(f.Name))
		if v == "" { // unset, or set empty: an empty --listen would listen on every interface
			return
		}
		preset[f.Name] = true
		if serr := fs.Set(f.Name, v); serr != nil {
			err = fmt.Errorf("environment variable %s: %w", envName(f.Name), serr)
		}
	})
	if err != nil || *configPath == "" {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if errors.Is(err, os.ErrNotExist) && !fs.Changed(configFlag) && os.Getenv(envName(configFlag)) == "" {
		return nil
	}
	if err != nil {
		return err
	}
	return cfg.apply(fs, preset)
}

// config is a parsed config file: "name = value" lines, optionally under
// "[command]" sections; '#' starts a comment line; a value may be quoted
// as a Go string ("a \"b\"") to keep spaces or '#'.
type config struct {
	path     string
	settings []setting
	sections map[string]int // each section's first line
}

type setting struct {
	command     string // "" outside any section
	name, value string
	line        int
}

// loadConfig reads and parses the file at path.
func loadConfig(path string) (*config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("config file %s: larger than %d KiB; it holds settings, one per line", path, maxConfigBytes>>10)
	}
	return parseConfig(path, data)
}

// parseConfig parses a config file's text.
func parseConfig(path string, data []byte) (*config, error) {
	cfg := &config{path: path, sections: map[string]int{}}
	command := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxConfigBytes)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "["):
			name, ok := strings.CutSuffix(line[1:], "]")
			if name = strings.TrimSpace(name); !ok || !isName(name) {
				return nil, fmt.Errorf("%s:%d: a section is [command], e.g. [wrap]; got %q", path, n, line)
			}
			command = name
			if cfg.sections[name] == 0 {
				cfg.sections[name] = n
			}
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !isName(name) {
			return nil, fmt.Errorf("%s:%d: want \"name = value\" with a flag's name (listen = 127.0.0.1:9000); got %q", path, n, line)
		}
		if strings.HasPrefix(value, `"`) {
			unquoted, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %s: a quoted value must be one double-quoted string: %s", path, n, name, value)
			}
			value = unquoted
		}
		cfg.settings = append(cfg.settings, setting{command: command, name: name, value: value, line: n})
	}
	return cfg, sc.Err()
}

// isName reports whether s looks like a flag or command name.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// apply sets fs's flags from the file, except those in preset (set by the
// command line or the environment). Settings in fs's command's section
// replace the same names outside sections. A name no command knows, or a
// section's name its command does not have, is an error naming the line.
func (c *config) apply(fs *pflag.FlagSet, preset map[string]bool) error {
	command := commandName(fs)
	known := knownFlags()
	inSection := map[string]bool{}
	for _, s := range c.settings {
		if s.command == command {
			inSection[s.name] = true
		}
	}
	for name, line := range c.sections {
		if _, ok := known[name]; !ok {
			return fmt.Errorf("%s:%d: no command %q (a section names a command: proxy, demo, wrap, export, ...)", c.path, line, name)
		}
	}
	for _, s := range c.settings {
		where := fmt.Sprintf("%s:%d", c.path, s.line)
		switch {
		case notFromSettings[s.name]:
			return fmt.Errorf("%s: --%s can only be given on the command line", where, s.name)
		case s.command != "" && !known[s.command][s.name]:
			return fmt.Errorf("%s: mcpscope %s has no flag --%s", where, s.command, s.name)
		case s.command == "" && !knownAnywhere(known, s.name):
			return fmt.Errorf("%s: no command has a flag --%s", where, s.name)
		}
		switch {
		case s.command != "" && s.command != command,
			s.command == "" && inSection[s.name],
			preset[s.name], fs.Lookup(s.name) == nil:
			continue
		}
		if err := fs.Set(s.name, s.value); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return nil
}

func knownAnywhere(known map[string]map[string]bool, name string) bool {
	for _, flags := range known {
		if flags[name] {
			return true
		}
	}
	return false
}

// knownFlags maps each command (see commandName) to its flags' names, from
// the commands' own flag sets (see flagProbe), built once.
func knownFlags() map[string]map[string]bool {
	knownFlagNames.once.Do(func() {
		knownFlagNames.flags = map[string]map[string]bool{}
		for _, fs := range commandFlagSets() {
			names := map[string]bool{}
			fs.VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
			knownFlagNames.flags[commandName(fs)] = names
		}
	})
	return knownFlagNames.flags
}

var knownFlagNames struct {
	once  sync.Once
	flags map[string]map[string]bool
}

// flagCommands are the commands with flags, as run takes them.
var flagCommands = [][]string{{}, {"demo"}, {"wrap"}, {"hub"}, {"replay"}, {"open"}, {"export"}, {"check"}, {"stats"}, {"diff"}}

// commandFlagSets returns the flag set of every command in flagCommands,
// built by the commands themselves and not run (see flagProbe).
func commandFlagSets() []*pflag.FlagSet {
	probe := new(flagProbe)
	for _, args := range flagCommands {
		run(context.Background(), append(args[:len(args):len(args)], "--help"), probe, io.Discard)
	}
	return probe.sets
}
