#!/usr/bin/env bash
# Group commits of Ferry's push gateway under the benchmark's load.
#
# Runs `ferry ppg bench` on Ferry alone (32 connections, 60-octet pushes),
# and while it runs scrapes the gateway's /metrics twice, INTERVAL seconds
# apart, and /proc/interrupts, to print pushes accepted per second, commits
# per second, pushes and operations per commit, disk (virtio) interrupts per
# commit, the gateway's CPU per push (utime + stime of the `ppg serve`
# process), the machine's idle share, and for each busy thread of the gateway
# and of the load generator (with its SMPP sink, one thread), its time on a
# CPU and its time runnable but waiting for one
# (/proc/<pid>/task/<tid>/schedstat). Usage:
#
#   scripts/bench/ppg_commits.sh [FERRY_BINARY]      (default target/release/ferry)
#   CONNECTIONS=64 RUN_SECONDS=10 INTERVAL=3 DIR=target/ppg-commits scripts/bench/ppg_commits.sh
#
# Experiments (docs/PERFORMANCE.md, 2026-12-04): WRITER_POLICY=fifo puts the
# gateway's SQLite writer thread under SCHED_FIFO priority 1 (needs root);
# WRITER_POLICY=slice sets it a 100 us EEVDF slice (sched_setattr, SCHED_OTHER).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ferry=${1:-$root/target/release/ferry}
dir=${DIR:-$root/target/ppg-commits}
connections=${CONNECTIONS:-32}
seconds=${RUN_SECONDS:-8}
interval=${INTERVAL:-3}
mkdir -p "$dir"
rm -f "$dir/bench-ppg.toml"
"$ferry" ppg bench --connections "$connections" --seconds "$seconds" --rounds 1 --body 60 --dir "$dir" > "$dir/bench.out" 2>&1 &
bench=$!
trap 'kill $bench 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$dir/bench-ppg.toml" ] && break; sleep 0.1; done
port=$(sed -n 's/^listen = "127.0.0.1:\([0-9]*\)"/\1/p' "$dir/bench-ppg.toml")
sleep 4.5 # the gateway starts, the links bind (3 s), the load begins
gw=$(pgrep -f "ppg serve --config $dir/bench-ppg.toml" | head -1)
hz=$(getconf CLK_TCK)
writer=$(grep -l '^ferry-ppg-write' /proc/"$gw"/task/*/comm | head -1 | cut -d/ -f5)
case "${WRITER_POLICY:-}" in
  "") ;;
  fifo) chrt -f -p 1 "$writer" ;;
  slice) python3 -c '
import ctypes, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
attr = ctypes.create_string_buffer(struct.pack("IIQiIQQQ", 48, 0, 0, 0, 0, 100000, 0, 0))
sys.exit(libc.syscall(314, int(sys.argv[1]), attr, 0))' "$writer" ;;  # 314: sched_setattr on x86_64
  *) echo "WRITER_POLICY: fifo or slice" >&2; exit 2 ;;
esac
scrape() {
  awk '{printf "%s ", $14 + $15}' "/proc/$gw/stat"
  awk '/^cpu / {printf "%s %s ", $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat
  curl -s "http://127.0.0.1:$port/metrics" | awk '
    /^ppg_commit_batch_ops_count/ {c=$2} /^ppg_commit_batch_ops_sum/ {s=$2}
    /^ppg_pushes_accepted_total/ {a=$2}
    END {printf "%s %s %s", c+0, s+0, a+0}'
  awk '/virtio.*req/ {for (i=2;i<=NF;i++) if ($i ~ /^[0-9]+$/) n+=$i} END {printf " %s\n", n+0}' /proc/interrupts
}
threads() {
  for t in /proc/"$gw"/task/*; do echo "$(tr ' ' _ < "$t/comm") $(cat "$t/schedstat")"; done
  for t in /proc/"$bench"/task/*; do echo "load-generator $(cat "$t/schedstat")"; done
}
read -r g0 idle0 tot0 c0 s0 a0 i0 < <(scrape)
threads > "$dir/schedstat.0"
sleep "$interval"
read -r g1 idle1 tot1 c1 s1 a1 i1 < <(scrape)
threads > "$dir/schedstat.1"
wait $bench || true
trap - EXIT
awk -v c0="$c0" -v c1="$c1" -v s0="$s0" -v s1="$s1" -v a0="$a0" -v a1="$a1" -v i0="$i0" -v i1="$i1" -v t="$interval" \
  -v g0="$g0" -v g1="$g1" -v idle0="$idle0" -v idle1="$idle1" -v tot0="$tot0" -v tot1="$tot1" -v hz="$hz" 'BEGIN {
  c = c1 - c0; a = a1 - a0
  if (c <= 0) { print "no commits seen: is the gateway exporting ppg_commit_batch_ops?"; exit 1 }
  printf "pushes accepted/s %.0f, commits/s %.0f, pushes per commit %.1f, operations per commit %.1f, disk interrupts per commit %.2f\n",
    a / t, c / t, a / c, (s1 - s0) / c, (i1 - i0) / c
  printf "gateway CPU per push %.1f us, machine idle %.0f %%\n", (g1 - g0) / hz / a * 1e6, (idle1 - idle0) / (tot1 - tot0) * 100 }'
paste -d' ' "$dir/schedstat.0" "$dir/schedstat.1" | awk -v t="$interval" '{
  on = ($6 - $2) / t / 1e7; wait = ($7 - $3) / t / 1e7; n = $8 - $4
  if (on > 1) printf "  thread %-16s on a CPU %5.1f %%, runnable and waiting %5.1f %%, %6.0f waits/s of %4.0f us\n", $1, on, wait, n / t, ($7 - $3) / 1000 / (n + 1) }'
grep -E '^\| Ferry' "$dir/bench.out" | head -1 || cat "$dir/bench.out"
