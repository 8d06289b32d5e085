#!/usr/bin/env bash
# The worked example, end to end on the embedded default: starts
# `vault-server` on SQLite (in a temporary directory) and drives the `vault`
# CLI through two users and three devices: register, add items, share a
# vault after comparing fingerprints, sync it to the other user and to a
# second device, edit offline on two devices and reconcile, revoke. Then the
# machine side: an admin's project and secret, a service that registers
# itself and is approved after a fingerprint check, `vault run` handing the
# secret to a child process (and the Rust service example). Then it shows
# the database and the server's log hold no plaintext, and runs the Rust
# library example.
# Usage: bash scripts/demo.sh            (from anywhere; no stdin needed)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cargo build -q -p vault-server -p vault-cli -p vault-example-rust-service
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

say "machines: alice creates a project and sets DATABASE_URL (the value from stdin, never argv)"
alice project create billing >"$work/project.out"
cat "$work/project.out"
project_ref="$(sed -n 2p "$work/project.out")"
db_url='postgres://billing:m4chine-demo-pw@db.internal/billing'
printf '%s' "$db_url" | alice secret set billing DATABASE_URL --description "primary database"
alice secret ls billing

say "a service registers itself: its token is generated on its host, saved 0600, pending approval"
mkdir -m 700 "$work/service"
# The service's side needs no account: only VAULT_SERVER and its token.
svc() { VAULT_SERVICE_TOKEN_FILE="$work/service/token" "$bin/vault" "$@"; }
"$bin/vault" service register --project "$project_ref" --name billing-api --version 1.0.0 \
  --token-file "$work/service/token" 2>"$work/register.err"
cat "$work/register.err"
fp="$(sed -n 's/^Fingerprint: //p' "$work/register.err")"
ls -l "$work/service/token" | cut -d' ' -f1
svc run --project billing -- true 2>&1 | head -1 || true

say "alice compares the digits the service printed, then approves it for DATABASE_URL"
alice service ls --project billing
alice service approve --project billing billing-api --fingerprint "$fp" --secrets DATABASE_URL
echo "approved billing-api (fingerprint $fp)"

say "vault run: the child process receives the secret in its environment (nothing written to disk)"
svc run --project billing -- sh -c 'echo child sees: $DATABASE_URL'
printf 'DB=vault://billing/DATABASE_URL\nMODE=production\n' >"$work/service/.env.tpl"
cat "$work/service/.env.tpl"
svc run --env-file "$work/service/.env.tpl" -- sh -c 'echo "child sees DB (${#DB} bytes), MODE=$MODE, token variable: ${VAULT_SERVICE_TOKEN_FILE:-not passed on}"'
svc run --project billing -- sh -c 'exit 3' || echo "the child's exit code passes through: $?"
svc run --env-file <(echo 'DSN=vault://billing/SENTRY_DSN') -- true || true
alice stubs ls --project billing

say "the Rust service example (examples/rust-service): under vault run, then with its own token"
svc run --project billing -- "$bin/rust-service"
VAULT_SERVICE_TOKEN_FILE="$work/service/token" "$bin/rust-service"

say "the server's database holds no plaintext"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
plaintexts=('s3cret-demo-pw' 'sk_live_demo123' 'hunter2-demo' 'laptop-edit' 'Prod database' 'correct horse'
  "$db_url" 'm4chine-demo-pw' 'DATABASE_URL' 'SENTRY_DSN' 'primary database' "$(cat "$work/service/token")")
for s in "${plaintexts[@]}"; do
  if grep -rqaF "$s" "$work/server" "$work/server.log" "$work/alice-laptop" "$work/alice-phone" "$work/bob-laptop"; then
    echo "FOUND plaintext: $s"; exit 1
  fi
done
echo "searched the server database, its log and every device replica for ${#plaintexts[@]} plaintexts"
echo "(the users' secrets, the machine secret's value and name, the service token): none found"
"$bin/vault-server" --data-dir "$work/server" --verify-audit

say "the same flows as a Rust program (vault-core directly)"
cargo run -q -p vault-core --example walkthrough
