#!/usr/bin/env bash
# Soak: runs the release sensor under a mixed workload (execs, file churn in
# a watched directory, loopback connects) for SOAK_SECS seconds (default
# 600), then reports RSS (start/max/end), CPU seconds, drops and the health
# accounting invariant from the final health record. Exits 1 when the
# invariant fails, the sensor dies, or RSS exceeds SOAK_MAX_RSS_KB.
# Needs root (it loads the BPF programs) and jq.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SOAK_SECS=${SOAK_SECS:-600}
SOAK_MAX_RSS_KB=${SOAK_MAX_RSS_KB:-131072}
BIN=${BIN:-target/release/rand-guard}
[ "$(id -u)" -eq 0 ] || { echo "soak: must run as root" >&2; exit 2; }
command -v jq >/dev/null || { echo "soak: jq is needed" >&2; exit 2; }

work=$(mktemp -d /tmp/rg-soak.XXXXXX)
chmod 755 "$work"
cleanup() {
    [ -n "${listener:-}" ] && kill "$listener" 2>/dev/null || true
    [ -n "${sensor:-}" ] && kill "$sensor" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/churn"
cat > "$work/rand-guard.toml" <<CFG
[agent]
id = "soak"
[events]
network = true
[network]
enabled = true
[file]
watch_paths = ["$work/churn"]
[output]
health_interval_secs = 10
CFG

"$BIN" run --config "$work/rand-guard.toml" > "$work/out.ndjson" 2> "$work/err.log" &
sensor=$!
for _ in $(seq 100); do grep -q "ready:" "$work/err.log" 2>/dev/null && break; sleep 0.1; done
grep -q "ready:" "$work/err.log" || { cat "$work/err.log" >&2; echo "soak: sensor did not start" >&2; exit 1; }

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$sensor/status" 2>/dev/null || echo 0; }
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$sensor/stat"; }

# a loopback listener that accepts and closes
port=$((20000 + RANDOM % 20000))
python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(128)
while True:
    c, _ = s.accept(); c.close()
" &
listener=$!

rss_start=$(rss); rss_max=$rss_start; ops=0
end=$((SECONDS + SOAK_SECS)); next_sample=$SECONDS
while [ $SECONDS -lt $end ]; do
    for i in $(seq 20); do
        /bin/true "soak-$i"
        f="$work/churn/f$i"
        echo data > "$f"; mv "$f" "$f.renamed"; rm -f "$f.renamed"
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || true
    done
    ops=$((ops + 20))
    if [ $SECONDS -ge $next_sample ]; then
        kill -0 "$sensor" 2>/dev/null || { echo "soak: the sensor died" >&2; cat "$work/err.log" >&2; exit 1; }
        r=$(rss); [ "$r" -gt "$rss_max" ] && rss_max=$r
        next_sample=$((SECONDS + 1))
    fi
done
rss_end=$(rss); cpu_secs=$(cpu)
kill -TERM "$sensor"; wait "$sensor" || { echo "soak: sensor exit status $?" >&2; exit 1; }
sensor=

health=$(grep '"event_type":"health"' "$work/out.ndjson" | grep '"final":true' | tail -1)
[ -n "$health" ] || { echo "soak: no final health record" >&2; exit 1; }
echo "soak: ${SOAK_SECS}s, $ops workload rounds (exec + write/rename/unlink + connect each)"
echo "soak: RSS start ${rss_start} KiB, max ${rss_max} KiB, end ${rss_end} KiB; CPU ${cpu_secs} s"
jq -r '"soak: received \(.events_received) emitted \(.events_emitted) filtered \(.filtered) invalid \(.invalid_events) in_flight \(.in_flight); drops: kernel \(.kernel_drops) userspace \(.userspace_drops) (channel_full \(.drops_channel_full), rate_limited \(.drops_rate_limited), output_error \(.drops_output_error))"' <<<"$health"
ok=$(jq '.in_flight == 0 and .events_received == (.events_emitted + .filtered + .userspace_drops + .invalid_events)' <<<"$health")
[ "$ok" = true ] || { echo "soak: FAIL: accounting invariant broken: $health" >&2; exit 1; }
[ "$rss_max" -le "$SOAK_MAX_RSS_KB" ] || { echo "soak: FAIL: RSS $rss_max KiB over $SOAK_MAX_RSS_KB" >&2; exit 1; }
echo "soak: ok (invariant holds)"
