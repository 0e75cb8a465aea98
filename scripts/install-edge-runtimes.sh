#!/usr/bin/env bash
# Installs the runtimes of the edge/browser tests: workerd, Deno and
# playwright-core from npm (devDependencies, pinned by package-lock.json) and
# Chromium from Debian. Idempotent, and fast when everything is there (it only
# probes). Records per runtime `ok` or `blocked: why` in
# node_modules/.cache/ebpf-wasm-edge/status.json: the tests SKIP only for a
# runtime whose install was blocked (no registry); any other absence fails.
# Called from .ci/run after `npm ci`; safe to run before it too. Exits 1 only
# when a runtime is missing although its registry answered.
set -uo pipefail
cd "$(dirname "$0")/.."
status_dir=node_modules/.cache/ebpf-wasm-edge
declare -A status

have_npm_pkgs() {
  [ -x node_modules/.bin/deno ] && node_modules/.bin/deno --version >/dev/null 2>&1 &&
  [ -x node_modules/.bin/workerd ] && node_modules/.bin/workerd --version >/dev/null 2>&1 &&
  [ -f node_modules/playwright-core/package.json ] &&
  [ -f node_modules/esbuild/package.json ]
}

if ! have_npm_pkgs; then
  # the lockfile pins every version; `npm install` only fills in what is missing
  if ! npm install --no-audit --no-fund --no-save >/tmp/ebpf-wasm-edge-npm.log 2>&1; then
    echo "install-edge-runtimes: npm install failed (see /tmp/ebpf-wasm-edge-npm.log)" >&2
  fi
fi
for pair in deno:deno workerd:workerd; do
  name=${pair%%:*}; bin=node_modules/.bin/${pair#*:}
  if "$bin" --version >/dev/null 2>&1; then status[$name]=ok
  elif npm ping --fetch-timeout=15000 --fetch-retries=0 >/dev/null 2>&1; then status[$name]="missing although the npm registry answers"
  else status[$name]="blocked: npm registry unreachable"; fi
done
if [ ! -f node_modules/playwright-core/package.json ]; then
  if npm ping --fetch-timeout=15000 --fetch-retries=0 >/dev/null 2>&1; then status[playwright]="missing although the npm registry answers"
  else status[playwright]="blocked: npm registry unreachable"; fi
else status[playwright]=ok; fi

if ! command -v chromium >/dev/null 2>&1; then
  if apt-get update -qq >/tmp/ebpf-wasm-edge-apt.log 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >>/tmp/ebpf-wasm-edge-apt.log 2>&1 ||
      echo "install-edge-runtimes: apt-get install chromium failed (see /tmp/ebpf-wasm-edge-apt.log)" >&2
    apt_ok=1
  else apt_ok=0; fi
  if command -v chromium >/dev/null 2>&1; then status[chromium]=ok
  elif [ "$apt_ok" = 0 ]; then status[chromium]="blocked: Debian archive unreachable (apt-get update failed)"
  else status[chromium]="missing although apt-get update worked"; fi
else status[chromium]=ok; fi
# playwright-core is Chromium's driver: without it the browser tests cannot run either
[ "${status[playwright]}" = ok ] || status[chromium]=${status[playwright]}

mkdir -p "$status_dir"
{
  printf '{'
  sep=''
  for k in deno workerd playwright chromium; do printf '%s"%s": "%s"' "$sep" "$k" "${status[$k]}"; sep=', '; done
  printf '}\n'
} >"$status_dir/status.json"
echo "edge runtimes: $(cat "$status_dir/status.json")"
# a runtime missing while its registry answers is a broken install: stop here, loudly;
# a blocked registry is not (the tests then SKIP that runtime and say so)
if grep -q 'missing' "$status_dir/status.json"; then exit 1; fi
