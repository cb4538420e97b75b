"""The README example runs as written (so it cannot rot)."""
import re

import pytest

from conftest import PACKAGE_ROOT, run_python


def readme_example():
    text = (PACKAGE_ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "README.md has no python example"
    return blocks[0]


def test_readme_example_runs():
    r = run_python(readme_example())
    if r.returncode != 0 and "LqUnsupported" in r.stderr:
        pytest.skip("the example's codecs are not in this build: " + r.stderr.splitlines()[-1])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(r"int4:g128:sym: 4\.\d{3} bits/weight, RMSE 0\.\d{6}", lines[0]), lines
    assert re.fullmatch(r"q4_k: 4\.\d{3} bits/weight, RMSE 0\.\d{6}", lines[1]), lines
