"""Shared helpers for the libquant Python tests."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import libquant as lq

HERE = pathlib.Path(__file__).resolve().parent
PACKAGE_ROOT = HERE.parent
CROSSCHECK = PACKAGE_ROOT.parent / "crosscheck"


def cross_input(rows=256, cols=512):
    """The deterministic input every binding uses (crosscheck/README.md)."""
    i = np.arange(rows * cols, dtype=np.int64)
    return (((i * 7919) % 1021 - 510).astype(np.float32) / 256).reshape(rows, cols)


def cross_imatrix(cols=512):
    return 1 + (np.arange(cols) % 7).astype(np.float32) / 8


def quantize_or_skip(w, scheme, **kw):
    """quantize(), skipping the test when this build lacks the codec."""
    try:
        return lq.quantize(w, scheme, **kw)
    except lq.LqUnsupported as e:
        pytest.skip(f"{scheme}: not in this build ({e.message})")


def run_python(code, env_update=None, env_remove=(), cwd=None):
    """Run `code` in a fresh interpreter (this one) with the package on its path."""
    env = dict(os.environ)
    for k in env_remove:
        env.pop(k, None)
    env.update(env_update or {})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=60, cwd=cwd)
