#!/usr/bin/env bash
# The server the browser tests drive: the real `pivot` binary on a fresh SQLite file,
# with real files imported first and one user of each role. Started by Playwright
# (`webServer` in playwright.config.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
pivot="${PIVOT_BIN:-${CARGO_TARGET_DIR:-../target}/debug/pivot}"
[ -x "$pivot" ] || { echo "no pivot binary at $pivot: build it (cargo build --bins) or set PIVOT_BIN" >&2; exit 1; }
fixtures="${PIVOT_FIXTURES:-../../shared/fixtures}"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
db="sqlite://$dir/pivot.db"
"$pivot" migrate --database "$db" >/dev/null
for who in admin:admin analyst:analyst viewer:viewer; do
  echo "${who%%:*}-password-e2e" | "$pivot" user add "${who%%:*}" --role "${who##*:}" --password-stdin --database "$db" >/dev/null
done
"$pivot" import nmap "$fixtures/nmap-localhost.xml" "$fixtures/ivre-test-samples/test-T22.xml" --database "$db" >/dev/null
"$pivot" import zeek ../tests/data/zeek/conn.json ../tests/data/zeek/dns.log --source e2e-sensor --database "$db" >/dev/null
"$pivot" import suricata ../tests/data/suricata/eve.json --source e2e-sensor --database "$db" >/dev/null
PIVOT_LOG=warn exec "$pivot" serve --database "$db" --listen "127.0.0.1:${PIVOT_E2E_PORT:-18181}"
