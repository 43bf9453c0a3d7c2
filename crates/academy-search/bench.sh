#!/usr/bin/env bash
# Search benchmark, in one run:
#  1. this index vs SQLite FTS5 on a generated corpus (LESSONS lessons, ~2 KB each, six
#     languages) and a fixed query set: queries/s, p50/p99 per query, index build time;
#  2. the API under load: the release server on SQLite serving the same corpus, driven on
#     127.0.0.1 by wrk cycling through the query set (and one suggest URL), ROUNDS times at each
#     number of connections in CONNECTIONS; the medians of req/s, p50 and p99 are printed.
#   crates/academy-search/bench.sh    # LESSONS=10200 SECONDS_EACH=10 ROUNDS=3 CONNECTIONS="32 4"
set -euo pipefail
cd "$(dirname "$0")/../.."

LESSONS="${LESSONS:-10200}"
SECONDS_EACH="${SECONDS_EACH:-10}"
ROUNDS="${ROUNDS:-3}"
CONNECTIONS="${CONNECTIONS:-32 4}"
PORT="${PORT:-18090}"

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  (apt-get update -qq && apt-get install -y -qq wrk) >/dev/null
fi

cargo build --release --locked --quiet --bin academy
cargo build --release --locked --quiet -p academy-search --example search-bench
BIN="${CARGO_TARGET_DIR:-target}/release"

echo "== this index vs SQLite FTS5, $LESSONS lessons =="
"$BIN/examples/search-bench" --lessons "$LESSONS" --seconds "$SECONDS_EACH"

DATA="$(mktemp -d)"
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$DATA"' EXIT
"$BIN/examples/search-bench" --lessons "$LESSONS" --write-content "$DATA/corpus" >/dev/null
export ACADEMY_DATA_DIR="$DATA" ACADEMY_LOG=warn ACADEMY_CONTENT_POLL_SECONDS=0
"$BIN/academy" import "$DATA/corpus/courses" >/dev/null
started=$(date +%s.%N)
ACADEMY_BIND="127.0.0.1:$PORT" "$BIN/academy" serve &
SERVER=$!
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null || { echo "server did not become ready" >&2; exit 1; }
echo
echo "== API: first start (catalog load + index build) $(python3 -c "import time; print(round(time.time() - $started, 1))") s =="
curl -fs "http://127.0.0.1:$PORT/api/search?q=urgent%20appeal&lang=en" >/dev/null

RESULTS="$(mktemp)"
for round in $(seq 1 "$ROUNDS"); do
  for connections in $CONNECTIONS; do
  for entry in "search|$DATA/corpus/queries.lua" "suggest|"; do
    IFS='|' read -r name script <<<"$entry"
    name="$name, $connections connections"
    args=(-t2 "-c$connections" "-d${SECONDS_EACH}s" --latency)
    if [ -n "$script" ]; then
      out="$(wrk "${args[@]}" -s "$script" "http://127.0.0.1:$PORT")"
    else
      out="$(wrk "${args[@]}" "http://127.0.0.1:$PORT/api/search/suggest?q=univ")"
    fi
    rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$out")"
    p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
    p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
    errors="$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out")"
    [ -n "$errors" ] && echo "warning: $name: $errors" >&2
    echo "$name|$rps|$p50|$p99" >>"$RESULTS"
  done
  done
done

python3 - "$RESULTS" "$ROUNDS" "$SECONDS_EACH" <<'PY'
import statistics, sys
path, rounds, secs = sys.argv[1:]
def ms(v):
    for unit, f in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float(v)
rows = {}
for line in open(path):
    name, rps, p50, p99 = line.strip().split("|")
    rows.setdefault(name, []).append((float(rps), ms(p50), ms(p99)))
print(f"wrk -t2, {rounds} rounds x {secs}s each, medians over rounds")
print(f"| endpoint | req/s | p50 ms | p99 ms |")
print(f"|---|---:|---:|---:|")
for name, runs in rows.items():
    med = lambda i: statistics.median(r[i] for r in runs)
    print(f"| {name} | {med(0):.0f} | {med(1):.2f} | {med(2):.2f} |")
PY
rm -f "$RESULTS"
