"""The generated declarations (_capi.py) agree with the loaded library."""
import ctypes

import libquant as lq
from libquant import _capi
from libquant._ffi import lib, text


def test_every_declared_function_is_in_the_library():
    # The tests run against a full build of the same tree, so a header
    # function the library does not export is a missing LQ_API or a stale
    # generated file.
    missing = [name for name in _capi.FUNCTIONS if not hasattr(lib, name)]
    assert missing == []


def test_status_table_matches_lq_status_str():
    status_str = lib.lq_status_str
    status_str.restype, status_str.argtypes = ctypes.c_char_p, [ctypes.c_int]
    assert _capi.STATUS, "the status table is empty"
    for value, name, message in _capi.STATUS:
        assert getattr(_capi, name) == value
        assert text(status_str(value)) == message, name


def test_type_enum_matches_lq_type_name():
    for name, value in _capi.ENUMS["lq_type_code"]:
        if "_COUNT" in name:
            continue
        assert lq.type_name(value) == name[len("LQ_TYPE_"):].lower()


def test_version_is_the_headers_version():
    assert lq.__version__ == _capi.VERSION == lq.version()
    assert lq.version_info() == _capi.VERSION_INFO
