#!/usr/bin/env python3
"""Runs llama.cpp's convert_hf_to_gguf.py on the fixture checkpoints.

    convert_shim.py CONVERTER_DIR JOBS_JSON

JOBS_JSON is a list of {"model", "outtype", "outfile", "pre"}. All jobs run in
this one process. Two adjustments, both outside the converter's own code and
both recorded in doc/hf-input.md:

- Debian's torch 1.13 has no float8 dtypes, which the converter names in its
  dtype tables at import time. They are aliased to uint8 (the byte container
  the converter itself falls back to for F8_E8M0); the fixtures hold no FP8
  tensor, so no conversion ever goes through these entries.
- The converter names a BPE pre-tokenizer (tokenizer.ggml.pre) by hashing the
  token ids the tokenizer gives for a fixed text, against a table of published
  tokenizers. The fixtures' tokenizers are trained here, so their hash is in no
  table and the converter would stop. When (and only when) the hash is
  unknown, the name given in the job is used instead; it is the name the
  published tokenizer with the same pre-tokenizer gets (llama-bpe for
  Llama-3's regex, qwen2 for Qwen2's).

Each GGUF is written under a temporary name and renamed when complete.
"""
import json
import os
import runpy
import sys
from pathlib import Path

import torch

for _name in ("float8_e4m3fn", "float8_e5m2"):
    if not hasattr(torch, _name):
        setattr(torch, _name, torch.uint8)


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
