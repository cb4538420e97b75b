"""Loading: a missing library and a wrong version fail cleanly at import."""
import libquant as lq
from libquant._loader import version_compatible

from conftest import run_python

LOAD_VARS = ("LIBQUANT_LIBRARY", "LIBQUANT_LIB_DIR", "LIBQUANT_EXPECT_VERSION")


def test_missing_library_names_what_was_tried():
    r = run_python("import libquant", {"LIBQUANT_LIBRARY": "/nonexistent/libquant.so.0"},
                   LOAD_VARS)
    assert r.returncode == 1
    assert "LibraryNotFoundError" in r.stderr
    assert "$LIBQUANT_LIBRARY=/nonexistent/libquant.so.0" in r.stderr
    assert "Segmentation" not in r.stderr


def test_missing_library_dir():
    r = run_python("import libquant", {"LIBQUANT_LIB_DIR": "/nonexistent"}, LOAD_VARS)
    assert r.returncode == 1
    assert "LibraryNotFoundError" in r.stderr and "/nonexistent/libquant.so.0" in r.stderr


def test_missing_library_is_an_import_error():
    code = ("try:\n    import libquant\nexcept ImportError as e:\n"
            "    print(type(e).__name__)\n")
    r = run_python(code, {"LIBQUANT_LIBRARY": "/nonexistent/libquant.so"}, LOAD_VARS)
    assert r.returncode == 0 and r.stdout.strip() == "LibraryNotFoundError", r.stderr


def test_wrong_version_is_refused():
    r = run_python("import libquant", {"LIBQUANT_EXPECT_VERSION": "9.4"},
                   ("LIBQUANT_EXPECT_VERSION",))
    assert r.returncode == 1
    assert "LibraryVersionError" in r.stderr
    assert "needs 9.4.x" in r.stderr and f"is version {lq.version()}" in r.stderr


def test_bad_version_override_is_reported():
    r = run_python("import libquant", {"LIBQUANT_EXPECT_VERSION": "one"},
                   ("LIBQUANT_EXPECT_VERSION",))
    assert r.returncode == 1 and "is not MAJOR.MINOR" in r.stderr


def test_version_rule():
    assert version_compatible((0, 1), (0, 1))
    assert not version_compatible((0, 2), (0, 1))   # before 1.0 minors may break
    assert not version_compatible((1, 0), (0, 1))
    assert version_compatible((1, 3), (1, 2))       # newer minor only adds API
    assert not version_compatible((1, 1), (1, 2))
    assert not version_compatible((2, 0), (1, 2))


def test_loaded_version_matches():
    assert version_compatible(lq.version_info()[:2], lq.EXPECTED_VERSION)
    assert lq.version() == "%d.%d.%d" % lq.version_info()
    assert "version=" + lq.version() in lq.build_info()


def test_without_numpy_on_plain_buffers():
    code = """
import sys
sys.modules["numpy"] = None  # import numpy now raises ImportError
import array, libquant as lq
assert lq._buffers.np is None
vals = array.array("f", [((i * 7919) % 1021 - 510) / 256 for i in range(4 * 256)])
w = memoryview(vals).cast("B").cast("f", (4, 256))
with lq.quantize(w, "bf16") as q:
    back = q.dequantize()
    assert isinstance(back, memoryview) and back.shape == (4, 256) and back.format == "f"
    print(q.scheme, q.shape, round(lq.error_stats(vals, back.cast("B").cast("f"))["rmse"], 6))
try:
    lq.quantize([1.0, 2.0], "f16")
except TypeError as e:
    print("TypeError", "numpy array or a buffer" in str(e))
"""
    r = run_python(code)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("bf16 (4, 256) ")
    assert float(lines[0].split()[-1]) < 0.01
    assert lines[1] == "TypeError True"
