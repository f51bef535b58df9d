#!/usr/bin/env bash
# clients:check — the other-language clients (SPEC §12.5; docs/clients.md), in three steps:
#   1. toolchain: installs the Debian packages the Python client needs when they are missing
#      (protobuf-compiler, protobuf-compiler-grpc, python3-grpcio, python3-protobuf);
#   2. drift: regenerates clients/python/hexxladb_client/gen/ into a temp dir with
#      buf.gen.clients.yaml and fails when it differs from the committed copy;
#   3. live: starts `hexxladb serve` on a temp database and a free port, runs
#      clients/python/example.py against it with Debian's /usr/bin/python3 (the python3 on PATH
#      may be a build without Debian's grpc), then stops the server with SIGTERM and requires a
#      clean exit.
# Any failure prints what failed (and the server log when the server was involved) and exits 1.
# Run from anywhere: `bash scripts/clients-check.sh`. Needs root or sudo only to install.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly python=/usr/bin/python3
readonly gen_dir=clients/python/hexxladb_client/gen
readonly template=buf.gen.clients.yaml
readonly start_timeout_s=30
readonly example_timeout_s=60
readonly stop_timeout_s=20

work="$(mktemp -d "${TMPDIR:-/tmp}/hexxladb-clients-check.XXXXXX")"
server_pid=""

cleanup() {
  # Only the server this script started, by its pid.
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

log() { printf 'clients:check: %s\n' "$*"; }

fail() {
  printf '\nclients:check: FAILED: %s\n' "$*" >&2
  exit 1
}

server_log_and_fail() {
  printf '\n--- server log (%s) ---\n' "$work/server.log" >&2
  tail -n 40 "$work/server.log" >&2 || true
  printf -- '--- end of server log ---\n' >&2
  fail "$@"
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# 1. Toolchain --------------------------------------------------------------------------------
ensure_packages() {
  local pkg missing=()
  for pkg in protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf; do
    installed "$pkg" || missing+=("$pkg")
  done
  if ((${#missing[@]} > 0)); then
    local sudo=()
    if ((EUID != 0)); then
      command -v sudo >/dev/null || fail "missing Debian packages ${missing[*]}; install them" \
        "as root: apt-get install -y --no-install-recommends ${missing[*]}"
      sudo=(sudo)
    fi
    log "installing Debian packages: ${missing[*]}"
    # Quiet unless it fails: then the whole apt output is shown.
    if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive bash -c \
      'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"' \
      apt "${missing[@]}" >"$work/apt.log" 2>&1; then
      cat "$work/apt.log" >&2
      fail "apt-get could not install ${missing[*]} (output above)"
    fi
  fi
  command -v protoc >/dev/null || fail "protoc not on PATH after installing protobuf-compiler"
  command -v grpc_python_plugin >/dev/null || fail "grpc_python_plugin not on PATH"
  "$python" -c 'import grpc, google.protobuf' 2>"$work/py.log" || {
    cat "$work/py.log" >&2
    fail "$python cannot import grpc and google.protobuf (python3-grpcio, python3-protobuf)"
  }
  log "toolchain: $(protoc --version), grpc_python_plugin from" \
    "$(dpkg-query -W -f='${Version}' protobuf-compiler-grpc)," \
    "$("$python" -c 'import grpc; print("grpcio", grpc.__version__)')"
}

# 2. Drift ------------------------------------------------------------------------------------
check_drift() {
  local out="$work/generated"
  # -o: every `out:` of the template lands under $out; the working tree is never touched.
  node_modules/.bin/buf generate --template "$template" -o "$out" \
    || fail "buf generate --template $template failed (is npm ci done?)"
  # __pycache__: byte code a local run of the example may leave; never generated nor committed.
  if ! diff -r -x __pycache__ "$out/$gen_dir" "$gen_dir" >"$work/drift.diff" 2>&1; then
    sed -e "s|$out/|<freshly generated>/|g" "$work/drift.diff" | head -n 60 >&2
    fail "$gen_dir is out of date with proto/ and $template (diff above; '<' = freshly" \
      "generated). Regenerate with \`npx --no -- buf generate --template $template\` and" \
      "commit the result; the output depends on protoc and grpc_python_plugin from Debian 12" \
      "(protoc 3.21, grpc 1.51), so generate on the project's machine kind."
  fi
  log "drift: $gen_dir up to date"
}

# 3. Live server ------------------------------------------------------------------------------
start_server() {
  # A clean environment for the server: no HEXXLADB_* setting of the caller (tokens, TLS,
  # config file, database) may leak in; only what the check chooses.
  local unset_args=() name
  for name in $(compgen -e); do
    [[ "$name" == HEXXLADB_* ]] && unset_args+=(-u "$name")
  done
  # 127.0.0.1:0 lets the OS pick a free port; the start log line reports it ("port":N).
  env "${unset_args[@]}" HEXXLADB_DATABASE="$work/db/hexxladb.db" \
    HEXXLADB_BACKUP_DIR="$work/backups" HEXXLADB_LISTEN=127.0.0.1:0 HEXXLADB_LOG_LEVEL=info \
    node --import tsx src/cli/main.ts serve </dev/null >"$work/server.log" 2>&1 &
  server_pid=$!
  local waited=0
  until grep -q '"msg":"hexxladb server started"' "$work/server.log"; do
    kill -0 "$server_pid" 2>/dev/null || server_log_and_fail "hexxladb serve exited at start"
    ((waited < start_timeout_s * 10)) \
      || server_log_and_fail "hexxladb serve did not start within ${start_timeout_s}s"
    sleep 0.1
    waited=$((waited + 1))
  done
  port="$(grep '"msg":"hexxladb server started"' "$work/server.log" \
    | sed -n 's/.*"port":\([0-9][0-9]*\).*/\1/p' | head -n 1)"
  [[ -n "$port" ]] || server_log_and_fail "no port in the server's start log line"
  log "server: pid $server_pid on 127.0.0.1:$port"
}

run_example() {
  log "running clients/python/example.py with $python"
  # -B / PYTHONDONTWRITEBYTECODE: leave no __pycache__ in the committed tree.
  if ! HEXXLA_ADDRESS="127.0.0.1:$port" HEXXLA_TOKEN='' PYTHONDONTWRITEBYTECODE=1 \
    timeout "$example_timeout_s" "$python" -B clients/python/example.py; then
    server_log_and_fail "clients/python/example.py failed against a live server (see above)"
  fi
}

stop_server() {
  kill -TERM "$server_pid"
  local waited=0
  while kill -0 "$server_pid" 2>/dev/null; do
    ((waited < stop_timeout_s * 10)) \
      || server_log_and_fail "hexxladb serve did not stop within ${stop_timeout_s}s of SIGTERM"
    sleep 0.1
    waited=$((waited + 1))
  done
  local status=0
  wait "$server_pid" || status=$?
  server_pid=""
  ((status == 0)) || server_log_and_fail "hexxladb serve exited with status $status on SIGTERM"
  log "server: stopped cleanly on SIGTERM"
}

ensure_packages
check_drift
port=""
start_server
run_example
stop_server
log "passed (Python client generated, up to date, example ran against a live server)"
