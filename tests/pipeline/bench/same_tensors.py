#!/usr/bin/env python3
"""same_tensors.py A.gguf B.gguf — do two GGUF files hold the same tensors, in
the same order, with the same types, shapes and bytes? Prints "identical" or
the first difference (exit 1). The metadata is not compared: where
general.file_type sits among the keys is a separate matter (the test
test_llama_quantize makes the same comparison). Needs gguf-py."""
import sys

import numpy as np
import gguf


def main():
    a, b = (gguf.GGUFReader(p) for p in sys.argv[1:3])
    if len(a.tensors) != len(b.tensors):
        print(f"differ: {len(a.tensors)} against {len(b.tensors)} tensors")
        return 1
    for x, y in zip(a.tensors, b.tensors):
        what = (x.name != y.name and "name") or (x.tensor_type != y.tensor_type and "type") or \
            (list(x.shape) != list(y.shape) and "shape") or \
            (not np.array_equal(x.data.view(np.uint8), y.data.view(np.uint8)) and "bytes")
        if what:
            print(f"differ: tensor {x.name} / {y.name}: {what}")
            return 1
    print("identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
