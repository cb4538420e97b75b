"""special_vocab_diff.py CONVERTER TOOL [SEED [CASES]] — differential test of
libquant's port of gguf-py's SpecialVocab (libquant/hf/tok_special.c) and
of the converter's SentencePiece vocabulary step:
seeded random tokenizer folders (post-processors: TemplateProcessing of
many shapes, RobertaProcessing, a Sequence holding one; tokenizer_config.json
special tokens as strings, dicts, empty or null, add_*_token flags, chat
templates as a string, null or a named list; config.json ids as integers,
lists, null or out of range; chat_template.jinja or not), each written as
GGUF keys by the converter's own SpecialVocab (from CONVERTER, the HF
fixtures' converter folder) and by lq__hf_tokenizer_keys (TOOL,
tokenizer_keys_tool): the keys after the vocabulary must be the same, in
the same order, with the same types and values. Then CASES/3 folders holding
the fixtures' SentencePiece tokenizer.model with random added_tokens.json,
added_tokens_decoder entries (special or not, looking special or not, with
▁ or not, past the vocabulary) and vocabulary sizes, written by the
converter's _set_vocab_sentencepiece and by lq__hf_tokenizer_keys: every
key the same. TAP, one case per folder."""
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

converter, tool = sys.argv[1], sys.argv[2]
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
cases = int(sys.argv[4]) if len(sys.argv) > 4 else 150
spm_cases = cases // 3  # each loads torch's share of the converter's work: slower
sys.path.insert(0, os.path.join(converter, "gguf-py"))
import gguf  # noqa: E402

sys.path.insert(0, converter)
from conversion import base  # noqa: E402

logging.disable(logging.CRITICAL)  # the converter warns about odd templates, by design here

LLAMA3_RE = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
             r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
TOKENS = ["<s>", "</s>", "<|e|>", "<cls>", "<sep>", "<pad>", "<mask>", "x"]
VOCAB_KEYS = ("tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens",
              "tokenizer.ggml.token_type")
R = random.Random(seed)


def special(t):
    return {"SpecialToken": {"id": t, "type_id": 0}}


def sequence(s):
    return {"Sequence": {"id": s, "type_id": 0}}


def some_token():
    return R.choice(TOKENS + [None, ""])


def template():
    single = []
    if R.random() < .7:
        single.append(special(some_token() or "<s>"))
    single.append(sequence("A"))
    if R.random() < .5:
        single.append(special(some_token() or "</s>"))
    pair = []
    if R.random() < .8:
        ends_special = len(single) > 1 and "SpecialToken" in single[-1]
        pair = list(single[:-1] if ends_special else single)
        for _ in range(R.randint(0, 2)):
            pair.append(special(some_token() or "</s>"))
        pair.append(sequence(R.choice(["B", "B", "A"])))
        if R.random() < .5 and ends_special:
            pair.append(single[-1])
    return {"type": "TemplateProcessing", "single": single, "pair": pair}


def post_processor():
    r = R.random()
    if r < .15:
        return None
    if r < .3:
        if R.random() < .5:
            return {"type": "RobertaProcessing", "sep": [some_token() or "</s>", 2],
                    "cls": [some_token() or "<s>", 0]}
        return {"type": "RobertaProcessing"}
    if r < .4:
        return {"type": "Sequence", "processors": [{"type": "ByteLevel"}, template()]}
    return template()


def config_token():
    t, r = some_token(), R.random()
    if r < .2:
        return None
    if r < .35:
        return {"content": t if t is not None else "x"}
    return t


def make_folder(d):
    added = [{"id": 10 + i, "content": t, "special": True} for i, t in enumerate(TOKENS[:-1])]
    tokjson = {
        "added_tokens": added, "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": LLAMA3_RE}, "behavior": "Isolated",
             "invert": False},
            {"type": "ByteLevel", "use_regex": False}]},
        "post_processor": post_processor(),
        "model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": []}}
    with open(os.path.join(d, "tokenizer.json"), "w") as f:
        json.dump(tokjson, f)
    if R.random() < .85:
        cfg = {}
        for k in ["bos", "eos", "cls", "sep", "pad", "unk", "mask", "eot"]:
            if R.random() < .5:
                cfg[k + "_token"] = config_token()
        for k in ["bos", "eos", "sep"]:
            if R.random() < .3:
                cfg["add_%s_token" % k] = R.choice([True, False, None])
        if R.random() < .3:
            cfg["chat_template"] = R.choice(["T", None, [
                {"name": "default", "template": "D"}, {"name": "a-b", "template": "AB"}]])
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            json.dump(cfg, f)
    if R.random() < .5:
        config = {k + "_token_id": R.choice([None, 1, 12, [13, 14], 99])
                  for k in ["bos", "eos", "pad", "sep", "eot"] if R.random() < .5}
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f)
    if R.random() < .3:
        with open(os.path.join(d, "chat_template.jinja"), "w") as f:
            f.write("J\n")


def converter_keys(d):
    w = gguf.GGUFWriter(None, "llama")
    gguf.SpecialVocab(d, load_merges=True).add_to_gguf(w, quiet=True)
    return [(k, v.type.name, bool(v.value) if v.type.name == "BOOL" else v.value)
            for k, v in w.kv_data[0].items() if k != "general.architecture"]


def our_keys(path):
    r = gguf.GGUFReader(path)
    return [(k, f.types[0].name, f.contents()) for k, f in r.fields.items()
            if k.startswith("tokenizer.") and k not in VOCAB_KEYS]


SPM_MODEL = os.path.join(os.path.dirname(converter), "models", "llama2-tied", "tokenizer.model")
SPM_TOKENS = ["<|x|>", "<pad>", "my\u2581tok", "plain", "<unused3>", "<s>"]


def make_spm_folder(d):
    """The fixture's tokenizer.model (1024 pieces) with random additions;
    returns the vocabulary size to pass."""
    shutil.copy(SPM_MODEL, os.path.join(d, "tokenizer.model"))
    if R.random() < .4:
        with open(os.path.join(d, "added_tokens.json"), "w") as f:
            json.dump({t: R.choice([5, 1023, 1025, 1030]) for t in R.sample(SPM_TOKENS, 2)}, f)
    if R.random() < .8:
        dec = {str(R.choice([0, 1, 2, 7, 1022, 1024, 1027, 1040])):
               {"content": t, "special": R.choice([True, False])}
               for t in R.sample(SPM_TOKENS, R.randint(0, 4))}
        with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
            json.dump({"added_tokens_decoder": dec, "add_bos_token": R.choice([True, False])}, f)
    if R.random() < .5:
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump({"bos_token_id": 1, "eos_token_id": R.choice([2, 1029])}, f)
    return R.choice([1000, 1024, 1031])


def converter_spm_keys(d, n_vocab, path):
    TM = base.TextModel
    m = types.SimpleNamespace(dir_model=Path(d), hparams={"vocab_size": n_vocab})
    m.find_hparam = lambda keys, optional=False: TM.find_hparam(m, keys, optional)
    m.does_token_look_special = lambda t: TM.does_token_look_special(m, t)
    m._create_vocab_sentencepiece = lambda: TM._create_vocab_sentencepiece(m)
    m.gguf_writer = gguf.GGUFWriter(path, "llama")
    TM._set_vocab_sentencepiece(m)
    m.gguf_writer.write_header_to_file()
    m.gguf_writer.write_kv_data_to_file()
    m.gguf_writer.close()
    r = gguf.GGUFReader(path)
    return [(k, f.types[0].name, [bytes(x) for x in f.parts]) for k, f in r.fields.items()
            if k.startswith("tokenizer.")]


def our_spm_keys(path):
    r = gguf.GGUFReader(path)
    return [(k, f.types[0].name, [bytes(x) for x in f.parts]) for k, f in r.fields.items()
            if k.startswith("tokenizer.")]


def report(i, d, want, got, p):
    print("not ok %d - folder %d" % (i + 1, i))
    if got is not None and want is not None and [k for k, *_ in want] == [k for k, *_ in got]:
        print("#   keys whose values differ: %s" % [w[0] for w, g in zip(want, got) if w != g])
    else:
        print("#   converter: %s" % ([w[:2] for w in want],))
        print("#   libquant:  %s" % ([g[:2] for g in got] if got is not None else p.stderr.strip(),))
    for name in ("tokenizer.json", "tokenizer_config.json", "config.json", "added_tokens.json"):
        path = os.path.join(d, name)
        if os.path.exists(path):
            with open(path) as f:
                print("#   %s: %s" % (name, f.read()[:600]))


print("1..%d" % (cases + spm_cases))
failed = 0
with tempfile.TemporaryDirectory() as tmp:
    for i in range(cases):
        d = os.path.join(tmp, "f%d" % i)
        os.makedirs(d)
        make_folder(d)
        want = converter_keys(d)
        out = os.path.join(d, "ours.gguf")
        p = subprocess.run([tool, d, "llama", "18", out], capture_output=True, text=True)
        got = our_keys(out) if p.returncode == 0 else None
        if got == want:
            print("ok %d - folder %d: %d keys" % (i + 1, i, len(want)))
            shutil.rmtree(d)
            continue
        failed += 1
        report(i, d, want, got, p)
    for i in range(cases, cases + spm_cases):
        d = os.path.join(tmp, "f%d" % i)
        os.makedirs(d)
        n_vocab = make_spm_folder(d)
        want = converter_spm_keys(d, n_vocab, os.path.join(d, "converter.gguf"))
        out = os.path.join(d, "ours.gguf")
        p = subprocess.run([tool, d, "llama", str(n_vocab), out], capture_output=True, text=True)
        got = our_spm_keys(out) if p.returncode == 0 else None
        if got == want:
            print("ok %d - SentencePiece folder %d: %d keys" % (i + 1, i, len(want)))
            shutil.rmtree(d)
        else:
            failed += 1
            report(i, d, want, got, p)
sys.exit(1 if failed else 0)
