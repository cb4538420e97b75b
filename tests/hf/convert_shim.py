#!/usr/bin/env python3
"""Runs llama.cpp's convert_hf_to_gguf.py on the fixture checkpoints.

    convert_shim.py CONVERTER_DIR JOBS_JSON

JOBS_JSON is a list of {"model", "outtype", "outfile", "pre"}. All jobs run in
this one process. One adjustment, outside the converter's own code and
recorded in doc/hf-input.md: the converter names a BPE pre-tokenizer
(tokenizer.ggml.pre) by hashing the token ids the tokenizer gives for a fixed
text, against a table of published tokenizers. The fixtures' tokenizers are
trained here, so their hash is in no table and the converter would stop.
When (and only when) the hash is unknown, the name given in the job is used
instead: the name the published tokenizer with the same pre-tokenizer gets
(llama-bpe for Llama-3's regex, qwen2 for Qwen2's).

Each GGUF is written under a temporary name and renamed when complete.
"""
import json
import os
import runpy
import sys
from pathlib import Path


def main():
    converter = Path(sys.argv[1])
    jobs = json.loads(sys.argv[2])
    script = converter / "convert_hf_to_gguf.py"
    sys.path.insert(0, str(converter))
    import conversion  # the converter's package, from the path above

    original = conversion.TextModel.get_vocab_base_pre
    wanted = {"pre": None}

    def vocab_pre(self, tokenizer):
        try:
            return original(self, tokenizer)
        except NotImplementedError:
            if wanted["pre"] is None:
                raise
            return wanted["pre"]

    conversion.TextModel.get_vocab_base_pre = vocab_pre

    for job in jobs:
        wanted["pre"] = job["pre"]
        tmp = job["outfile"] + ".tmp"
        sys.argv = [str(script), job["model"], "--outtype", job["outtype"], "--outfile", tmp]
        try:
            runpy.run_path(str(script), run_name="__main__")
        except SystemExit as e:
            if e.code not in (None, 0):
                raise
        os.replace(tmp, job["outfile"])


if __name__ == "__main__":
    main()
