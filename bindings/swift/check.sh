#!/usr/bin/env bash
# What can be checked of the Swift binding on a machine without a Swift
# compiler (Linux CI). It does NOT run the Swift tests; see README.md.
#
#   1. the generated C header compiles with clang (as C11 and Objective-C);
#   2. the generated modulemap imports with `clang -fmodules`;
#   3. every function the header declares is exported by the library
#      (`nm -D --defined-only`), and every FFI symbol the generated Swift
#      calls is declared in the header;
#   4. the API checksums and the contract version hard-coded in the generated
#      Swift equal what the library returns (a C program built against the
#      header and linked with the library calls every checksum function).
#
# Usage: bindings/swift/check.sh [GENERATED_DIR]   (default bindings/ffi/generated,
# as written by bindings/ffi/generate.sh). Needs clang, nm and python3.
# Closes with `swift-check: N passed, M failed`; exits non-zero on failure.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
gen="${1:-$here/../ffi/generated}"
gen="$(cd "$gen" && pwd)"
header="$gen/swift/VaultCoreFFI.h"
modulemap="$gen/swift/VaultCoreFFI.modulemap"
swift="$gen/swift/VaultFFI.swift"
lib="$gen/lib/libvault_ffi.so"
[ -f "$lib" ] || lib="$gen/lib/libvault_ffi.dylib"
for f in "$header" "$modulemap" "$swift" "$lib"; do
  [ -f "$f" ] || { echo "swift-check: missing $f (run bindings/ffi/generate.sh)"; echo "swift-check: 0 passed, 1 failed"; exit 1; }
done
for tool in clang nm python3; do
  command -v "$tool" >/dev/null || { echo "swift-check: $tool not found"; echo "swift-check: 0 passed, 1 failed"; exit 1; }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
run() {
  local name="$1"; shift
  if "$@" >"$work/out" 2>&1; then
    passed=$((passed + 1)); echo "ok   $name"
    [ -z "${SHOW:-}" ] || sed 's/^/     /' "$work/out"
  else
    failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/     /' "$work/out" | head -40
  fi
}

# 1. The header, included by a translation unit (gcc rejects clang's
#    _Nonnull/_Nullable; Swift's importer is clang anyway).
mkdir -p "$work/Headers" "$work/mcache"
cp "$header" "$work/Headers/VaultCoreFFI.h"
printf '#include "VaultCoreFFI.h"\nint main(void) { return 0; }\n' > "$work/tu.c"
run "header compiles as C11 (clang -Wall -Wextra -Werror)" \
  clang -fsyntax-only -std=c11 -Wall -Wextra -Werror -I "$work/Headers" "$work/tu.c"
run "header compiles as Objective-C (clang -Wall -Werror)" \
  clang -fsyntax-only -Wall -Werror -x objective-c -I "$work/Headers" "$work/tu.c"

# 2. The module map, laid out as in the XCFramework's Headers/ directory, and
#    imported the way Swift's clang importer does (a module import).
cp "$modulemap" "$work/Headers/module.modulemap"
cat > "$work/import.m" <<'OBJC'
@import VaultCoreFFI;
int main(void) { return ffi_vault_ffi_uniffi_contract_version() == 0; }
OBJC
run "modulemap imports with clang -fmodules (@import VaultCoreFFI)" \
  clang -fmodules -fmodules-cache-path="$work/mcache" -fsyntax-only -Wall -Werror \
  -I "$work/Headers" "$work/import.m"

# 3 and 4: symbols and checksums.
nm -D --defined-only "$lib" | awk '{print $NF}' | sort -u > "$work/exported"
python3 - "$header" "$swift" "$work" <<'PY' || true
import re, sys
header, swift, work = sys.argv[1:4]
h = open(header, encoding="utf-8").read()
s = open(swift, encoding="utf-8").read()
decl = sorted(set(re.findall(r"^[A-Za-z_][\w \*]*?\b((?:uniffi|ffi)_vault_ffi_\w+)\(", h, re.M)))
used = sorted(set(re.findall(r"\b((?:uniffi|ffi)_vault_ffi_\w+)\(", s)))
open(f"{work}/declared", "w").write("\n".join(decl) + "\n")
open(f"{work}/used", "w").write("\n".join(used) + "\n")
sums = re.findall(r"if \((uniffi_vault_ffi_checksum_\w+)\(\) != (\d+)\)", s)
contract = re.search(r"let bindings_contract_version = (\d+)", s)
with open(f"{work}/checksums.c", "w") as c:
    c.write('#include <stdio.h>\n#include "VaultCoreFFI.h"\nint main(void) {\n  int bad = 0;\n')
    c.write(f'  if (ffi_vault_ffi_uniffi_contract_version() != {contract.group(1) if contract else 0}u) {{ printf("contract version: library %u, Swift {contract.group(1) if contract else "?"}\\n", ffi_vault_ffi_uniffi_contract_version()); bad++; }}\n')
    for fn, want in sums:
        c.write(f'  if ({fn}() != {want}) {{ printf("{fn}: library %u, Swift {want}\\n", (unsigned){fn}()); bad++; }}\n')
    c.write(f'  printf("%d checksums and the contract version compared, %d mismatches\\n", {len(sums)}, bad);\n')
    c.write(f'  return bad != 0 || {len(sums)} == 0;\n}}\n')
PY
declared=$(wc -l < "$work/declared")
missing_in_lib() { comm -23 "$work/declared" "$work/exported" | tee /dev/stderr | { ! grep -q .; }; }
undeclared_in_header() { comm -23 "$work/used" "$work/declared" | tee /dev/stderr | { ! grep -q .; }; }
run "all $declared functions the header declares are exported by $(basename "$lib")" missing_in_lib
run "every FFI function the generated Swift calls is declared in the header" undeclared_in_header

checksums() {
  clang -std=c11 -Wall -Werror -Wno-nullability-completeness -I "$work/Headers" "$work/checksums.c" \
    -L "$(dirname "$lib")" -lvault_ffi -Wl,-rpath,"$(dirname "$lib")" -o "$work/checksums" &&
    "$work/checksums"
}
SHOW=1 run "Swift's API checksums and contract version match the library's" checksums

echo "swift-check: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
