#!/usr/bin/env bash
# The worked example, end to end on the embedded default: starts
# `vault-server` on SQLite (in a temporary directory) and drives the `vault`
# CLI through two users and three devices: register, add items, share a
# vault after comparing fingerprints, sync it to the other user and to a
# second device, edit offline on two devices and reconcile, revoke. Then it
# shows the database holds no plaintext, and runs the Rust library example.
# Usage: bash scripts/demo.sh            (from anywhere; no stdin needed)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cargo build -q -p vault-server -p vault-cli
bin="$(pwd)/target/debug"

work="$(mktemp -d)"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

say "vault-server on SQLite (no arguments but a free port and a data directory)"
"$bin/vault-server" --listen 127.0.0.1:0 --data-dir "$work/server" >"$work/server.out" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/server.out" 2>/dev/null && break; sleep 0.1; done
cat "$work/server.out"
export VAULT_SERVER="$(grep -o 'http://[0-9.:]*' "$work/server.out")"

# Each "device" is a directory with its own encrypted replica. Passwords come
# from VAULT_PASSWORD here (scripts); people type them at the prompt.
alice() { VAULT_DIR="$work/alice-laptop" VAULT_PASSWORD="correct horse battery staple" "$bin/vault" -q "$@"; }
alice2() { VAULT_DIR="$work/alice-phone" VAULT_PASSWORD="correct horse battery staple" "$bin/vault" -q "$@"; }
bob() { VAULT_DIR="$work/bob-laptop" VAULT_PASSWORD="tr0ub4dor&3 is not it" "$bin/vault" -q "$@"; }

say "register two users (Argon2id 64 MiB, OPAQUE login); each gets a Personal vault"
alice register alice@example.com >/dev/null
bob register bob@example.com >/dev/null
alice status

say "alice adds secrets"
alice create-vault "Team"
alice add login --vault Team --title "Prod database" --username admin --password 's3cret-demo-pw' --uri https://db.example.com
alice add api-key --vault Team --title "Payments API" --env 'STRIPE_KEY=sk_live_demo123'
alice add note --title "Wifi" --notes "guest network: hunter2-demo"
alice ls

say "bob reads his fingerprint to alice out of band; alice shares Team with him"
fp="$(bob fingerprint)"
echo "bob's fingerprint: $fp"
alice share Team bob@example.com --role editor --fingerprint "$fp"
alice members Team

say "bob syncs and reads a password as a script would"
bob sync
bob ls
echo "password: $(bob get 'Prod database' --field password)"

say "alice's second device logs in and syncs everything"
alice2 login alice@example.com >/dev/null
alice2 sync
alice2 ls

say "offline edits of the same item on two devices, then reconcile (both kept)"
alice edit "Wifi" --notes "guest network: laptop-edit"
alice2 edit "Wifi" --notes "guest network: phone-edit"
alice sync
alice2 sync
alice sync
alice ls --vault Personal

say "alice revokes bob (the vault key is rotated); bob loses the vault"
alice unshare Team bob@example.com
bob sync
bob ls

say "the server's database holds no plaintext"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
for s in 's3cret-demo-pw' 'sk_live_demo123' 'hunter2-demo' 'laptop-edit' 'Prod database' 'correct horse'; do
  if grep -rqaF "$s" "$work/server" "$work/alice-laptop" "$work/alice-phone" "$work/bob-laptop"; then
    echo "FOUND plaintext: $s"; exit 1
  fi
done
echo "searched the server database and every device replica for 6 plaintexts: none found"
"$bin/vault-server" --data-dir "$work/server" --verify-audit

say "the same flows as a Rust program (vault-core directly)"
cargo run -q -p vault-core --example walkthrough
