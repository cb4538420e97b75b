#!/bin/sh
# Runs fp4_layouts_oracle.py with the venv's python against the built
# library (TAP). Skips without the venv; fails without it when the oracles
# are required (LQ_REQUIRE_ORACLE, as .ci/run sets it).
# Usage: fp4_layouts_oracle.sh LIBRARY_FILE
lib="$1"
here=$(cd "$(dirname "$0")" && pwd)
py="${LQ_VENV:-$HOME/.cache/libquant/venv}/bin/python"
if [ ! -x "$py" ]; then
  if [ -n "${LQ_REQUIRE_ORACLE:-}" ] && [ "$LQ_REQUIRE_ORACLE" != 0 ]; then
    echo "not ok 1 - the microscaling layouts' Python decoders (required, but no venv at $py)"
    echo "1..1"; exit 1
  fi
  echo "1..0 # SKIP no venv at $py (.ci/install-deps makes it)"; exit 0
fi
PYTHONPATH="$here/../../bindings/python" LIBQUANT_LIBRARY="$lib" exec "$py" "$here/fp4_layouts_oracle.py"
