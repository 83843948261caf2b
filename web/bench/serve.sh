#!/usr/bin/env bash
# The browser benchmark's server: a release `pivot` on a fresh SQLite file holding the
# generated flows (bench/data.mjs) and one administrator.
set -euo pipefail
cd "$(dirname "$0")/.."
pivot="${PIVOT_BIN:-${CARGO_TARGET_DIR:-../target}/release/pivot}"
[ -x "$pivot" ] || { echo "no pivot binary at $pivot: cargo build --release, or set PIVOT_BIN" >&2; exit 1; }
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
db="sqlite://$dir/pivot.db"
node bench/data.mjs "$dir/busy.json" "$dir/mesh.json"
"$pivot" migrate --database "$db" >/dev/null
echo "admin-password-e2e" | "$pivot" user add admin --role admin --password-stdin --database "$db" >/dev/null
"$pivot" import zeek "$dir/busy.json" "$dir/mesh.json" --source bench --database "$db" >&2
PIVOT_LOG=warn exec "$pivot" serve --database "$db" --listen "127.0.0.1:${PIVOT_BENCH_PORT:-18282}"
