"""The README example runs as written (so it cannot rot)."""
import re

import pytest

from conftest import PACKAGE_ROOT, run_python


def readme_example(index=0):
    text = (PACKAGE_ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) > index, "README.md lacks a python example"
    return blocks[index]


def test_readme_example_runs():
    r = run_python(readme_example())
    if r.returncode != 0 and "LqUnsupported" in r.stderr:
        pytest.skip("the example's codecs are not in this build: " + r.stderr.splitlines()[-1])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"int4:g128:sym: 4\.\d{3} bits/weight, RMSE 0\.\d{6}", lines[0]), lines
    assert re.fullmatch(r"q4_k: 4\.\d{3} bits/weight, RMSE 0\.\d{6}", lines[1]), lines


def test_readme_model_example_runs(tmp_path):
    # The second example runs where the fixture is: link its two files into a
    # scratch folder so the quantized file lands there.
    fixture = PACKAGE_ROOT.parent.parent / "tests" / "model" / "fixture"
    for name in ("tiny-llama-f32.gguf", "heldout.txt"):
        (tmp_path / name).symlink_to(fixture / name)
    r = run_python(readme_example(1), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "tiny-q4_k_m.gguf").stat().st_size > 0
    assert 1 < float(r.stdout) < 512   # a perplexity, below the vocabulary size
