"""Schemes: parse, canonical string, parameters, sizes."""
import pytest

import libquant as lq


def test_canonical_string_round_trips():
    with lq.Scheme("INT4") as s:
        assert str(s) == "int4:g128:sym"
        assert lq.Scheme(str(s)) == s
        assert repr(s) == "Scheme('int4:g128:sym')"


def test_properties():
    s = lq.Scheme("gptq:int4:g64:asym:act_order")
    assert (s.type, s.method, s.bits, s.group_size) == ("int4", "gptq", 4, 64)
    assert s.symmetric is False and s.act_order is True and s.scale_type == "f16"
    assert s.damp == pytest.approx(0.01)
    assert s.mixture == 0
    s.close()


def test_setters_validate_and_keep_the_scheme_on_error():
    s = lq.Scheme("int4:g128")
    s.group_size = lq.GROUP_CHANNEL
    s.symmetric = False
    assert str(s) == "int4:channel:asym"
    with pytest.raises(AttributeError):
        s.bits = 3
    with pytest.raises(lq.LqInvalidArgument):
        s.block_size = 100  # not a power of two
    assert str(s) == "int4:channel:asym"
    s.method = "gptq"
    assert s.method == "gptq" and str(s).startswith("gptq:")
    with pytest.raises(ValueError, match="unknown method"):
        s.method = "magic"


def test_type_setter_and_names():
    s = lq.Scheme("int4")
    s.type = "int8"
    assert s.type == "int8" and s.bits == 8
    assert lq.type_name(lq.type_id("Q4_K")) == "q4_k"
    assert lq.is_quantized("q4_k") and not lq.is_quantized("f16")
    with pytest.raises(ValueError):
        lq.type_name(999)
    with pytest.raises(lq.LqInvalidArgument, match="q9_z"):
        lq.type_id("q9_z")


def test_copy_is_independent():
    a = lq.Scheme("nf4:b64")
    b = a.copy()
    b.double_quant = True
    assert a.double_quant is False and b.double_quant is True and a != b


def test_tensor_bytes():
    s = lq.Scheme("f16")
    assert s.tensor_bytes(256, 512) == 256 * 512 * 2
    try:
        n = lq.Scheme("int4:g128").tensor_bytes(256, 512)
    except lq.LqUnsupported:
        pytest.skip("int4 not in this build")
    assert n >= 256 * 512 // 2
    with pytest.raises(lq.LqShapeError):
        lq.Scheme("int4:g128").tensor_bytes(2, 100)


def test_close_is_idempotent_and_checked():
    s = lq.Scheme("q4_k")
    s.close()
    s.close()
    with pytest.raises(ValueError, match="closed"):
        str(s)
    assert repr(s) == "Scheme(<closed>)"


def test_bad_argument_type():
    with pytest.raises(TypeError):
        lq.Scheme(4)
