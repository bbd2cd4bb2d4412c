#!/usr/bin/env bash
# wrap as users run it, each side its own process: a server writing 256 MiB
# of JSON-RPC lines (256 B, or -size BYTES) as fast as it can, through
# cat(1), through mcpscope wrap with no hub, with a running
# `mcpscope hub --headless`, and with --record. Prints seconds per route,
# one row per round; then, where perf(1) is installed, the CPU the relay
# process itself spent (perf samples at 1 kHz of the cat or mcpscope
# process, not of the server, nor of the hub), which a busy machine
# disturbs far less than wall time.
#
# -bin PATH measures a built binary instead of building this tree; given
# twice (old, then new), every wrap route runs with each binary back to back
# in every round, so that both see the same load, and the columns are
# suffixed with .1 and .2. Each binary gets a hub of its own.
#
# -total MIB is how much the server writes (default 256). wrap starts in
# 30-40 ms (a Go binary, the child, the hub's handshake) where cat starts
# in 1 ms; at 256 MiB a round takes 0.3-0.6 s, so startup alone is 5-10 %
# of it: use 1024 or more to measure the relay rather than its start.
#
# -file writes the lines to a file first and has the server cat(1) it: one
# process writing 128 KiB blocks instead of yes and head, which on 2
# cores take one and a half of them, so that the relay, not the
# competition for the cores, sets the pace.
#
# Usage: scripts/bench-wrap-process.sh [-bin PATH [-bin PATH]] [-size BYTES] [-total MIB] [-file] [-routes LIST] [ROUNDS]
# LIST is a comma-separated subset of nohub,hub,record (default all).
set -euo pipefail
bins=() size=256 total=256 file= routes=nohub,hub,record
while [ $# -gt 0 ]; do
  case $1 in
  -bin) bins+=("$(realpath "$2")"); shift 2 ;;
  -size) size=$2; shift 2 ;;
  -total) total=$2; shift 2 ;;
  -file) file=1; shift ;;
  -routes) routes=$2; shift 2 ;;
  *) break ;;
  esac
done
rounds=${1:-5}
dir=$(mktemp -d)
trap 'for p in "$dir"/hub*.pid; do [ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null; done; rm -rf "$dir"' EXIT
if [ ${#bins[@]} -eq 0 ]; then
  go build -o "$dir/b1/mcpscope" .
else
  for i in "${!bins[@]}"; do # each under the name mcpscope, which perf reports
    mkdir -p "$dir/b$((i + 1))" && cp "${bins[$i]}" "$dir/b$((i + 1))/mcpscope"
  done
fi
n=$(ls -d "$dir"/b* | wc -l)
pad=$((size - 96)) # the line below is 96 bytes and a newline without its padding
[ "$pad" -ge 1 ] || { echo "-size must be at least 97" >&2; exit 2; }
line='{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"'$(head -c "$pad" /dev/zero | tr '\0' x)'"}}'
printf '#!/bin/sh\nyes %s | head -c %d\n' "'$line'" $((total << 20)) > "$dir/gen.sh"
chmod +x "$dir/gen.sh"
if [ -n "$file" ]; then
  "$dir/gen.sh" > "$dir/lines"
  cp "$(command -v cat)" "$dir/server" # not named cat: perf counts the relay by name
  printf '#!/bin/sh\nexec %s %s\n' "$dir/server" "$dir/lines" > "$dir/gen.sh"
fi
for i in $(seq "$n"); do
  "$dir/b$i/mcpscope" hub --headless --hub "$dir/hub$i.sock" > /dev/null 2> "$dir/hub$i.err" &
  echo $! > "$dir/hub$i.pid"
done
sleep 1
route() { # the shell command of route $1 through binary $2
  case $1 in
  nohub) echo "$dir/b$2/mcpscope wrap --hub off -- $dir/gen.sh < <(sleep 60 > /dev/null 2>&1) > /dev/null" ;;
  hub) echo "$dir/b$2/mcpscope wrap --hub $dir/hub$2.sock -- $dir/gen.sh < <(sleep 60 > /dev/null 2>&1) > /dev/null" ;;
  record) echo "$dir/b$2/mcpscope wrap --hub off --record $dir/r.jsonl -- $dir/gen.sh < <(sleep 60 > /dev/null 2>&1) > /dev/null" ;;
  esac
}
header() {
  local h="cat"
  for r in ${routes//,/ }; do
    for i in $(seq "$n"); do h+=" $r$([ "$n" -gt 1 ] && echo ".$i" || true)"; done
  done
  echo "$h ($1; $size B lines, $total MiB${file:+ from a file})"
}
t() { /usr/bin/time -f %e bash -c "$1" 2>&1 >/dev/null | tail -1; }
header seconds
for _ in $(seq "$rounds"); do
  row=$(t "$dir/gen.sh | cat > /dev/null")
  for r in ${routes//,/ }; do
    for i in $(seq "$n"); do row+=" $(t "$(route "$r" "$i")")"; done
  done
  echo "$row"
done
command -v perf >/dev/null || exit 0
cpu() { # the relay's CPU in ms: perf samples at 1 kHz of the process named $1
  perf record -q -F 1000 -o "$dir/perf.data" -- bash -c "$2" >/dev/null 2>&1
  perf report -i "$dir/perf.data" --stdio -g none -F comm,sample 2>/dev/null | awk -v c="$1" '$1 == c { print $2 }'
}
header "relay CPU, ms"
for _ in $(seq "$rounds"); do
  row=$(cpu cat "$dir/gen.sh | cat > /dev/null")
  for r in ${routes//,/ }; do
    for i in $(seq "$n"); do row+=" $(cpu mcpscope "$(route "$r" "$i")")"; done
  done
  echo "$row"
done
