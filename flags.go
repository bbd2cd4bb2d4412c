package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// parseFlags parses a command's flags. A flag not given on the command
// line is taken from the environment (MCPSCOPE_NAME, see envName), else
// from the config file (see settings.go), else keeps its default. --help
// writes the command's usage (fs.Usage, which writes to fs.Output()) to
// stdout, then where settings come from, and returns (0, false). A bad
// flag, variable or config line returns (2, false) with a message on
// stderr naming it.
//
// When stdout is a *flagProbe, parseFlags only hands fs to it and returns
// (0, false): that is how completion scripts and the config file's checks
// learn every command's flags without running anything.
func parseFlags(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer) (status int, ok bool) {
	if probe, ok := stdout.(*flagProbe); ok {
		probe.add(fs)
		return 0, false
	}
	configPath := fs.String(configFlag, defaultConfigPath(), "read settings from this file (flag names, \"name = value\"; '' for none)")
	fs.SetOutput(stdout) // with ContinueOnError, pflag writes only the usage there
	usage := fs.Usage
	fs.Usage = func() {
		if usage != nil {
			usage()
		}
		fmt.Fprint(stdout, settingsHelp(*configPath))
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0, false
		}
		fmt.Fprintf(stderr, "%s: %v\nRun '%s --help' for usage.\n", fs.Name(), err, fs.Name())
		return 2, false
	}
	if err := applySettings(fs, configPath); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		return 2, false
	}
	return 0, true
}

// configFlag names the flag parseFlags adds to every command.
const configFlag = "config"

// settingsHelp ends every command's --help.
func settingsHelp(configPath string) string {
	file := configPath
	if file == "" {
		file = "none"
	}
	return fmt.Sprintf(`
Settings: every flag can also be set in the environment as MCPSCOPE_NAME
(capitals, _ for -: MCPSCOPE_MAX_BODY=1048576) or in the config file
%s ("name = value" lines; a [command] section holds one command's).
The command line wins over the environment, which wins over the file.
`, file)
}

// flagProbe collects commands' flag sets (see parseFlags).
type flagProbe struct {
	sets []*pflag.FlagSet
}

func (p *flagProbe) add(fs *pflag.FlagSet) { p.sets = append(p.sets, fs) }

// Write discards what a command writes while probed.
func (p *flagProbe) Write(b []byte) (int, error) { return len(b), nil }

// commandName is the name a command's flag set goes by in the config file
// and completion scripts: "proxy" for the proxy itself ("mcpscope"), else
// the subcommand ("mcpscope wrap" is "wrap").
func commandName(fs *pflag.FlagSet) string {
	if name, ok := strings.CutPrefix(fs.Name(), "mcpscope "); ok {
		return name
	}
	return "proxy"
}
