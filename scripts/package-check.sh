#!/usr/bin/env bash
# What Vault's packages ship, checked before anyone publishes them:
#   1. the license copies that every package carries equal the root files;
#   2. `cargo package --list` of each crate that goes to crates.io is exactly
#      Cargo.toml, README.md, the licenses, the crate's src/ and what the crate
#      needs besides (vault-core: the walkthrough example; vault-sync: the
#      migration SQL it embeds with include_str!), and nothing else (no tests,
#      benches, vector files or corpora);
#   3. `cargo package` builds every one of those crates from its .crate file
#      (the crates depend on each other unpublished: cargo packages them
#      together through a local overlay registry, which needs cargo >= 1.90);
#   4. `npm pack --dry-run` of both npm packages lists exactly the expected
#      files (built JS / wasm / .node / .d.ts, README, licenses, package.json).
#      npm only packs what exists, so the check runs on a copy of the package
#      directory in which any missing build output is a placeholder file: it
#      checks the `files` selection whether or not the bindings were built.
#
#   bash scripts/package-check.sh               # everything (step 3 compiles: minutes)
#   bash scripts/package-check.sh --no-verify   # lists only: seconds
#   bash scripts/package-check.sh -v            # say what was checked
#
# Quiet and exit 0 on success; on failure prints what differs and exits 1.
# Idempotent: writes only target/package/ (cargo's .crate files, the unpacked
# crates and package-check.log) and a temporary directory.
# Works on a dirty tree (--allow-dirty): CI's clone is clean anyway.
set -euo pipefail
cd "$(dirname "$0")/.."

verify=1
verbose=0
for arg in "$@"; do
  case "$arg" in
    --no-verify) verify=0 ;;
    -v | --verbose) verbose=1 ;;
    *) echo "package-check.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

crates=(vault-core vault-sync vault-server vault-cli)
license_dirs=("${crates[@]}" bindings/wasm bindings/node)

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=0
fail() { echo "package-check: $*" >&2; failed=1; }
say() { [ "$verbose" = 0 ] || echo "package-check: $*"; }

# Compares two sorted lists; prints the difference under a title.
compare() { # title expected-file actual-file
  if ! diff -u --label expected --label actual "$2" "$3" >"$scratch/diff"; then
    fail "$1: the file list differs"
    sed 's/^/    /' "$scratch/diff" >&2
  fi
}

# -- 1. license copies -------------------------------------------------------
for dir in "${license_dirs[@]}"; do
  for f in LICENSE-APACHE LICENSE-MIT; do
    if [ -L "$dir/$f" ] || ! cmp -s "$f" "$dir/$f"; then
      fail "$dir/$f is missing, a symlink or differs from /$f (cp $f $dir/)"
    fi
  done
done
say "license copies: ${license_dirs[*]}"

# -- 2. cargo package --list -------------------------------------------------
# Files of the working tree (tracked or new, not ignored) under a crate's dirs.
tree_files() { # crate dir...
  local crate="$1"; shift
  (cd "$crate" && git ls-files -co --exclude-standard -- "$@" | while read -r f; do
    [ -e "$f" ] && echo "$f"; done)
}
for crate in "${crates[@]}"; do
  {
    printf '%s\n' Cargo.toml Cargo.toml.orig LICENSE-APACHE LICENSE-MIT README.md
    tree_files "$crate" src
    case "$crate" in
      vault-core) echo examples/walkthrough.rs ;;
      vault-sync) tree_files "$crate" 'migrations/*.sql'; echo build.rs; echo proto/vault/secrets/v1/secrets.proto ;;
    esac
  } | LC_ALL=C sort -u >"$scratch/$crate.expected"
  if ! cargo package --list --allow-dirty -p "$crate" >"$scratch/$crate.list" 2>"$scratch/$crate.err"; then
    fail "cargo package --list -p $crate failed"
    sed 's/^/    /' "$scratch/$crate.err" >&2
    continue
  fi
  # VCS info depends on the checkout, Cargo.lock on cargo's version: not ours to fix.
  grep -vxE '\.cargo_vcs_info\.json|Cargo\.lock' "$scratch/$crate.list" | LC_ALL=C sort >"$scratch/$crate.actual" || true
  compare "crate $crate" "$scratch/$crate.expected" "$scratch/$crate.actual"
  say "crate $crate: $(wc -l <"$scratch/$crate.actual") files"
done

# -- 3. cargo package (build each packaged crate) ----------------------------
if [ "$verify" = 1 ] && [ "$failed" = 0 ]; then
  pkgs=()
  for crate in "${crates[@]}"; do pkgs+=(-p "$crate"); done
  log="${CARGO_TARGET_DIR:-target}/package/package-check.log"
  mkdir -p "$(dirname "$log")"
  if ! cargo package --allow-dirty "${pkgs[@]}" >"$log" 2>&1; then
    fail "cargo package ${pkgs[*]} failed (whole log: $log)"
    grep -E '^ *(Packaged|Verifying|error)' "$log" | sed 's/^ */    /' >&2 || true
    echo "    ..." >&2
    tail -40 "$log" | sed 's/^/    /' >&2
  else
    say "cargo package: built ${crates[*]} from their .crate files (target/package/)"
  fi
fi

# -- 4. npm pack --dry-run ---------------------------------------------------
expected_wasm=(
  LICENSE-APACHE LICENSE-MIT README.md package.json
  dist/node/package.json
  dist/node/vault_wasm.d.ts dist/node/vault_wasm.js
  dist/node/vault_wasm_bg.wasm dist/node/vault_wasm_bg.wasm.d.ts
  dist/web/vault_wasm.d.ts dist/web/vault_wasm.js
  dist/web/vault_wasm_bg.wasm dist/web/vault_wasm_bg.wasm.d.ts
  dist/worker-client.d.ts dist/worker-client.js dist/worker.js
)
# napi build --platform: <napi.binaryName>.<platform>.node for each napi target.
expected_node=(
  LICENSE-APACHE LICENSE-MIT README.md package.json
  index.d.ts index.js vault-node.linux-x64-gnu.node
)
# Built by build.sh / napi build rather than committed: placeholders when absent.
built_wasm=("${expected_wasm[@]:4}")
built_node=(vault-node.linux-x64-gnu.node)

if ! command -v npm >/dev/null; then
  fail "npm is not installed (needed for npm pack --dry-run)"
else
  for pkg in wasm node; do
    dir="bindings/$pkg"
    stage="$scratch/npm-$pkg"
    mkdir -p "$stage"
    # The package directory as it is (build outputs and test builds included,
    # so the check also proves they are left out), without node_modules.
    tar -C "$dir" --exclude=./node_modules -cf - . | tar -C "$stage" -xf -
    declare -n built="built_$pkg" expected="expected_$pkg"
    placeholders=()
    for f in "${built[@]}"; do
      if [ ! -e "$stage/$f" ]; then
        mkdir -p "$(dirname "$stage/$f")"
        : >"$stage/$f"
        placeholders+=("$f")
      fi
    done
    printf '%s\n' "${expected[@]}" | LC_ALL=C sort >"$scratch/npm-$pkg.expected"
    if ! (cd "$stage" && npm pack --dry-run --json --ignore-scripts --loglevel=error) \
      >"$scratch/npm-$pkg.json" 2>"$scratch/npm-$pkg.err"; then
      fail "npm pack --dry-run in $dir failed"
      sed 's/^/    /' "$scratch/npm-$pkg.err" >&2
      continue
    fi
    node -e 'const p=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
      for (const f of p[0].files) console.log(f.path)' "$scratch/npm-$pkg.json" |
      LC_ALL=C sort >"$scratch/npm-$pkg.actual"
    compare "npm package $dir" "$scratch/npm-$pkg.expected" "$scratch/npm-$pkg.actual"
    say "npm $dir: $(wc -l <"$scratch/npm-$pkg.actual") files${placeholders[*]:+ (not built, placeholders: ${placeholders[*]})}"
    unset -n built expected
  done
fi

if [ "$failed" != 0 ]; then
  echo "package-check: FAILED" >&2
  exit 1
fi
