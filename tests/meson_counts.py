#!/usr/bin/env python3
"""meson_counts.py LOG.json — the counts of a `meson test` run from its JSON
log (BUILDDIR/meson-logs/testlog.json, or LOGBASE.json with --logbase), on
one line:

    PASSED FAILED SKIPPED SKIPPED_CASES

A program is passed (OK, or EXPECTEDFAIL), skipped (SKIP: it skipped as a
whole, "1..0 # SKIP" or exit status 77) or failed (anything else: FAIL,
ERROR, TIMEOUT, ...). SKIPPED_CASES counts the TAP cases reported
"ok N - name # SKIP why" inside programs that ran. With no log, or an
unreadable one, it prints "0 1 0 0": a run that left no counts failed."""
import json
import re
import sys

SKIP_CASE = re.compile(r"^ok\s+\d+\b[^#\n]*#\s*skip\b", re.I | re.M)


def main():
    path = sys.argv[1]
    passed = failed = skipped = cases = 0
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                t = json.loads(line)
                result = t.get("result")
                if result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif result == "SKIP":
                    skipped += 1
                else:
                    failed += 1
                if result != "SKIP":
                    cases += len(SKIP_CASE.findall(t.get("stdout") or ""))
    except (OSError, ValueError):
        print("0 1 0 0")
        return
    print(passed, failed, skipped, cases)


if __name__ == "__main__":
    main()
