#!/usr/bin/env bash
# wrap as users run it, each side its own process: a server writing 256 MiB
# of 256-byte JSON-RPC lines as fast as it can, through cat(1), through
# mcpscope wrap with no hub, with a running `mcpscope hub --headless`, and
# with --record. Prints seconds per route, one row per round; then, where
# perf(1) is installed, the CPU the relay process itself spent (perf
# samples at 1 kHz of the cat or mcpscope process, not of the server, nor
# of the hub), which a busy machine disturbs far less than wall time.
# Usage: scripts/bench-wrap-process.sh [ROUNDS]
set -euo pipefail
rounds=${1:-5}
dir=$(mktemp -d)
trap 'kill $(cat "$dir/hub.pid") 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/mcpscope" .
line='{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"'$(printf 'x%.0s' $(seq 1 170))'"}}'
printf '#!/bin/sh\nyes %s | head -c %d\n' "'$line'" $((256 << 20)) > "$dir/gen.sh"
chmod +x "$dir/gen.sh"
"$dir/mcpscope" hub --headless --hub "$dir/hub.sock" > /dev/null 2> "$dir/hub.err" &
echo $! > "$dir/hub.pid"
sleep 1
t() { /usr/bin/time -f %e "$@" 2>&1 >/dev/null | tail -1; }
echo "cat wrap_no_hub wrap+hub wrap_record (seconds)"
for _ in $(seq "$rounds"); do
  a=$(t sh -c "$dir/gen.sh | cat")
  b=$(t "$dir/mcpscope" wrap --hub off -- "$dir/gen.sh" < <(sleep 60))
  c=$(t "$dir/mcpscope" wrap --hub "$dir/hub.sock" -- "$dir/gen.sh" < <(sleep 60))
  d=$(t "$dir/mcpscope" wrap --hub off --record "$dir/r.jsonl" -- "$dir/gen.sh" < <(sleep 60))
  echo "$a $b $c $d"
done
command -v perf >/dev/null || exit 0
cpu() { # the relay's CPU in ms: perf samples at 1 kHz of the process named $1
  perf record -q -F 1000 -o "$dir/perf.data" -- bash -c "$2" >/dev/null 2>&1
  perf report -i "$dir/perf.data" --stdio -g none -F comm,sample 2>/dev/null | awk -v c="$1" '$1 == c { print $2 }'
}
echo "cat wrap_no_hub wrap+hub wrap_record (relay CPU, ms)"
for _ in $(seq "$rounds"); do
  a=$(cpu cat "$dir/gen.sh | cat > /dev/null")
  b=$(cpu mcpscope "$dir/mcpscope wrap --hub off -- $dir/gen.sh < <(sleep 60) > /dev/null")
  c=$(cpu mcpscope "$dir/mcpscope wrap --hub $dir/hub.sock -- $dir/gen.sh < <(sleep 60) > /dev/null")
  d=$(cpu mcpscope "$dir/mcpscope wrap --hub off --record $dir/r.jsonl -- $dir/gen.sh < <(sleep 60) > /dev/null")
  echo "$a $b $c $d"
done
