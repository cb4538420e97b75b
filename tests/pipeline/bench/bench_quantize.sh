#!/bin/sh
# bench_quantize.sh LQ LLAMA_RUN — whole-model quantize, `lq quantize` against
# llama.cpp's llama_model_quantize (LLAMA_RUN is llama_quantize_run, built
# beside this script), on one synthetic Llama-shaped F16 model of 1.4 GB, at
# the same thread count, for each file type. Prints per type the median wall
# time, CPU time (user + system) and peak resident memory (/usr/bin/time's
# "maximum resident set size": anonymous and mapped pages) of both sides, the
# ratios, and whether the two outputs hold byte-identical tensors (and whether
# the whole files are identical, metadata included).
# Two wall times per side: until the command returns, and until its output is
# on disk (the command, then `sync -d OUT` timed and added). They differ in
# what they count: lq_gguf_quantize fsyncs the output before renaming it into
# place, so its "returns" time already includes the disk; llama_model_quantize
# does not sync, so its output is still in the page cache when it returns.
# The on-disk column compares the same work on both sides.
# Not a test: it measures. Medians of BENCH_RUNS runs (default 3), both sides
# interleaved, because a shared machine is noisy; CPU time is the steadier
# figure there, wall time the one a user waits for.
# Environment: BENCH_TYPES (default "Q4_K_M Q6_K Q8_0 Q2_K"), BENCH_THREADS
# (2), BENCH_RUNS (3), LQ_BENCH_MODEL (default
# ~/.cache/libquant/bench/llama-1g-f16.gguf, made with make_model.py through
# the oracle venv's python when absent), LQ_VENV_PYTHON (a python with numpy
# and gguf-py; default the oracle venv's), TMPDIR for the outputs.
set -eu
lq=$1
llama_run=$2
here=$(cd "$(dirname "$0")" && pwd)
types=${BENCH_TYPES:-"Q4_K_M Q6_K Q8_0 Q2_K"}
threads=${BENCH_THREADS:-2}
runs=${BENCH_RUNS:-3}
model=${LQ_BENCH_MODEL:-$HOME/.cache/libquant/bench/llama-1g-f16.gguf}
py=${LQ_VENV_PYTHON:-$HOME/.cache/libquant/venv/bin/python}

if [ ! -f "$model" ]; then
    mkdir -p "$(dirname "$model")"
    echo "making $model"
    "$py" "$here/make_model.py" "$model.tmp" && mv "$model.tmp" "$model"
fi
[ -x /usr/bin/time ] || { echo "bench_quantize: needs /usr/bin/time (GNU time)"; exit 77; }
"$py" -c "import gguf" 2>/dev/null || { echo "bench_quantize: $py has no gguf-py"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/lq-bench-quantize-XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# llama.cpp's LLAMA_FTYPE_MOSTLY_* number of a file type
ftype_of() {
    case $1 in
    Q8_0) echo 7 ;; Q2_K) echo 10 ;; Q4_K_M) echo 15 ;; Q6_K) echo 18 ;;
    *) echo "bench_quantize: no llama.cpp number for $1 here" >&2; exit 2 ;;
    esac
}

# run SIDE TYPE OUT COMMAND...: one timed run writing OUT, then OUT's sync to
# the disk timed on its own; "wall cpu rss_kb wall_on_disk" appended to
# $work/SIDE.TYPE. No output of an earlier run is left dirty: each is synced
# here, then removed.
run() {
    side=$1 type=$2 out=$3
    shift 3
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" ||
        { echo "bench_quantize: $side $type failed:"; cat "$work/err"; exit 1; }
    /usr/bin/time -f "%e" -o "$work/sync" sync -d "$out" 2>"$work/err" ||
        { echo "bench_quantize: sync -d of $side's $type output failed:"; cat "$work/err"; exit 1; }
    awk -v s="$(cat "$work/sync")" '{ printf "%s %.2f %s %.2f\n", $1, $2 + $3, $4, $1 + s }' \
        "$work/time" >>"$work/$side.$type"
}

median() { # column $2 of file $1
    cut -d' ' -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

echo "model: $model ($(du -m "$model" | cut -f1) MB), $threads threads, median of $runs runs"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) CPUs online, load $(cut -d' ' -f1-3 /proc/loadavg)"
for type in $types; do
    ft=$(ftype_of "$type")
    same=yes whole=yes
    i=0
    while [ $i -lt "$runs" ]; do
        run lq "$type" "$work/lq.gguf" "$lq" quantize "$model" "$work/lq.gguf" "$type" \
            --threads "$threads"
        run llama "$type" "$work/llama.gguf" "$llama_run" "$model" "$work/llama.gguf" "$ft" "$threads"
        "$py" "$here/same_tensors.py" "$work/lq.gguf" "$work/llama.gguf" >"$work/same" || same=no
        cmp -s "$work/lq.gguf" "$work/llama.gguf" || whole=no
        rm -f "$work/lq.gguf" "$work/llama.gguf"
        i=$((i + 1))
    done
    lw=$(median "$work/lq.$type" 1) lc=$(median "$work/lq.$type" 2) lm=$(median "$work/lq.$type" 3)
    gw=$(median "$work/llama.$type" 1) gc=$(median "$work/llama.$type" 2) gm=$(median "$work/llama.$type" 3)
    ld=$(median "$work/lq.$type" 4) gd=$(median "$work/llama.$type" 4)
    awk -v t="$type" -v lw="$lw" -v lc="$lc" -v lm="$lm" -v gw="$gw" -v gc="$gc" -v gm="$gm" \
        -v ld="$ld" -v gd="$gd" -v same="$same" -v whole="$whole" 'BEGIN {
        printf "%-7s wall  lq %7.2f s  llama %7.2f s  ratio %5.2fx  (until the command returns)\n",
               t, lw, gw, gw / lw
        printf "%-7s wall  lq %7.2f s  llama %7.2f s  ratio %5.2fx  (until the output is on disk)\n",
               "", ld, gd, gd / ld
        printf "%-7s cpu   lq %7.2f s  llama %7.2f s  ratio %5.2fx\n", "", lc, gc, gc / lc
        printf "%-7s rss   lq %7.1f MB llama %7.1f MB  tensors identical: %s, whole file: %s\n",
               "", lm / 1024, gm / 1024, same, whole
    }'
done
