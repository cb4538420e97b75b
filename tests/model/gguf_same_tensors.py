"""gguf_same_tensors.py A B — exit 0 when two GGUF files hold the same tensors
in the same order with the same types, shapes and bytes; otherwise print the
first difference and exit 1. Metadata is not compared (llama-quantize records
its own quantize.* keys). Needs gguf-py (the oracle venv has it)."""
import sys

from gguf import GGUFReader


def main():
    a, b = GGUFReader(sys.argv[1]), GGUFReader(sys.argv[2])
    if [t.name for t in a.tensors] != [t.name for t in b.tensors]:
        print("the tensor lists differ")
        return 1
    for x, y in zip(a.tensors, b.tensors):
        if x.tensor_type != y.tensor_type or list(x.shape) != list(y.shape):
            print(f"{x.name}: {x.tensor_type.name} {list(x.shape)} vs "
                  f"{y.tensor_type.name} {list(y.shape)}")
            return 1
        if x.data.tobytes() != y.data.tobytes():
            print(f"{x.name}: the bytes differ")
            return 1
    print(f"{len(a.tensors)} tensors equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
