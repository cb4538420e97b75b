"""Hugging Face layouts (lq_hf.h) from Python: export, import, decode, config."""
import numpy as np
import pytest

import libquant as lq

from conftest import cross_input, quantize_or_skip

PREFIX = "model.layers.0.mlp.up_proj"


@pytest.mark.parametrize("scheme, fmt", [("int4:g128", "gptq_v2"), ("int4:g128", "awq"),
                                         ("nf4", "bnb4")])
def test_round_trip_through_a_file(tmp_path, scheme, fmt):
    w = cross_input()
    with quantize_or_skip(w, scheme, name=PREFIX + ".weight") as q:
        st = lq.Safetensors()
        lq.hf_export(q, fmt, PREFIX, st)
        assert all(n.startswith(PREFIX + ".") for n in st.names())
        st.save(tmp_path / "layer.safetensors")
        st.close()
        with lq.Safetensors.open(tmp_path / "layer.safetensors") as back:
            got, perm = lq.hf_import(back, fmt, PREFIX)
            with got:
                # Conversions are exact: the same codes, scales and zero points.
                assert got.scheme == q.scheme and got.raw() == q.raw()
                assert got.name == PREFIX + ".weight"
            if fmt == "gptq_v2":
                assert list(perm) == list(range(w.shape[1]))
            else:
                assert perm is None
            decoded = lq.hf_dequantize(back, fmt, PREFIX, w.shape)
            want = q.dequantize()
            if fmt == "bnb4":  # bitsandbytes rounds to the quant state's dtype, bfloat16
                b = want.view(np.uint32).astype(np.uint64)
                want = ((b + 0x7FFF + ((b >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(np.float32)
            np.testing.assert_array_equal(decoded, want)


def test_gptq_column_order_is_written_and_read(tmp_path):
    w = cross_input()
    perm = np.arange(w.shape[1], dtype=np.int32)[::-1].copy()
    with lq.quantize(w, "int4:g128:sym") as q:
        st = lq.Safetensors()
        lq.hf_export(q, "gptq", PREFIX, st, perm=perm)
        _, got = lq.hf_import(st, "gptq", PREFIX)
        st.close()
    # g_idx stores each column's group, so the import recovers which source
    # columns form each group of 128, not their order inside it.
    for g in range(0, w.shape[1], 128):
        assert sorted(got[g:g + 128]) == sorted(perm[g:g + 128])
    assert list(got) != list(range(w.shape[1]))


def test_config_and_errors():
    cfg = lq.hf_config("gptq", "int4:g128")
    assert cfg["quant_method"] == "gptq" and cfg["bits"] == 4 and cfg["group_size"] == 128
    assert lq.HF_FORMATS[:3] == ("gptq", "gptq_v2", "awq")
    with pytest.raises(ValueError, match="unknown Hugging Face layout"):
        lq.hf_config("exl2", "int4:g128")
    with lq.quantize(cross_input(), "int8:channel:sym") as q, lq.Safetensors() as st:
        with pytest.raises(lq.LqInvalidArgument, match="awq"):
            lq.hf_export(q, "awq", PREFIX, st)
        with pytest.raises(lq.LqFormatError):
            lq.hf_import(st, "gptq", "model.layers.9.missing")
