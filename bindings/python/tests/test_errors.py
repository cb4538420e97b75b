"""Status codes become exceptions carrying the library's message."""
import numpy as np
import pytest

import libquant as lq
from libquant.errors import error_for


@pytest.mark.parametrize("status, cls, builtin", [
    (-1, lq.LqInvalidArgument, ValueError),
    (-2, lq.LqUnsupported, NotImplementedError),
    (-3, lq.LqNoMemory, MemoryError),
    (-4, lq.LqIOError, OSError),
    (-5, lq.LqFormatError, ValueError),
    (-6, lq.LqShapeError, ValueError),
    (-7, lq.LqNonFinite, ValueError),
    (-8, lq.LqCancelled, lq.LqError),
    (-9, lq.LqNumericError, ArithmeticError),
    (-10, lq.LqStateError, RuntimeError),
    (-11, lq.LqInternalError, RuntimeError),
])
def test_status_classes(status, cls, builtin):
    e = error_for(status, "text", "msg")
    assert type(e) is cls and isinstance(e, builtin) and isinstance(e, lq.LqError)
    assert (e.status, e.status_text, e.message) == (status, "text", "msg")


def test_unknown_status_is_base_class():
    assert type(error_for(-99, "unknown status", "")) is lq.LqError


def test_parse_error_carries_message():
    with pytest.raises(lq.LqInvalidArgument) as info:
        lq.Scheme("int4:g100x")
    e = info.value
    assert e.status == -1 and e.status_text == "invalid argument"
    assert "lq_scheme_parse" in e.message and "g100x" in e.message
    assert "g100x" in str(e)


def test_nonfinite_input_names_the_element():
    w = np.ones((2, 256), dtype=np.float32)
    w[1, 7] = np.nan
    with pytest.raises(lq.LqNonFinite, match="row 1, column 7"):
        lq.quantize(w, "f16")


def test_message_belongs_to_this_thread():
    import threading
    seen = {}

    def other():
        try:
            lq.Scheme("nonsense-type")
        except lq.LqInvalidArgument as e:
            seen["other"] = e.message

    with pytest.raises(lq.LqInvalidArgument) as info:
        lq.Scheme("int4:bogus")
    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert "bogus" in info.value.message and "nonsense-type" in seen["other"]


def test_function_missing_from_the_library_raises_unsupported(monkeypatch):
    # A header function an older library lacks: only calling it fails.
    from libquant import _capi
    from libquant._ffi import Status, declare
    monkeypatch.setitem(_capi.FUNCTIONS, "lq_no_such_function_in_any_build", (Status, ()))
    f = declare("lq_no_such_function_in_any_build")
    with pytest.raises(lq.LqUnsupported, match="lq_no_such_function_in_any_build"):
        f()


def test_a_function_the_headers_lack_is_a_programming_error():
    from libquant._ffi import declare
    with pytest.raises(KeyError):
        declare("lq_not_declared_in_any_header")
