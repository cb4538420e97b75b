"""quantize / dequantize / raw bytes / lifetimes / callbacks."""
import gc
import weakref

import numpy as np
import pytest

import libquant as lq

from conftest import cross_imatrix, cross_input, quantize_or_skip

W = cross_input()


def test_f16_is_exact_on_this_input():
    with lq.quantize(W, "f16", name="blk.0.w") as q:
        assert isinstance(q, lq.QuantizedTensor)
        assert (q.shape, q.type, q.scheme, q.name) == ((256, 512), "f16", "f16", "blk.0.w")
        assert q.nbytes == 256 * 512 * 2 and q.bits_per_weight == 16.0
        back = q.dequantize()
        assert back.dtype == np.float32 and back.shape == W.shape
        np.testing.assert_array_equal(back, W)  # every value is a multiple of 1/256
        assert np.frombuffer(q.raw(), dtype=np.float16).reshape(W.shape).astype(np.float32) \
            .tolist() == W.tolist()


def test_convert_to_another_float_type():
    with quantize_or_skip(W, "q4_k") as q, q.convert("bf16") as b, q.convert() as f:
        assert (b.type, b.shape, f.type) == ("bf16", (256, 512), "f32")
        assert not isinstance(b, lq.QuantizedTensor)
        np.testing.assert_array_equal(f.dequantize(), q.dequantize())
        assert np.max(np.abs(b.dequantize() - f.dequantize())) <= 2 ** -8 * np.max(np.abs(W))
        with pytest.raises(lq.LqInvalidArgument):
            q.convert("int8")


def test_float16_input_and_bf16_rounding():
    w16 = W.astype(np.float16)
    with lq.quantize(w16, "bf16") as q:
        back = q.dequantize()
    assert np.max(np.abs(back - W)) <= 2.0 ** -8 * np.max(np.abs(W))


def test_float64_and_noncontiguous_input_are_converted():
    wt = np.asfortranarray(W.astype(np.float64))
    with lq.quantize(wt, "f16") as q:
        np.testing.assert_array_equal(q.dequantize(), W)
    with lq.quantize(W[:, ::2], "f16") as q:
        np.testing.assert_array_equal(q.dequantize(), W[:, ::2])


@pytest.mark.parametrize("scheme, max_bpw", [("int4:g128", 4.3), ("q4_k", 4.6)])
def test_int4_and_q4_k(scheme, max_bpw):
    with quantize_or_skip(W, scheme) as q:
        assert q.bits_per_weight <= max_bpw and q.nbytes == lq.Scheme(scheme).tensor_bytes(256, 512)
        back = q.dequantize()
        stats = lq.error_stats(W, q)
        assert 0 < stats["rmse"] < 0.1 * np.sqrt(np.mean(W ** 2))
        # the library sums the squared errors in double; numpy's float32 W - back
        # is the same per element, so only summation order differs (< 1e-12)
        assert stats["rmse"] == pytest.approx(float(np.sqrt(np.mean((W - back) ** 2.0))), rel=1e-5)
        # Raw bytes rebuild the same tensor.
        with lq.QuantizedTensor.from_raw(q.raw(), q.scheme, q.shape) as again:
            np.testing.assert_array_equal(again.dequantize(), back)


def test_imatrix_is_checked_and_used():
    with pytest.raises(ValueError, match="imatrix has 3 values"):
        lq.quantize(W, "q4_k", imatrix=[1.0, 2.0, 3.0])
    with pytest.raises(lq.LqInvalidArgument, match="imatrix"):
        lq.quantize(W, "f16", imatrix=-cross_imatrix())
    with quantize_or_skip(W, "q4_k", imatrix=cross_imatrix()) as q:
        assert q.nbytes > 0


def test_from_raw_checks_sizes():
    with lq.quantize(W, "f16") as q:
        raw = q.raw()
    with pytest.raises(lq.LqShapeError):
        lq.QuantizedTensor.from_raw(raw[:-2], "f16", (256, 512))
    with lq.QuantizedTensor.from_raw(raw, lq.Scheme("f16"), (512, 256), name="t") as t:
        assert t.shape == (512, 256) and t.name == "t"
        np.testing.assert_array_equal(t.dequantize().reshape(-1), W.reshape(-1))


def test_close_is_deterministic_and_idempotent():
    q = lq.quantize(W, "bf16")
    q.close()
    q.close()
    with pytest.raises(ValueError, match="closed"):
        q.dequantize()
    assert repr(q) == "<QuantizedTensor closed>"
    with lq.quantize(W, "bf16") as q2:
        pass
    with pytest.raises(ValueError):
        q2.raw()


def test_del_is_a_safety_net():
    q = lq.quantize(W, "bf16")
    ref = weakref.ref(q)
    del q
    gc.collect()
    assert ref() is None


def test_threads_do_not_change_the_result():
    with lq.quantize(W, "bf16", threads=1) as a, lq.quantize(W, "bf16", threads=2) as b:
        assert a.raw() == b.raw()
    with pytest.raises(lq.LqInvalidArgument, match="threads"):
        lq.quantize(W, "bf16", threads=-1)


def test_progress_is_called_and_can_cancel():
    seen = []
    with lq.quantize(W, "bf16", progress=lambda stage, f: seen.append((stage, f))) as q:
        assert q.nbytes
    assert seen and all(isinstance(s, str) and 0.0 <= f <= 1.0 for s, f in seen)
    assert seen[-1][1] == 1.0
    with pytest.raises(lq.LqCancelled):
        lq.quantize(W, "bf16", progress=lambda stage, f: True)


def test_exception_in_progress_cancels_and_propagates():
    class Boom(Exception):
        pass

    def progress(stage, fraction):
        raise Boom(stage)

    with pytest.raises(Boom) as info:
        lq.quantize(W, "bf16", progress=progress)
    assert isinstance(info.value.__context__, lq.LqCancelled)


def test_context_object():
    calls = []
    with lq.Context(threads=2, progress=lambda s, f: calls.append(f)) as ctx:
        assert ctx.threads == 2
        ctx.set_progress(None)
        ctx.threads = 0
        assert ctx.threads >= 1
    ctx.close()
    with pytest.raises(TypeError):
        lq.Context(progress=42)


def test_bad_inputs_raise_cleanly():
    with pytest.raises(TypeError, match="must hold floats"):
        lq.quantize(np.ones((2, 256), dtype=np.int32), "f16")
    with pytest.raises(ValueError, match="1 to 4 dimensions"):
        lq.quantize(np.ones((1, 1, 1, 1, 256), dtype=np.float32), "f16")
    with pytest.raises(TypeError):
        lq.quantize(W, 17)
    with pytest.raises(TypeError, match="Calibration"):
        lq.quantize(W, "f16", calib=object())


def test_method_needing_calibration_is_refused_without_it():
    with pytest.raises(lq.LqInvalidArgument, match="needs a calibration set"):
        lq.quantize(W, "gptq:int4")
