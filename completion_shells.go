package main

import (
	"fmt"
	"io"
	"strings"
)

// writeBashCompletion writes a bash script: subcommands for the first
// word, each command's flags for a word starting with '-', a flag's
// choices after it, and file names otherwise (complete -o default).
func writeBashCompletion(w io.Writer, cmds map[string][]completionFlag) {
	var names []string
	for _, s := range subcommands {
		names = append(names, s.name)
	}
	fmt.Fprintf(w, `# bash completion for mcpscope (mcpscope completion bash)
_mcpscope() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=proxy
    if ((COMP_CWORD == 1)) && [[ $cur != -* ]]; then
        COMPREPLY=($(compgen -W %s -- "$cur"))
        return
    fi
    case ${COMP_WORDS[1]} in
        %s) ((COMP_CWORD > 1)) && cmd=${COMP_WORDS[1]} ;;
    esac
    case $cmd in
        completion) COMPREPLY=($(compgen -W 'bash zsh fish' -- "$cur")); return ;;
        rules) ((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W 'check test' -- "$cur")); return ;;
    esac
    local flags="" choices=""
    case $cmd in
`, shellQuote(strings.Join(names, " ")), strings.Join(names, "|"))
	for _, name := range completionOrder(cmds) {
		var words, choiceCases []string
		for _, f := range cmds[name] {
			words = append(words, "--"+f.long)
			if f.short != "" {
				words = append(words, "-"+f.short)
			}
			if len(f.choices) > 0 {
				choiceCases = append(choiceCases, fmt.Sprintf("[[ $prev == --%s ]] && choices=%s", f.long, shellQuote(strings.Join(f.choices, " "))))
			}
		}
		fmt.Fprintf(w, "        %s)\n            flags=%s\n", name, shellQuote(strings.Join(words, " ")))
		for _, c := range choiceCases {
			fmt.Fprintf(w, "            %s\n", c)
		}
		fmt.Fprint(w, "            ;;\n")
	}
	fmt.Fprint(w, `    esac
    if [[ -n $choices ]]; then
        COMPREPLY=($(compgen -W "$choices" -- "$cur"))
    elif [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags" -- "$cur"))
    fi
}
complete -o default -F _mcpscope mcpscope
`)
}

// writeZshCompletion writes a zsh function for $fpath (#compdef) that
// also registers itself when sourced.
func writeZshCompletion(w io.Writer, cmds map[string][]completionFlag) {
	var described, names []string
	for _, s := range subcommands {
		described = append(described, shellQuote(s.name+":"+s.summary))
		names = append(names, s.name)
	}
	fmt.Fprintf(w, `#compdef mcpscope
# zsh completion for mcpscope (mcpscope completion zsh)
_mcpscope() {
    local cmd=proxy
    local -a items
    if (( CURRENT == 2 )) && [[ $PREFIX != -* ]]; then
        items=(%s)
        _describe -t commands 'mcpscope command' items
        return
    fi
    case $words[2] in
        (%s) cmd=$words[2] ;;
    esac
    case $cmd in
        (completion) items=(bash zsh fish); _describe -t shells shell items; return ;;
        (rules) (( CURRENT == 3 )) && { items=(check test); _describe -t commands 'rules command' items; return } ;;
    esac
    case $cmd in
`, strings.Join(described, " "), strings.Join(names, "|"))
	for _, name := range completionOrder(cmds) {
		var flags, choiceCases []string
		for _, f := range cmds[name] {
			flags = append(flags, shellQuote(zshEscape("--"+f.long)+":"+f.usage))
			if f.short != "" {
				flags = append(flags, shellQuote(zshEscape("-"+f.short)+":"+f.usage))
			}
			if len(f.choices) > 0 {
				choiceCases = append(choiceCases, fmt.Sprintf("[[ $words[CURRENT-1] == --%s ]] && { items=(%s); _describe -t values value items; return }", f.long, strings.Join(f.choices, " ")))
			}
		}
		fmt.Fprintf(w, "        (%s)\n", name)
		for _, c := range choiceCases {
			fmt.Fprintf(w, "            %s\n", c)
		}
		fmt.Fprintf(w, "            items=(%s) ;;\n", strings.Join(flags, " "))
	}
	fmt.Fprint(w, `    esac
    if [[ $PREFIX == -* ]]; then
        _describe -t flags 'mcpscope flag' items
    else
        _files
    fi
}
if [[ $funcstack[1] == _mcpscope ]]; then
    _mcpscope "$@"
else
    compdef _mcpscope mcpscope
fi
`)
}

// zshEscape escapes the colons _describe would split a name at.
func zshEscape(s string) string { return strings.ReplaceAll(s, ":", `\:`) }

// writeFishCompletion writes fish complete commands: subcommands while
// none is given, the proxy's flags before one, each command's after it.
func writeFishCompletion(w io.Writer, cmds map[string][]completionFlag) {
	fmt.Fprint(w, "# fish completion for mcpscope (mcpscope completion fish)\ncomplete -c mcpscope -e\n")
	var names []string
	for _, s := range subcommands {
		fmt.Fprintf(w, "complete -c mcpscope -n __fish_use_subcommand -f -a %s -d %s\n", s.name, quoteFish(s.summary))
		names = append(names, s.name)
	}
	fmt.Fprint(w, "complete -c mcpscope -n '__fish_seen_subcommand_from completion' -f -a 'bash zsh fish'\n")
	fmt.Fprint(w, "complete -c mcpscope -n '__fish_seen_subcommand_from rules' -a 'check test'\n")
	for _, name := range completionOrder(cmds) {
		cond := "'__fish_seen_subcommand_from " + name + "'"
		if name == "proxy" {
			cond = "'not __fish_seen_subcommand_from " + strings.Join(names, " ") + "'"
		}
		for _, f := range cmds[name] {
			line := fmt.Sprintf("complete -c mcpscope -n %s -l %s", cond, f.long)
			if f.short != "" {
				line += " -s " + f.short
			}
			switch {
			case len(f.choices) > 0:
				line += " -x -a " + quoteFish(strings.Join(f.choices, " "))
			case f.takesValue:
				line += " -r"
			}
			fmt.Fprintf(w, "%s -d %s\n", line, quoteFish(f.usage))
		}
	}
}

// quoteFish single-quotes s for fish, where \' and \\ are the escapes.
func quoteFish(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}
