"""tokenizer_keys_oracle.py CONVERTER DIR ARCH N_VOCAB OURS.gguf — runs
convert_hf_to_gguf.py's own byte-level BPE vocabulary step (TextModel.
_set_vocab_gpt2, with its pre-tokenizer hash) on the tokenizer folder DIR,
and compares its keys with OURS.gguf (written by tokenizer_keys_tool): the
same tokenizer.* keys in the same order, with the same types and bytes.
CONVERTER is the converter folder of the HF fixtures (tests/hf/make_fixtures.py).
Prints one line, "same" or what differs; exits 0 when the same, 1 otherwise."""
import os
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


def tokenizer_fields(path):
    r = gguf.GGUFReader(path)
    return [(k, f) for k, f in r.fields.items() if k.startswith("tokenizer.")]


with tempfile.TemporaryDirectory() as tmp:
    want_path = os.path.join(tmp, "converter.gguf")
    converter_keys(want_path)
    want, got = tokenizer_fields(want_path), tokenizer_fields(ours)
    if [k for k, _ in want] != [k for k, _ in got]:
        print("keys differ: converter %s, ours %s" % ([k for k, _ in want], [k for k, _ in got]))
        sys.exit(1)
    for (k, a), (_, b) in zip(want, got):
        same = len(a.parts) == len(b.parts) and all(
            bytes(x) == bytes(y) for x, y in zip(a.parts, b.parts))
        if not same:
            print("%s differs" % k)
            sys.exit(1)
    print("same: %d keys" % len(want))
