"""Threads: many threads reading one tensor give the single-threaded bits,
and closing a file or tensor while another thread computes with it is safe
(the C object is freed when the call ends; new calls raise ValueError)."""
import threading

import numpy as np
import pytest

import libquant as lq
from conftest import quantize_or_skip, run_python

RNG = np.random.default_rng(11)
SCHEMES = ["q4_0", "q4_k", "int4", "int3", "nf4", "fp4", "fp8_e4m3", "f16", "bf16"]


def run_threads(n, fn):
    """fn(i) on n threads at once; the exceptions they raised."""
    errors = []

    def body(i):
        try:
            fn(i)
        except BaseException as e:  # reported to the test, not lost in the thread
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.parametrize("scheme", SCHEMES)
def test_many_threads_read_one_tensor(scheme):
    w = RNG.standard_normal((96, 512)).astype(np.float32)
    x = RNG.standard_normal((40, 512)).astype(np.float32)
    q = quantize_or_skip(w, scheme)
    calls = [(rows, act) for rows in (1, 40) for act in ("auto", "8bit", "f32")]
    want = {c: lq.matmul(x[:c[0]], q, threads=1, act=c[1]) for c in calls}
    want_dq = q.dequantize(threads=1)
    mismatches = []

    def work(i):
        for _ in range(3):
            for c in calls[i % len(calls):] + calls[:i % len(calls)]:
                y = lq.matmul(x[:c[0]], q, threads=1 + i % 2, act=c[1])
                if not np.array_equal(y, want[c]):
                    mismatches.append((i, c))
            if not np.array_equal(q.dequantize(threads=2), want_dq):
                mismatches.append((i, "dequantize"))

    assert run_threads(8, work) == []
    assert mismatches == []
    q.close()


def test_closing_a_tensor_in_use_frees_it_after_the_call():
    q = lq.quantize(RNG.standard_normal((256, 1024)).astype(np.float32), "q4_0")
    x = RNG.standard_normal((64, 1024)).astype(np.float32)
    with q.use():  # as a running call holds it
        q.close()
        with pytest.raises(ValueError, match="closed"):
            lq.matmul(x, q)  # no new call starts
        assert q.shape == (256, 1024)  # the holder's handle is still valid
    with pytest.raises(ValueError, match="closed"):
        q.handle


# Run in a fresh interpreter: a crash (the defect this guards against) then
# fails this test instead of killing the test run.
CLOSE_WHILE_MULTIPLYING = r'''
import threading, time
import numpy as np
import libquant as lq

kind, path, rounds = KIND, PATH, ROUNDS
rng = np.random.default_rng(3)
x = rng.standard_normal((32, 2048)).astype(np.float32)
opener = lq.GGUF.open if kind == "gguf" else lq.Safetensors.open
with opener(path) as f:
    want = lq.matmul(x, f.tensor("w"), threads=1)
for r in range(rounds):
    f = opener(path)
    t = f.tensor("w")
    started, results, errors = threading.Event(), [], []

    def multiply():
        try:
            while True:
                started.set()
                results.append(lq.matmul(x, t, threads=1))
        except ValueError as e:  # the tensor was closed: the expected end
            errors.append(str(e))

    th = threading.Thread(target=multiply)
    th.start()
    started.wait()
    time.sleep(0.002 * (r % 5))
    f.close()
    th.join()
    assert errors and "closed" in errors[0], errors
    assert all(np.array_equal(y, want) for y in results)
    # the closed file refuses new work
    try:
        f.tensor("w")
        raise AssertionError("a closed file gave a tensor")
    except ValueError:
        pass
print("ok", rounds)
'''


@pytest.mark.parametrize("kind", ["gguf", "safetensors"])
def test_close_file_while_another_thread_multiplies(tmp_path, kind):
    w = RNG.standard_normal((512, 2048)).astype(np.float32)
    path = tmp_path / f"m.{kind}"
    if kind == "gguf":
        g = lq.GGUF()
        with lq.quantize(w, "q4_0", name="w") as q:
            g.add_tensor(q)
    else:
        g = lq.Safetensors()
        g.add_tensor(w, "w")
    g.save(path)
    g.close()
    code = CLOSE_WHILE_MULTIPLYING.replace("KIND, PATH, ROUNDS", f"{kind!r}, {str(path)!r}, 20")
    r = run_python(code)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "ok 20"
