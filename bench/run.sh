#!/usr/bin/env bash
# bench/run.sh - `make bench`: rand-guard's overhead on the shared workloads
# (bench/overhead.sh and bench/workload.c, copied unchanged from
# shared/bench so the measurement is the one used for every sensor), the
# unwatched-open case, its floor (an empty program on the same tracepoint), and
# the userspace replay benchmark; prints one table.
#
# Environment: REPS (default 3), N_EXEC N_OPEN N_WRITE N_CONNECT (harness
# defaults 5000/200000/20000/10000), QUIET (seconds to wait for a quiet
# machine before each run, default 60; 0 = off), OUT (results directory).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BIN=${BIN:-target/release/rand-guard}
REPS=${REPS:-3}
QUIET=${QUIET:-60}
OUT=${OUT:-/tmp/rand-guard-bench/$(date +%Y%m%d-%H%M%S)}
WATCHED=/var/tmp/edr-bench
UNWATCHED=/var/lib/edr-bench-unwatched
[[ $(id -u) -eq 0 ]] || { echo "make bench loads BPF programs: run it as root" >&2; exit 2; }
[[ -x $BIN ]] || { echo "no $BIN: run make build first" >&2; exit 2; }
mkdir -p "$OUT"

# Records each operation must produce, matched in the sensor's output.
declare -A PATTERN=(
	[exec]='"event_type":"process_exec".*"filename":"/bin/true"'
	[open]="\"event_type\":\"file_open\".*\"path\":\"$WATCHED/open-target\""
	[write]="\"path\":\"$WATCHED/churn/"
	[connect]='"event_type":"network_connect".*"remote_port":47800'
)
# open, write, rename, unlink per write-churn operation
declare -A PER_OP=([exec]=1 [open]=1 [write]=4 [connect]=1 [unwatched]=0 [floor]=0)

sensor=("$BIN" run --config bench/bench.toml)
args=()
for wl in exec open write connect; do
	args+=(-e "$wl=${PATTERN[$wl]}")
done

echo "== overhead, watched workloads (results in $OUT)"
BENCH_DIR=$WATCHED bench/overhead.sh -n rand-guard -o "$OUT/watched" -r "$REPS" -q "$QUIET" \
	-R 'ready:' "${args[@]}" -- "${sensor[@]}"
echo "== overhead, open of an unwatched file"
BENCH_DIR=$UNWATCHED bench/overhead.sh -n rand-guard -o "$OUT/unwatched" -r "$REPS" -q "$QUIET" \
	-w open -R 'ready:' -e "open=\"path\":\"$UNWATCHED/" -- "${sensor[@]}"
echo "== floor: the unwatched open with only an empty program on sys_exit_openat"
clang -O2 -target bpf -c bench/floor.bpf.c -o "$OUT/floor.bpf.o"
cargo build --release --locked --example attach_floor
BENCH_DIR=$UNWATCHED bench/overhead.sh -n floor -o "$OUT/floor" -r "$REPS" -q "$QUIET" \
	-w open -R 'ready:' -- target/release/examples/attach_floor "$OUT/floor.bpf.o"
echo "== replay (userspace pipeline alone, one core)"
cargo bench --locked --bench replay 2>/dev/null | tee "$OUT/replay.txt"
if [[ -d ../shared/sigma/rules ]]; then
	echo "== replay with SigmaHQ's Linux rules loaded next to the default pack"
	SIGMA_RULES=../shared/sigma/rules cargo bench --locked --bench replay 2>/dev/null | tee -a "$OUT/replay.txt"
fi

# Drops: the largest kernel/userspace drop counts in any run's final health record.
drops() { # drops DIR WORKLOAD KEY
	local f max=0 v
	for f in "$1"/"$2"-*.stdout; do
		[[ -e $f ]] || continue
		v=$(grep '"event_type":"health"' "$f" | tail -n 1 | sed -n "s/.*\"$3\":\([0-9]*\).*/\1/p")
		((${v:-0} > max)) && max=$v
	done
	echo "$max"
}

{
	printf 'workload\tratio\trecords\texpected\tkernel_drops\tuserspace_drops\tsensor_cpu_s\tpeak_rss_mb\n'
	row() { # row NAME DIR WORKLOAD
		local line
		line=$(awk -F'\t' -v w="$3" '$1 == w' "$2/summary.tsv")
		[[ -n $line ]] || return 0
		IFS=$'\t' read -r _ ops _ _ ratio cpu _ rss _ matched _ _ <<<"$line"
		((matched >= 0)) || matched=- # the floor writes no records
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$ratio" "$matched" "$((ops * PER_OP[$1]))" \
			"$(drops "$2" "$3" kernel_drops)" "$(drops "$2" "$3" userspace_drops)" "$cpu" "$rss"
	}
	for wl in exec open write connect; do
		row "$wl" "$OUT/watched" "$wl"
	done
	row unwatched "$OUT/unwatched" open
	row floor "$OUT/floor" open
} >"$OUT/table.tsv"

echo
echo "== rand-guard bench ($(uname -r), $(nproc) cores; medians of $REPS runs)"
column -t -s $'\t' "$OUT/table.tsv"
sed -n '/^replay/p' "$OUT/replay.txt"
echo "(ratio = workload ops/s with the sensor / without; records = matching output lines,"
echo " expected = operations x records per operation; sensor_cpu_s = during workload+drain;"
echo " floor = the unwatched open with an empty program on sys_exit_openat instead of the"
echo " sensor: what the tracepoint itself costs, the best any tracepoint sensor can do)"
