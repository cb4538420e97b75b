#!/usr/bin/env bash
# Prints "NAME VERSION" for every symbol the shared library LIB defines and
# exports, sorted: the one reading of the export table that update.sh,
# check_symbols.sh and check_tiers.sh share. An unversioned symbol prints
# its name alone.
#   exported.sh LIB
set -euo pipefail
nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@@*/ /' | sort -u
