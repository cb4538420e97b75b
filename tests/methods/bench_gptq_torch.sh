#!/bin/sh
# bench_gptq_torch.sh LIBQUANT_SO [ARGS...] — the 'gptq_torch' benchmark
# (meson test --benchmark gptq_torch): bench_gptq_torch.py ARGS with the
# venv's python (torch, auto_gptq) and the Python binding loading
# LIBQUANT_SO. LQ_BENCH_TOKENS sets --tokens (default 16384, scaled to
# 262,144 in the report; see the script). Skips (77) without the venv.
here="$(cd "$(dirname "$0")" && pwd)"
lib=$1; shift
py="${LQ_VENV:-$HOME/.cache/libquant/venv}/bin/python"
# auto_gptq's own __init__ does not import with current peft (the script
# loads only its GPTQ module), so its presence is checked, not its import
"$py" -c "import torch, importlib.util as u; assert u.find_spec('auto_gptq')" 2>/dev/null || {
  echo "bench_gptq_torch: needs a venv with torch and auto_gptq at ${LQ_VENV:-$HOME/.cache/libquant/venv}" >&2
  exit 77; }
LIBQUANT_LIBRARY="$lib" PYTHONPATH="$here/../../bindings/python${PYTHONPATH:+:$PYTHONPATH}" \
  exec "$py" "$here/bench_gptq_torch.py" --tokens "${LQ_BENCH_TOKENS:-16384}" "$@"
