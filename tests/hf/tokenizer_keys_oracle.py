"""tokenizer_keys_oracle.py CONVERTER DIR ARCH N_VOCAB OURS.gguf — runs
convert_hf_to_gguf.py's own byte-level BPE vocabulary step (TextModel.
_set_vocab_gpt2, with its pre-tokenizer hash) on the tokenizer folder DIR,
and compares its keys with OURS.gguf (written by tokenizer_keys_tool): the
same tokenizer.* keys in the same order, with the same types and bytes.
CONVERTER is the converter folder of the HF fixtures (tests/hf/make_fixtures.py).
Prints one line, "same" or what differs; exits 0 when the same, 1 otherwise."""
import os
import struct
import sys
import tempfile
import types
from pathlib import Path

converter, folder, arch, n_vocab, ours = sys.argv[1:6]
sys.path.insert(0, converter)
sys.path.insert(0, os.path.join(converter, "gguf-py"))
import gguf  # noqa: E402
from conversion import base  # noqa: E402


def converter_keys(path):
    TM = base.TextModel
    m = types.SimpleNamespace(dir_model=Path(folder), hparams={"vocab_size": int(n_vocab)})
    m.get_vocab_base_pre = lambda tok: TM.get_vocab_base_pre(m, tok)
    m.does_token_look_special = lambda t: TM.does_token_look_special(m, t)
    m.get_vocab_base = lambda: TM.get_vocab_base(m)
    m.gguf_writer = gguf.GGUFWriter(path, arch)
    TM._set_vocab_gpt2(m)
    m.gguf_writer.write_header_to_file()
    m.gguf_writer.write_kv_data_to_file()
    m.gguf_writer.close()


# GGUF value types' fixed sizes (gguf's GGUFValueType numbering); 8 is a
# string, 9 an array
SCALAR_SIZE = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}


def tokenizer_fields(path):
    """The tokenizer.* keys of a GGUF file, in order, each with the raw bytes
    of its type and value. A plain walk of the key/value section: gguf-py's
    GGUFReader builds a numpy view per array element, minutes for a 150k
    vocabulary, and the comparison only needs the bytes."""
    data = open(path, "rb").read()
    magic, _version, _n_tensors, n_kv = struct.unpack_from("<4sIQQ", data, 0)
    assert magic == b"GGUF", path
    pos = 24

    def skip(t, pos):
        if t in SCALAR_SIZE:
            return pos + SCALAR_SIZE[t]
        if t == 8:
            return pos + 8 + struct.unpack_from("<Q", data, pos)[0]
        assert t == 9, "value type %d in %s" % (t, path)
        et, count = struct.unpack_from("<IQ", data, pos)
        pos += 12
        if et in SCALAR_SIZE:
            return pos + count * SCALAR_SIZE[et]
        for _ in range(count):
            pos = skip(et, pos)
        return pos

    fields = []
    for _ in range(n_kv):
        klen = struct.unpack_from("<Q", data, pos)[0]
        key = data[pos + 8:pos + 8 + klen].decode()
        start = pos + 8 + klen
        end = skip(struct.unpack_from("<I", data, start)[0], start + 4)
        if key.startswith("tokenizer."):
            fields.append((key, data[start:end]))
        pos = end
    return fields


with tempfile.TemporaryDirectory() as tmp:
    want_path = os.path.join(tmp, "converter.gguf")
    converter_keys(want_path)
    want = tokenizer_fields(want_path)
    try:
        got = tokenizer_fields(ours)
    except (struct.error, AssertionError, UnicodeDecodeError) as e:
        print("cannot read %s: %s" % (ours, e))
        sys.exit(1)
    if [k for k, _ in want] != [k for k, _ in got]:
        print("keys differ: converter %s, ours %s" % ([k for k, _ in want], [k for k, _ in got]))
        sys.exit(1)
    for (k, a), (_, b) in zip(want, got):
        if a != b:
            print("%s differs" % k)
            sys.exit(1)
    print("same: %d keys" % len(want))
