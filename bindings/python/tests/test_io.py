"""GGUF and safetensors files."""
import numpy as np
import pytest

import libquant as lq

RNG = np.random.default_rng(5)
W = RNG.standard_normal((32, 256)).astype(np.float32)


def test_gguf_metadata_round_trip(tmp_path):
    g = lq.GGUF()
    g["general.architecture"] = "llama"
    g["llama.block_count"] = 2
    g.set("llama.rope.freq_base", 10000.0)
    g.set("big", -5, type="i64")
    g["flag"] = True
    g["tokenizer.ggml.tokens"] = ["<s>", "</s>", "hé"]
    g["scores"] = np.array([0.5, -1.0], dtype=np.float32)
    g["ids"] = [1, 2, 3]
    del g["ids"]
    g.add_tensor(W, "blk.0.w")
    g.save(tmp_path / "m.gguf")
    g.close()
    with lq.GGUF.open(tmp_path / "m.gguf") as h:
        assert h.keys() == ["general.architecture", "llama.block_count", "llama.rope.freq_base",
                            "big", "flag", "tokenizer.ggml.tokens", "scores"]
        assert [h.type_of(k) for k in ("llama.block_count", "big", "scores")] == ["u32", "i64",
                                                                                   "array"]
        assert h["general.architecture"] == "llama" and h["llama.block_count"] == 2
        assert h["llama.rope.freq_base"] == 10000.0 and h["big"] == -5 and h["flag"] is True
        assert h["tokenizer.ggml.tokens"] == ["<s>", "</s>", "hé"]
        assert h["scores"].tolist() == [0.5, -1.0]
        assert h.get("missing", 7) == 7
        with pytest.raises(KeyError):
            h["missing"]


def test_gguf_tensors(tmp_path):
    g = lq.GGUF()
    with lq.quantize(W, "q4_k", name="blk.0.attn_q.weight") as q:
        g.add_tensor(q)
        expected = q.dequantize()
        raw = q.raw()
    g.add_tensor(W, "blk.0.f32")
    g.add_raw("blk.0.raw", 0, (2, 4), np.arange(8, dtype=np.float32).tobytes())
    with pytest.raises(lq.LqInvalidArgument):
        g.add_tensor(W, "blk.0.f32")  # duplicate name
    with pytest.raises(lq.LqUnsupported):
        with lq.quantize(W, "int4:g128", name="i4") as q4:
            g.add_tensor(q4)  # GGUF has no int4
    g.save(tmp_path / "t.gguf")
    g.close()
    h = lq.GGUF.open(tmp_path / "t.gguf")
    assert h.tensor_names() == ["blk.0.attn_q.weight", "blk.0.f32", "blk.0.raw"]
    info = h.tensor_info("blk.0.attn_q.weight")
    assert info["ggml_type"] == 12 and info["shape"] == (32, 256) and info["nbytes"] == len(raw)
    t = h.tensor("blk.0.attn_q.weight")
    assert t.scheme == "q4_k" and t.raw() == raw and h.raw("blk.0.attn_q.weight") == raw
    np.testing.assert_array_equal(t.dequantize(), expected)
    np.testing.assert_array_equal(h.tensor("blk.0.f32").dequantize(), W)
    assert h.tensor("blk.0.raw").dequantize().tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert "blk.0.f32" in h and "nope" not in h
    h.close()  # closes the tensors borrowing the mapping first
    with pytest.raises(ValueError, match="closed"):
        t.dequantize()
    h.close()


def test_gguf_bad_files(tmp_path):
    (tmp_path / "bad.gguf").write_bytes(b"GGUF\x02\x00\x00\x00" + b"\x00" * 40)
    with pytest.raises(lq.LqFormatError, match="version"):
        lq.GGUF.open(tmp_path / "bad.gguf")
    with pytest.raises(lq.LqIOError):
        lq.GGUF.open(tmp_path / "missing.gguf")
    with pytest.raises(lq.LqIOError):
        lq.GGUF().save(tmp_path / "no" / "such" / "dir.gguf")


def test_safetensors_round_trip_and_shards(tmp_path):
    st = lq.Safetensors()
    st.add_tensor(W, "model.layers.0.w")
    st.add_tensor(W[:4].astype(np.float16), "model.layers.1.w")
    st.add_raw("scale", "F8_E4M3", (4,), b"\x38\x40\x48\x50")
    st.set_metadata("format", "pt")
    st.save(tmp_path / "one.safetensors")
    st.save(tmp_path / "model.safetensors", max_shard_bytes=20000)
    st.close()
    for path in (tmp_path / "one.safetensors", tmp_path / "model.safetensors.index.json"):
        with lq.Safetensors.open(path) as s:
            assert sorted(s.names()) == ["model.layers.0.w", "model.layers.1.w", "scale"]
            assert len(s) == 3
            assert s.info("model.layers.1.w") == {"dtype": "F16", "shape": (4, 256),
                                                  "nbytes": 4 * 256 * 2}
            assert s.info("scale")["dtype"] == "F8_E4M3" and s.raw("scale") == b"\x38\x40\x48\x50"
            np.testing.assert_array_equal(s.tensor("model.layers.0.w").dequantize(), W)
            if path.name == "one.safetensors":
                assert s.metadata() == {"format": "pt"}
    assert (tmp_path / "model-00001-of-00002.safetensors").exists()


def test_safetensors_refuses_quantized_and_junk(tmp_path):
    st = lq.Safetensors()
    with lq.quantize(W, "q4_k", name="q") as q, pytest.raises(lq.LqUnsupported):
        st.add_tensor(q)
    with pytest.raises(ValueError, match="called"):
        with lq.quantize(W, "f16", name="a") as q:
            st.add_tensor(q, name="b")
    (tmp_path / "junk.safetensors").write_bytes(b"\xff" * 16)
    with pytest.raises(lq.LqFormatError):
        lq.Safetensors.open(tmp_path / "junk.safetensors")
