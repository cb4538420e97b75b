"""The cross-language check (crosscheck/README.md): quantize the shared input
with every case and write the raw bytes to $LQ_CROSS_DIR (or a temporary
folder), for run-tests.sh to compare with C and the other bindings."""
import os
import pathlib

import libquant as lq

from conftest import CROSSCHECK, cross_imatrix, cross_input


def cases():
    for line in (CROSSCHECK / "cases.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            parts = line.split()
            yield parts[0], parts[1:] == ["imatrix"]


def test_write_crosscheck_outputs(tmp_path):
    out = pathlib.Path(os.environ.get("LQ_CROSS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    w = cross_input()
    written = 0
    for scheme, use_imatrix in cases():
        base = out / (scheme.replace(":", "_") + ("+imatrix" if use_imatrix else ""))
        try:
            q = lq.quantize(w, scheme, imatrix=cross_imatrix() if use_imatrix else None)
        except lq.LqUnsupported:
            base.with_name(base.name + ".unsupported").write_bytes(b"")
            continue
        with q:
            raw = q.raw()
            assert len(raw) == q.nbytes == lq.Scheme(scheme).tensor_bytes(256, 512)
            base.with_name(base.name + ".bin").write_bytes(raw)
            written += 1
    assert written >= 2  # f16 and bf16 at least
