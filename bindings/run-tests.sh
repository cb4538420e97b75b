#!/usr/bin/env bash
# run-tests.sh — run every binding's tests against a meson build of libquant.
#
#   bindings/run-tests.sh [BUILDDIR]      (default: build; relative to the
#                                          current directory or the repo root)
#
# Runners: the C reference of the cross-language check, Python (pytest under
# Debian's /usr/bin/python3, plus an offline pip install), Rust (cargo test
# --offline), Go (go vet, go test), the byte-for-byte comparison of every
# language's cross-check output with C's (crosscheck/README.md), and the
# failure modes (library missing at build and at run time). Each runner prints
# its counts; the last line is "bindings: N passed, N failed, N skipped"
# (pytest skips, go test skips, cargo's ignored tests and the cases that
# report "SKIP ...: not in this build"), and the exit status is non-zero if
# anything failed.
#
# Everything is offline. Missing toolchains come only from Debian packages
# (golang-go, python3-numpy, python3-pytest, pkg-config); cargo is expected
# in ~/.cargo/bin. Build products go to BUILDDIR/bindings-* and a temporary
# folder, never into the source tree.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
arg=${1:-build}
if [ -d "$arg" ]; then
    build=$(cd "$arg" && pwd)
elif [ -d "$root/$arg" ]; then
    build=$(cd "$root/$arg" && pwd)
else
    echo "run-tests.sh: no build directory '$arg' (run meson setup first)" >&2
    exit 2
fi
if [ ! -e "$build/libquant.so.0" ] || [ ! -e "$build/meson-uninstalled/libquant-uninstalled.pc" ]; then
    echo "run-tests.sh: $build has no libquant.so.0 and meson-uninstalled/ (run ninja -C $build)" >&2
    exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lq-bindings.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cross=$tmp/cross

# What `meson devenv` would set, plus offline switches for each toolchain.
export PKG_CONFIG_PATH="$build/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="$build/bindings-rust-target"
export GOFLAGS=-mod=mod GOPROXY=off
export PYTHONDONTWRITEBYTECODE=1
unset LIBQUANT_LIBRARY LIBQUANT_LIB_DIR LIBQUANT_EXPECT_VERSION

total_pass=0
total_fail=0
total_skip=0

# report NAME PASSED FAILED [SKIPPED] [LOG]: print a runner's counts (and the
# end of its log when something failed) and add them to the totals.
report() {
    local name=$1 pass=$2 fail=$3 skip=${4:-0} log=${5:-}
    printf '%-18s %d passed, %d failed, %d skipped\n' "$name:" "$pass" "$fail" "$skip"
    if [ "$fail" -gt 0 ] && [ -n "$log" ] && [ -s "$log" ]; then
        tail -n 40 "$log" | sed 's/^/    | /'
    fi
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    total_skip=$((total_skip + skip))
}

# apt_install PKG...: install Debian packages (the only source of toolchains).
apt_install() {
    command -v apt-get >/dev/null || return 1
    local sudo=
    [ "$(id -u)" -ne 0 ] && sudo=sudo
    echo "run-tests.sh: installing $* from Debian" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1 ||
        { $sudo apt-get update -q >/dev/null 2>&1 &&
          $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null 2>&1; }
}

command -v pkg-config >/dev/null || apt_install pkg-config
/usr/bin/python3 -c 'import numpy, pytest' 2>/dev/null || apt_install python3-numpy python3-pytest
command -v go >/dev/null || apt_install golang-go

# --- C: the reference outputs of the cross-language check -------------------
run_c() {
    local log=$tmp/c.log
    mkdir -p "$cross/c"
    # shellcheck disable=SC2046  # pkg-config output is a list of flags
    if cc -std=c11 -O2 -Wall -Wextra -Werror -o "$tmp/crosscheck" "$here/crosscheck/crosscheck.c" \
            $(pkg-config --cflags --libs libquant) >"$log" 2>&1 &&
        "$tmp/crosscheck" "$here/crosscheck/cases.txt" "$cross/c" >>"$log" 2>&1; then
        report c-reference 1 0 0
    else
        report c-reference 0 1 0 "$log"
    fi
}

# --- Python ------------------------------------------------------------------
run_python() {
    local log=$tmp/python.log xml=$tmp/python.xml
    if ! /usr/bin/python3 -c 'import numpy, pytest' >"$log" 2>&1; then
        echo "numpy or pytest missing for /usr/bin/python3" >>"$log"
        report python 0 1 0 "$log"
        return
    fi
    (cd "$here/python" && LQ_CROSS_DIR="$cross/python" /usr/bin/python3 -m pytest -q -rs \
        -p no:cacheprovider --junitxml="$xml" tests) >"$log" 2>&1
    local counts
    counts=$(/usr/bin/python3 - "$xml" <<'EOF' 2>/dev/null
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot()
s = s if s.tag == "testsuite" else s.find("testsuite")
n, f, e, k = (int(s.get(a, 0)) for a in ("tests", "failures", "errors", "skipped"))
print(n - f - e - k, f + e, k)
EOF
    ) || counts="0 1 0"
    # shellcheck disable=SC2086
    report python $counts "$log"
}

# pip can install the package offline (into a throw-away venv: Debian's
# system Python refuses pip installs), and the installed copy works.
run_pip() {
    local log=$tmp/pip.log
    cp -r "$here/python" "$tmp/pysrc"
    if /usr/bin/python3 -m venv --system-site-packages "$tmp/venv" >"$log" 2>&1 &&
        "$tmp/venv/bin/python" -m pip install -q --no-index --no-build-isolation --no-deps \
            "$tmp/pysrc" >>"$log" 2>&1 &&
        (cd "$tmp" && "$tmp/venv/bin/python" -c \
            'import libquant, sys; assert libquant.__file__.startswith(sys.prefix); print(libquant.version())' \
            >>"$log" 2>&1); then
        report python-pip 1 0 0
    else
        report python-pip 0 1 0 "$log"
    fi
}

# --- Rust ----------------------------------------------------------------------
run_rust() {
    local log=$tmp/rust.log
    if ! command -v cargo >/dev/null; then
        echo "cargo not found (expected in ~/.cargo/bin)" >"$log"
        report rust 0 1 0 "$log"
        return
    fi
    LQ_CROSS_DIR="$cross/rust" cargo test --offline --manifest-path "$here/rust/Cargo.toml" -- --nocapture \
        >"$log" 2>&1
    local rc=$? pass fail skip
    pass=$(sed -n 's/^test result: .* \([0-9]*\) passed.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    fail=$(sed -n 's/^test result: .* \([0-9]*\) failed.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
    skip=$(grep -c 'SKIP .*: not in this build' "$log")
    skip=$((skip + $(sed -n 's/^test result: .* \([0-9]*\) ignored.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')))
    [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1 # did not build, or a runner died
    report rust "$pass" "$fail" "$skip" "$log"
}

# --- Go ------------------------------------------------------------------------
run_go() {
    local log=$tmp/go.log
    if ! command -v go >/dev/null; then
        echo "go not found (apt-get install golang-go failed)" >"$log"
        report go 0 1 0 "$log"
        return
    fi
    local vet_pass=0 vet_fail=0
    if (cd "$here/go" && go vet ./...) >"$log" 2>&1; then vet_pass=1; else vet_fail=1; fi
    (cd "$here/go" && LQ_CROSS_DIR="$cross/go" go test -count=1 -v ./...) >>"$log" 2>&1
    local rc=$? pass fail skip
    pass=$(grep -c -- '--- PASS' "$log")
    fail=$(grep -c -- '--- FAIL' "$log")
    skip=$(grep -c -- '--- SKIP' "$log")
    skip=$((skip + $(grep -c 'SKIP .*: not in this build' "$log")))
    [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1
    report go $((pass + vet_pass)) $((fail + vet_fail)) "$skip" "$log"
}

# --- Cross-language comparison ----------------------------------------------
run_compare() {
    local log=$tmp/compare.log pass=0 fail=0 lang f base
    : >"$log"
    if [ ! -d "$cross/c" ] || [ -z "$(ls -A "$cross/c")" ]; then
        echo "no C reference outputs" >>"$log"
        report crosscheck 0 1 0 "$log"
        return
    fi
    for lang in python rust go; do
        for f in "$cross/c"/*; do
            base=$(basename "$f")
            if [ ! -e "$cross/$lang/$base" ]; then
                echo "$lang: $base missing (the C reference has it)" >>"$log"
                fail=$((fail + 1))
            elif ! cmp -s "$f" "$cross/$lang/$base"; then
                echo "$lang: $base differs from C: $(cmp "$f" "$cross/$lang/$base" 2>&1 | head -n 1)" >>"$log"
                fail=$((fail + 1))
            else
                pass=$((pass + 1))
            fi
        done
        for f in "$cross/$lang"/*; do
            [ -e "$f" ] || continue
            base=$(basename "$f")
            if [ ! -e "$cross/c/$base" ]; then
                echo "$lang: $base has no C counterpart" >>"$log"
                fail=$((fail + 1))
            fi
        done
    done
    local bins unsupported
    bins=$(find "$cross/c" -name '*.bin' | wc -l)
    unsupported=$(find "$cross/c" -name '*.unsupported' -printf '%f ' | sed 's/\.unsupported//g')
    report crosscheck "$pass" "$fail" 0 "$log"
    echo "    $bins cases byte-identical in C, Python, Rust and Go${unsupported:+; not in this build: $unsupported}"
}

# --- Failure modes: a missing library fails cleanly, never crashes -----------
# (Python's missing-library and every binding's wrong-version cases are in
# their own test suites.)
expect_failure() { # NAME WANT-RC WANT-TEXT CMD...: the command fails as described
    local name=$1 want_rc=$2 want_text=$3 out rc
    shift 3
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -ne 0 ] && { [ "$want_rc" = any ] || [ "$rc" -eq "$want_rc" ]; } &&
        printf '%s' "$out" | grep -qF -- "$want_text"; then
        return 0
    fi
    printf '%s: exit %d, wanted %s with "%s"; output:\n%s\n' "$name" "$rc" "$want_rc" "$want_text" \
        "$(printf '%s' "$out" | tail -n 15)" >>"$tmp/failure-modes.log"
    return 1
}

run_failure_modes() {
    local pass=0 fail=0 bin
    : >"$tmp/failure-modes.log"
    tally() { if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi; }

    if command -v cargo >/dev/null; then
        tally expect_failure "rust build, bad LIBQUANT_LIB_DIR" any "LIBQUANT_LIB_DIR=/nonexistent holds none of" \
            env LIBQUANT_LIB_DIR=/nonexistent CARGO_TARGET_DIR="$tmp/rust-missing" \
            cargo build --offline -q --manifest-path "$here/rust/Cargo.toml" -p libquant-sys
        tally expect_failure "rust build, no pkg-config entry" any "Package libquant was not found" \
            env PKG_CONFIG_PATH=/nonexistent CARGO_TARGET_DIR="$tmp/rust-missing" \
            cargo build --offline -q --manifest-path "$here/rust/Cargo.toml" -p libquant-sys
        bin=$(find "$CARGO_TARGET_DIR/debug/deps" -maxdepth 1 -type f -perm -u+x -name 'constants-*' | head -n 1)
        if [ -n "$bin" ]; then
            tally expect_failure "rust test binary, library missing" 127 "libquant.so.0: cannot open shared object file" \
                env LD_LIBRARY_PATH=/nonexistent "$bin"
        else
            echo "rust: no built test binary to run without the library" >>"$tmp/failure-modes.log"
            fail=$((fail + 1))
        fi
    fi
    if command -v go >/dev/null; then
        # A fresh GOCACHE: a cached build would not notice that pkg-config fails.
        tally expect_failure "go build, no pkg-config entry" any "Package libquant was not found" \
            env -C "$here/go" PKG_CONFIG_PATH=/nonexistent GOCACHE="$tmp/gocache" go build ./...
        if (cd "$here/go" && go test -c -o "$tmp/go.test" .) >>"$tmp/failure-modes.log" 2>&1; then
            tally expect_failure "go test binary, library missing" 127 "libquant.so.0: cannot open shared object file" \
                env LD_LIBRARY_PATH=/nonexistent "$tmp/go.test"
        else
            fail=$((fail + 1))
        fi
    fi
    report failure-modes "$pass" "$fail" 0 "$tmp/failure-modes.log"
}

# side_by_side RUNNER...: the runners at once, each printing into a file of
# its own, then their reports in order with their counts added. The language
# runners are independent (their own build products, logs and cross-check
# folders), and mostly single-threaded in parts (pytest, the linkers), so
# side by side they take about the time of the slowest.
side_by_side() {
    local r line
    for r in "$@"; do
        ( "$r" ) >"$tmp/report-$r" 2>&1 &
    done
    wait
    for r in "$@"; do
        cat "$tmp/report-$r"
        if ! grep -qE '^[a-z0-9-]+: +[0-9]+ passed' "$tmp/report-$r"; then
            echo "$r: ended without a report"
            total_fail=$((total_fail + 1))
        fi
        while IFS= read -r line; do
            if [[ $line =~ ^[a-z0-9-]+:\ +([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
                total_pass=$((total_pass + BASH_REMATCH[1]))
                total_fail=$((total_fail + BASH_REMATCH[2]))
                total_skip=$((total_skip + BASH_REMATCH[3]))
            fi
        done <"$tmp/report-$r"
    done
}
run_python_and_pip() { run_python; run_pip; }

echo "libquant bindings against $build ($(pkg-config --modversion libquant 2>/dev/null || echo '?'))"
run_c
side_by_side run_python_and_pip run_rust run_go
run_compare
run_failure_modes
echo "bindings: $total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
