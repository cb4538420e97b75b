"""Find and load the libquant shared library, and check its version.

Search order:
  1. $LIBQUANT_LIBRARY, a full path to the library file;
  2. $LIBQUANT_LIB_DIR, a directory holding it;
  3. the system loader by soname (honours LD_LIBRARY_PATH and `meson devenv`),
     then ctypes.util.find_library("quant"), then the libdir pkg-config reports.
An override set in 1 or 2 is used alone: if it fails nothing else is tried,
so a wrong override is reported instead of silently loading another copy.
"""
import ctypes
import ctypes.util
import os
import subprocess
import sys

from ._capi import VERSION_INFO
from .errors import LibraryNotFoundError, LibraryVersionError

# The library version this package was written against. A library of the same
# major version and at least this minor version provides every call the
# package uses; before 1.0 the minor version must match exactly, since 0.x
# minor releases may change the API.
EXPECTED_VERSION = VERSION_INFO[:2]

# For tests: "MAJOR.MINOR" to pretend the package expects another version.
_EXPECT_ENV = "LIBQUANT_EXPECT_VERSION"

if sys.platform == "darwin":
    _FILE_NAMES = ("libquant.0.dylib", "libquant.dylib")
elif sys.platform == "win32":
    _FILE_NAMES = ("quant-0.dll", "libquant-0.dll", "quant.dll", "libquant.dll")
else:
    _FILE_NAMES = ("libquant.so.0", "libquant.so")


def _pkg_config_libdir():
    try:
        run = subprocess.run(["pkg-config", "--variable=libdir", "libquant"],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"pkg-config not usable ({e})"
    if run.returncode != 0 or not run.stdout.strip():
        return None, "pkg-config does not know libquant"
    return run.stdout.strip(), None


def _candidates():
    """(description, path-or-name) pairs to try, or a single failure note."""
    path = os.environ.get("LIBQUANT_LIBRARY")
    if path:
        return [(f"$LIBQUANT_LIBRARY={path}", path)], []
    libdir = os.environ.get("LIBQUANT_LIB_DIR")
    if libdir:
        return [(f"$LIBQUANT_LIB_DIR={libdir}", os.path.join(libdir, n)) for n in _FILE_NAMES], []
    cands = [(f"system loader ({n})", n) for n in _FILE_NAMES]
    notes = []
    found = ctypes.util.find_library("quant")
    if found:
        cands.append((f"ctypes.util.find_library -> {found}", found))
    else:
        notes.append("ctypes.util.find_library('quant'): not found")
    pc_dir, why = _pkg_config_libdir()
    if pc_dir:
        cands += [(f"pkg-config libdir {pc_dir}", os.path.join(pc_dir, n)) for n in _FILE_NAMES]
    else:
        notes.append(f"pkg-config --variable=libdir libquant: {why}")
    return cands, notes


def _expected_version():
    fake = os.environ.get(_EXPECT_ENV)
    if not fake:
        return EXPECTED_VERSION
    try:
        major, minor = (int(p) for p in fake.split("."))
    except ValueError:
        raise LibraryVersionError(f"${_EXPECT_ENV}={fake!r} is not MAJOR.MINOR") from None
    return major, minor


def version_compatible(have, want):
    """True when a library of version `have` (major, minor) serves a package
    written for `want`."""
    if have[0] != want[0]:
        return False
    return have[1] == want[1] if have[0] == 0 else have[1] >= want[1]


def _check_version(lib, where):
    lib.lq_version_number.restype = ctypes.c_uint
    lib.lq_version_number.argtypes = []
    number = lib.lq_version_number()
    have = (number // 10000, number // 100 % 100)
    want = _expected_version()
    if not version_compatible(have, want):
        raise LibraryVersionError(
            f"libquant at {where} is version {have[0]}.{have[1]}.{number % 100}, but this "
            f"Python package needs {want[0]}.{want[1]}.x; install a matching libquant or "
            f"point $LIBQUANT_LIBRARY at one")


def load():
    """Load libquant and check its version; raise LibraryNotFoundError or
    LibraryVersionError with everything that was tried."""
    cands, notes = _candidates()
    failures = []
    for desc, target in cands:
        try:
            lib = ctypes.CDLL(target)
        except OSError as e:
            failures.append(f"  {desc}: {e}")
            continue
        _check_version(lib, desc)
        return lib
    lines = "\n".join(failures + [f"  {n}" for n in notes])
    raise LibraryNotFoundError(
        "cannot load the libquant shared library. Tried:\n" + lines + "\n"
        "Set $LIBQUANT_LIBRARY to the library file, $LIBQUANT_LIB_DIR to its directory, "
        "or run under `meson devenv -C <builddir>`.")
