"""imatrix_compare.py OURS REF TOLERANCE — compare two importance-matrix files
of the same form (llama-imatrix's GGUF or legacy .dat, told apart by magic):
the same keys with the same values (datasets, chunk count and size), the same
entries in the same order with the same shapes, token counts (GGUF) or call
counts (.dat) equal, and every value within TOLERANCE relative to the
reference's. Prints what differs and exits 1 when anything does, 0 otherwise;
exit 2 when a file cannot be read. Needs numpy, and gguf-py for the GGUF form
(the oracle venv has both)."""
import struct
import sys

import numpy as np


def read_dat(path):
    with open(path, "rb") as f:
        b = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from(fmt, b, pos)
        pos += struct.calcsize(fmt)
        return v

    (n,) = take("<i")
    entries = []
    for _ in range(n):
        (ln,) = take("<i")
        name = b[pos:pos + ln].decode()
        pos += ln
        ncall, nval = take("<ii")
        vals = np.frombuffer(b, dtype="<f4", count=nval, offset=pos).astype(np.float64)
        pos += 4 * nval
        entries.append((name, (nval,), [ncall], vals))
    (chunks,) = take("<i")
    (ln,) = take("<i")
    meta = {"chunk_count": chunks, "dataset": b[pos:pos + ln].decode()}
    if pos + ln != len(b):
        raise ValueError(f"{path}: {len(b) - pos - ln} bytes after the trailer")
    return meta, entries


def read_gguf(path):
    from gguf import GGUFReader
    r = GGUFReader(path)
    meta = {}
    for name, field in r.fields.items():
        if name.startswith("GGUF."):
            continue
        vals = [field.parts[i] for i in field.data]
        if field.types[-1].name == "STRING":
            vals = [bytes(v).decode() for v in vals]
        else:
            vals = [v.tolist() for v in vals]
        meta[name] = vals
    by_name = {t.name: t for t in r.tensors}
    entries = []
    for t in r.tensors:
        if not t.name.endswith(".in_sum2"):
            continue
        base = t.name[:-len(".in_sum2")]
        c = by_name.get(base + ".counts")
        if c is None or t.tensor_type.name != "F32" or c.tensor_type.name != "F32":
            raise ValueError(f"{path}: {base}: no f32 .counts beside an f32 .in_sum2")
        entries.append((base, tuple(int(d) for d in t.shape),
                        np.array(c.data, dtype=np.float64).reshape(-1).tolist(),
                        np.array(t.data, dtype=np.float64).reshape(-1)))
    order = [t.name for t in r.tensors]
    return meta, entries, order


def main():
    ours, ref, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
    with open(ref, "rb") as f:
        is_gguf = f.read(4) == b"GGUF"
    problems = []
    try:
        if is_gguf:
            (ma, ea, oa), (mb, eb, ob) = read_gguf(ours), read_gguf(ref)
            if oa != ob:
                problems.append(f"tensor order differs: {oa[:4]}... vs {ob[:4]}...")
        else:
            (ma, ea), (mb, eb) = read_dat(ours), read_dat(ref)
    except (OSError, ValueError, struct.error) as e:
        print(f"cannot read: {e}")
        return 2
    if ma != mb:
        problems.append(f"metadata differs: {ma} vs {mb}")
    names_a, names_b = [e[0] for e in ea], [e[0] for e in eb]
    if names_a != names_b:
        problems.append(f"entries differ: only ours {sorted(set(names_a) - set(names_b))}, "
                        f"only the reference's {sorted(set(names_b) - set(names_a))}")
    worst, worst_name = 0.0, ""
    ref_by_name = {e[0]: e for e in eb}
    for name, shape, counts, vals in ea:
        if name not in ref_by_name:
            continue
        _, rshape, rcounts, rvals = ref_by_name[name]
        if shape != rshape:
            problems.append(f"{name}: shape {shape} vs {rshape}")
            continue
        if counts != rcounts:
            problems.append(f"{name}: counts {counts} vs {rcounts}")
        if not np.all(rvals > 0):
            problems.append(f"{name}: the reference has values <= 0")
            continue
        rel = float(np.max(np.abs(vals - rvals) / rvals))
        if rel > worst:
            worst, worst_name = rel, name
    if worst > tol:
        problems.append(f"largest relative difference {worst:.3g} ({worst_name}) > {tol:.3g}")
    for p in problems:
        print(p)
    print(f"{len(ea)} entries, largest relative difference {worst:.3g} ({worst_name}), "
          f"tolerance {tol:.3g}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
