#!/usr/bin/env python3
"""Hugging Face fixtures and oracles for libquant's HF-checkpoint input.

Run with the venv's python (.ci/install-deps makes it):

    make_fixtures.py CACHE_DIR [--bundle GIT_BUNDLE] [--kjv KJV_TXT]

Writes into CACHE_DIR (layout in doc/hf-input.md):
  text/           the KJV training text, a KJV sample and a Unicode stress text
  tokenizers/     byte-level BPEs (Llama-3 and Qwen2 pre-tokenizers) and a
                  SentencePiece model, trained on the KJV
  models/NAME/    random-initialised checkpoints written by save_pretrained
  oracle/         transformers float32 logits per model, HF token ids
  gguf/           what llama.cpp's convert_hf_to_gguf.py makes of each model
                  (FP8 and NVFP4 checkpoints, models/*-fp8-*, *-nvfp4:
                  f32 and bf16 only)
  manifest.json   every output with its size and sha256

Everything is seeded and single-threaded so the bytes repeat run to run. Each
step records a stamp (a hash of this script, the step's parameters and its
inputs' stamps); a step whose stamp and outputs are present is skipped.
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# One thread for torch and the tokenizers' Rust pool: other jobs share the CPU,
# and the BPE trainer's merge order must not depend on thread scheduling.
os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
SCRIPT_HASH = hashlib.sha256(
    (HERE / "make_fixtures.py").read_bytes() + (HERE / "convert_shim.py").read_bytes()).hexdigest()

SEED = 1234
VOCAB = 1024          # every tokenizer and every model: a multiple of 256, not equal to any other dim
OUTTYPES = ("f32", "f16", "bf16", "q8_0")
# the folders the manifest lists (converter/ is llama.cpp's code, not an output)
OUTPUT_DIRS = ("text", "tokenizers", "models", "oracle", "gguf")

# Llama-3's and Qwen2's pre-tokenizer regexes as their tokenizer.json files
# publish them; they differ only in digit runs (at most 3 digits vs one).
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
               r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

LLAMA3_CHAT = ("{{ bos_token }}{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
               "{{ m['content'] | trim }}<|eot_id|>{% endfor %}"
               "{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}")
CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
LLAMA2_CHAT = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'user' %}[INST] {{ m['content'] | trim }} [/INST]"
               "{% else %} {{ m['content'] | trim }} {{ eos_token }}{% endif %}{% endfor %}")

# name: BPE pre-tokenizer regex, whether the NFC normaliser is on, whether a
# word found whole in the vocabulary skips the merges (Llama-3's tokenizer.json
# sets ignore_merges, and llama.cpp's llama-bpe does the same), specials, bos,
# eos, add_bos, chat template, and the GGUF tokenizer.ggml.pre value it stands
# for (see convert_shim.py)
BPE_TOKENIZERS = {
    "llama3-bpe": dict(regex=LLAMA3_REGEX, nfc=False, ignore_merges=True, add_bos=True, pre="llama-bpe",
                       specials=["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>",
                                 "<|end_header_id|>", "<|eot_id|>"],
                       bos="<|begin_of_text|>", eos="<|eot_id|>", chat=LLAMA3_CHAT),
    "qwen2-bpe": dict(regex=QWEN2_REGEX, nfc=True, ignore_merges=False, add_bos=False, pre="qwen2",
                      specials=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                      bos=None, eos="<|im_end|>", chat=CHATML),
}
SPM_TOKENIZER = "llama2-spm"

COMMON = dict(hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, vocab_size=VOCAB, initializer_range=0.05)
# name: config class, tokenizer, checkpoint dtype, shard size, config overrides
MODELS = {
    "llama3": ("LlamaConfig", "llama3-bpe", "bfloat16", "2MB",
               dict(rope_theta=500000.0, max_position_embeddings=131072, rms_norm_eps=1e-5,
                    tie_word_embeddings=False,
                    rope_scaling=dict(rope_type="llama3", factor=8.0, low_freq_factor=1.0,
                                      high_freq_factor=4.0, original_max_position_embeddings=8192))),
    "llama2-tied": ("LlamaConfig", SPM_TOKENIZER, "float16", None,
                    dict(rope_theta=10000.0, max_position_embeddings=4096, rms_norm_eps=1e-5,
                         tie_word_embeddings=True)),
    "mistral": ("MistralConfig", SPM_TOKENIZER, "float32", None,
                dict(rope_theta=1000000.0, max_position_embeddings=32768, rms_norm_eps=1e-5,
                     sliding_window=None, tie_word_embeddings=False)),
    "qwen2": ("Qwen2Config", "qwen2-bpe", "float16", None,
              dict(rope_theta=1000000.0, max_position_embeddings=32768, rms_norm_eps=1e-6,
                   tie_word_embeddings=False, use_sliding_window=False)),
    "qwen3": ("Qwen3Config", "qwen2-bpe", "bfloat16", None,
              dict(rope_theta=1000000.0, max_position_embeddings=40960, rms_norm_eps=1e-6,
                   head_dim=64, tie_word_embeddings=False, use_sliding_window=False)),
}

# FP8 checkpoints as they are published, made from a dense model's weights
# (doc/hf-input.md, "FP8 checkpoints"): every Linear of the layers becomes
# F8_E4M3 with its scale; embeddings, lm_head and norms stay BF16, as in the
# published checkpoints. name: base model, config overrides, scheme, scale
# dtype. The scale dtypes follow the releases: DeepSeek-V3 stores
# weight_scale_inv as F32, Qwen3's dense FP8 releases as BF16, llm-compressor
# stores weight_scale in the model's dtype.
FP8_MODELS = {
    "llama3-fp8-block": ("llama3", {}, "block", "float32"),
    # 320 is not a multiple of the 128 block: gate/up end in a 64-row block,
    # down in a 64-column block
    "llama3-fp8-block-i320": ("llama3", {"intermediate_size": 320}, "block", "bfloat16"),
    "llama3-fp8-channel": ("llama3", {}, "channel", "bfloat16"),
    "llama3-fp8-tensor": ("llama3", {}, "tensor", "bfloat16"),
    # llm-compressor's NVFP4 (compressed-tensors nvfp4-pack-quantized): the
    # Llama class (Q/K rows reordered) with activation scales (W4A4), and
    # Qwen3 with weights only (W4A16); the scale dtype is E4M3 in both
    "llama3-nvfp4": ("llama3", {}, "nvfp4", "float8_e4m3fn"),
    "qwen3-nvfp4": ("qwen3", {}, "nvfp4-a16", "float8_e4m3fn"),
}
FP8_OUTTYPES = ("f32", "bf16")
FP8_BLOCK = 128
FP8_MAX = 448.0  # the largest finite E4M3FN value
FP8_LINEARS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def fp8_quantization_config(scheme):
    """config.json's quantization_config: Qwen3/DeepSeek "fp8" for blocks,
    llm-compressor's compressed-tensors for channel (FP8_DYNAMIC), tensor
    (static FP8, with an input scale) and NVFP4 (its NVFP4 and NVFP4A16
    presets) as its schema lists every field."""
    if scheme.startswith("nvfp4"):
        def fp4(dynamic):
            return {"actorder": None, "block_structure": None, "dynamic": dynamic, "group_size": 16,
                    "num_bits": 4, "observer": "minmax" if dynamic is False else None,
                    "observer_kwargs": {}, "strategy": "tensor_group", "symmetric": True, "type": "float"}
        return {"config_groups": {"group_0": {
                    "input_activations": fp4("local") if scheme == "nvfp4" else None,
                    "output_activations": None, "targets": ["Linear"], "weights": fp4(False)}},
                "format": "nvfp4-pack-quantized", "global_compression_ratio": None, "ignore": ["lm_head"],
                "kv_cache_scheme": None, "quant_method": "compressed-tensors",
                "quantization_status": "compressed"}
    if scheme == "block":
        return {"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8",
                "weight_block_size": [FP8_BLOCK, FP8_BLOCK]}

    def args(strategy, dynamic, observer):
        return {"actorder": None, "block_structure": None, "dynamic": dynamic, "group_size": None,
                "num_bits": 8, "observer": observer, "observer_kwargs": {}, "strategy": strategy,
                "symmetric": True, "type": "float"}
    inputs = args("token", True, None) if scheme == "channel" else args("tensor", False, "minmax")
    return {"config_groups": {"group_0": {"input_activations": inputs, "output_activations": None,
                                          "targets": ["Linear"], "weights": args(scheme, False, "minmax")}},
            "format": "float-quantized", "global_compression_ratio": None, "ignore": ["lm_head"],
            "kv_cache_scheme": None, "quant_method": "compressed-tensors", "quantization_status": "compressed"}


def fp8_quantize(w, scheme, scale_dtype, torch):
    """(E4M3 weight, stored scale) with weight * scale ~ w. The scale is
    max |w| / 448 over its block, row or tensor, rounded to its stored dtype
    before the weight is divided by it, so the stored pair is consistent."""
    w = w.float()
    rows, cols = w.shape
    if scheme == "block":
        br, bc = -(-rows // FP8_BLOCK), -(-cols // FP8_BLOCK)
        amax = torch.zeros(br, bc)
        for i in range(br):
            for j in range(bc):
                amax[i, j] = w[i * FP8_BLOCK:(i + 1) * FP8_BLOCK, j * FP8_BLOCK:(j + 1) * FP8_BLOCK].abs().max()
    elif scheme == "channel":
        amax = w.abs().amax(dim=1, keepdim=True)
    else:
        amax = w.abs().max().reshape(1)
    scale = (amax / FP8_MAX).clamp(min=1e-12).to(getattr(torch, scale_dtype))
    full = scale.float()
    if scheme == "block":
        full = full.repeat_interleave(FP8_BLOCK, 0).repeat_interleave(FP8_BLOCK, 1)[:rows, :cols]
    # the scale's rounding may push a quotient just past 448, which E4M3FN
    # (no infinity) would turn into NaN
    q = (w / full).clamp(-FP8_MAX, FP8_MAX).to(torch.float8_e4m3fn)
    return q.contiguous(), scale.contiguous()


FP4_LEVELS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)  # E2M1 magnitudes, codes 0-7


def nvfp4_quantize(w, torch):
    """{part: tensor} of one NVFP4 layer as llm-compressor stores it: the
    global scale 448 * 6 / max |w|, per 16 columns an E4M3 scale of
    max |w| / 6 times it, codes the nearest E2M1 value of w over
    (scale / global), two per byte (even column in the low nibble)."""
    w = w.float()
    rows, cols = w.shape
    g = torch.tensor([448.0 * 6.0 / float(w.abs().max())], dtype=torch.float32)
    groups = w.reshape(rows, cols // 16, 16)
    scale = (groups.abs().amax(dim=-1) / 6.0 * g).clamp(max=448.0).to(torch.float8_e4m3fn)
    step = (scale.float() / g).clamp(min=1e-30).unsqueeze(-1)
    mag = (groups / step).abs().reshape(rows, cols, 1)
    codes = (mag - torch.tensor(FP4_LEVELS)).abs().argmin(dim=-1)
    codes = codes | (w < 0).long() * 8
    packed = (codes[:, 0::2] | codes[:, 1::2] << 4).to(torch.uint8)
    return {"weight_packed": packed.contiguous(), "weight_scale": scale.contiguous(),
            "weight_global_scale": g}


def make_fp8_model(cache, name):
    import torch
    import transformers
    from safetensors.torch import load_file, save_file
    base, extra, scheme, scale_dtype = FP8_MODELS[name]
    tok_name = MODELS[base][1]

    def build():
        model = new_model(cache, base, extra)
        tmp = Path(tempfile.mkdtemp(dir=cache.root))
        model.save_pretrained(tmp, safe_serialization=True)
        raw = load_file(tmp / "model.safetensors")
        out = {}
        for key, t in raw.items():
            parts = key.split(".")
            if len(parts) == 6 and parts[-1] == "weight" and parts[-2] in FP8_LINEARS and \
                    scheme.startswith("nvfp4"):
                stem = key.removesuffix("weight")
                out.update({stem + part: v for part, v in nvfp4_quantize(t, torch).items()})
                if scheme == "nvfp4":  # W4A4: a stand-in activation scale (no calibration)
                    out[stem + "input_global_scale"] = torch.tensor([2.5], dtype=torch.float32)
            elif len(parts) == 6 and parts[-1] == "weight" and parts[-2] in FP8_LINEARS:
                q, s = fp8_quantize(t, scheme, scale_dtype, torch)
                out[key] = q
                out[key + ("_scale_inv" if scheme == "block" else "_scale")] = s
                if scheme == "tensor":
                    # static activation scale: no calibration here, so a
                    # stand-in of the right shape and dtype (no reader uses it)
                    out[key.removesuffix("weight") + "input_scale"] = (s.float() * 4).to(s.dtype)
            else:
                out[key] = t
        save_file(out, tmp / "model.safetensors", metadata={"format": "pt"})
        cfg = json.loads((tmp / "config.json").read_text())
        cfg["quantization_config"] = fp8_quantization_config(scheme)
        (tmp / "config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
        for f in (cache.root / "tokenizers" / tok_name).iterdir():
            shutil.copy(f, tmp / f.name)
        replace_dir(tmp, cache.root / "models" / name)
    cache.run(f"fp8/{name}", {"base": base, "extra": extra, "scheme": scheme, "scale": scale_dtype,
                              "common": COMMON, "seed": SEED, "transformers": transformers.__version__,
                              "torch": torch.__version__},
              [f"tokenizer/{tok_name}"], [f"models/{name}/config.json", f"models/{name}/model.safetensors"],
              build)


def fp8_converter_input(model_dir, dest):
    """The converter refuses compressed-tensors "tensor" strategy (it asserts
    channel or block) and cannot map an input_scale; its arithmetic is the
    same broadcast product for a [1] scale. So a per-tensor checkpoint is
    converted from a copy with the strategy renamed "channel" and the input
    scales left out (doc/hf-input.md, "FP8 checkpoints")."""
    from safetensors.torch import load_file, save_file
    shutil.copytree(model_dir, dest)
    cfg = json.loads((dest / "config.json").read_text())
    cfg["quantization_config"]["config_groups"]["group_0"]["weights"]["strategy"] = "channel"
    (dest / "config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    raw = load_file(dest / "model.safetensors")
    save_file({k: v for k, v in raw.items() if not k.endswith(".input_scale")}, dest / "model.safetensors",
              metadata={"format": "pt"})


# The logits oracle's input: ids touching the ends of the vocabulary, then a
# fixed pseudo-random walk to 256 positions. The length matters: llama3 rope
# scaling only changes frequencies with wavelengths above 2048 positions, which
# barely turn in 16 positions (dropping the scaling moved 16-position logits by
# 7e-3, within llama.cpp's own f16 rounding of them).
LOGIT_IDS = [1, 5, 17, 42, 99, 256, 300, 511, 512, 700, 901, 1000, 3, 64, 128, 777] + \
    [(37 + 7919 * i) % VOCAB for i in range(240)]

STRESS_TEXT = (
    "Hello, world! It's 9:45 — they'll say \"we've\" and I'D've; DON'T SHOUT.\n"
    "Numbers: 1 12 123 1234 12345 123456 3.14159 1,000,000 0x1F 2024-06-01\n"
    "Spaces:  two   three    four\tone tab\t\t two tabs \n\n\n three newlines\r\n crlf\n"
    "Ελληνικά καὶ ἀρχαῖα· Русский текст, українська мова; ქართული ენა\n"
    "中文字符与標點，日本語のテキスト、한국어 문장입니다.\n"
    "العربية من اليمين إلى اليسار، עברית גם כן; हिन्दी देवनागरी; தமிழ்; ไทยภาษา\n"
    "Combining: e\u0301 a\u0300 n\u0303 o\u0308 \u1e9b\u0323 Z\u0351\u0327a\u0362l\u0353g\u0316o\u0317\n"
    "Precomposed: é à ñ ö — NFC vs NFD differ here: \u00c5 \u212b \u0041\u030a\n"
    "Emoji: 🦙🦙 😶\u200d🌫️ 👩\u200d👩\u200d👧\u200d👦 🇩🇪🇯🇵 👍🏽 ✅ ❤️\n"
    "Symbols: ∀x∈ℝ, ∑ᵢ xᵢ² ≤ ∞; ©®™ €£¥ ½ ¼ ⅓ ①②③ ℌ𝔢𝔩𝔩𝔬 𝟘𝟙𝟚\n"
    "Punct runs: ......!!!!!!?????? ------======= '''''' ``` \"\"\"\" (((nested))) [x]{y}<z>\n"
    "Zero-width: a\u200bb c\u200cd e\u2060f; NBSP:\u00a0here; ideographic space:\u3000there\n"
    "Control-ish: \u000b vertical tab, \u000c form feed, \u0085 next line, \u2028 line sep\n"
    "Trailing spaces   \n   leading spaces\n"
)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Cache:
    """Per-step stamps: skip a step whose stamp matches and whose outputs exist."""

    def __init__(self, root):
        self.root = Path(root)
        self.stamps = self.root / ".stamps"
        self.stamps.mkdir(parents=True, exist_ok=True)
        self.ran, self.skipped = [], []

    def stamp_of(self, step, params, deps):
        key = json.dumps([SCRIPT_HASH, step, params, [self.read(d) for d in deps]], sort_keys=True)
        return hashlib.sha256(key.encode()).hexdigest()

    def read(self, step):
        p = self.stamps / (step.replace("/", "__") + ".stamp")
        return p.read_text() if p.exists() else None

    def run(self, step, params, deps, outputs, fn):
        stamp = self.stamp_of(step, params, deps)
        outs = [self.root / o for o in outputs]
        if self.read(step) == stamp and all(o.exists() for o in outs):
            self.skipped.append(step)
            return
        t0 = time.monotonic()
        fn()
        missing = [str(o) for o in outs if not o.exists()]
        if missing:
            raise SystemExit(f"make_fixtures: step {step} did not write {missing}")
        (self.stamps / (step.replace("/", "__") + ".stamp")).write_text(stamp)
        self.ran.append((step, round(time.monotonic() - t0, 2)))


def replace_dir(tmp, final):
    """Moves a finished folder into place so a failed step leaves no half folder."""
    if final.exists():
        shutil.rmtree(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, final)


def make_text(cache, kjv_arg):
    def build():
        out = cache.root / "text"
        out.mkdir(parents=True, exist_ok=True)
        if kjv_arg:
            kjv = Path(kjv_arg).read_text(encoding="utf-8")
        else:
            kjv = subprocess.run(["bible", "Gen1:1-Rev22:21"], check=True, capture_output=True,
                                 text=True).stdout
        (out / "kjv.txt").write_text(kjv, encoding="utf-8")
        # the tokenizer oracle's KJV sample: the first and the last 8000 characters
        (out / "kjv-sample.txt").write_text(kjv[:8000] + kjv[-8000:], encoding="utf-8")
        (out / "stress.txt").write_text(STRESS_TEXT, encoding="utf-8")
    cache.run("text", {"kjv": str(kjv_arg)}, [], ["text/kjv.txt", "text/kjv-sample.txt", "text/stress.txt"],
              build)


def make_bpe(cache, name, spec):
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    def build():
        tok = Tokenizer(models.BPE(byte_fallback=False, ignore_merges=spec["ignore_merges"]))
        if spec["nfc"]:
            tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(spec["regex"]), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ])
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=VOCAB - len(spec["specials"]), show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), min_frequency=2)
        tok.train([str(cache.root / "text" / "kjv.txt")], trainer)
        tok.add_special_tokens(spec["specials"])
        if spec["add_bos"]:
            bos = spec["bos"]
            tok.post_processor = processors.TemplateProcessing(
                single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tok.token_to_id(bos))])
        assert tok.get_vocab_size() == VOCAB, tok.get_vocab_size()
        fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=spec["bos"], eos_token=spec["eos"],
                                       clean_up_tokenization_spaces=False, model_max_length=1 << 20)
        fast.chat_template = spec["chat"]
        tmp = Path(tempfile.mkdtemp(dir=cache.root))
        fast.save_pretrained(tmp)
        # transformers records add_bos only for Llama-style classes; write it so
        # readers need not infer it from the post-processor
        cfg_path = tmp / "tokenizer_config.json"
        cfg = json.loads(cfg_path.read_text())
        cfg["add_bos_token"] = spec["add_bos"]
        cfg["add_eos_token"] = False
        cfg_path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        replace_dir(tmp, cache.root / "tokenizers" / name)
    cache.run(f"tokenizer/{name}", spec, ["text"],
              [f"tokenizers/{name}/tokenizer.json", f"tokenizers/{name}/tokenizer_config.json"], build)


def make_spm(cache):
    import sentencepiece as spm
    from transformers import LlamaTokenizer, LlamaTokenizerFast

    params = dict(model_type="bpe", vocab_size=VOCAB, character_coverage=1.0, byte_fallback=True,
                  split_digits=True, allow_whitespace_only_pieces=True, remove_extra_whitespaces=False,
                  normalization_rule_name="identity", unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
                  add_dummy_prefix=True, shuffle_input_sentence=False, input_sentence_size=0,
                  num_threads=1, seed_sentencepiece_size=100000, max_sentence_length=8192)

    def build():
        tmp = Path(tempfile.mkdtemp(dir=cache.root))
        spm.SentencePieceTrainer.train(input=str(cache.root / "text" / "kjv.txt"),
                                       model_prefix=str(tmp / "tokenizer"), minloglevel=2, **params)
        (tmp / "tokenizer.vocab").unlink()
        # the trainer records its input and output paths in the model; fixed
        # names keep the file's bytes independent of where the cache is
        from sentencepiece import sentencepiece_model_pb2
        proto = sentencepiece_model_pb2.ModelProto()
        proto.ParseFromString((tmp / "tokenizer.model").read_bytes())
        del proto.trainer_spec.input[:]
        proto.trainer_spec.input.append("kjv.txt")
        proto.trainer_spec.model_prefix = "tokenizer"
        (tmp / "tokenizer.model").write_bytes(proto.SerializeToString())
        slow = LlamaTokenizer(vocab_file=str(tmp / "tokenizer.model"), legacy=False, add_bos_token=True,
                              add_eos_token=False)
        fast = LlamaTokenizerFast(vocab_file=str(tmp / "tokenizer.model"), legacy=False, add_bos_token=True,
                                  add_eos_token=False, from_slow=True)
        assert len(slow) == VOCAB and len(fast) == VOCAB, (len(slow), len(fast))
        fast.chat_template = LLAMA2_CHAT
        fast.save_pretrained(tmp)
        replace_dir(tmp, cache.root / "tokenizers" / SPM_TOKENIZER)
    cache.run(f"tokenizer/{SPM_TOKENIZER}", params, ["text"],
              [f"tokenizers/{SPM_TOKENIZER}/tokenizer.model", f"tokenizers/{SPM_TOKENIZER}/tokenizer.json"], build)


def make_token_oracle(cache, name):
    from transformers import AutoTokenizer

    def build():
        tok = AutoTokenizer.from_pretrained(cache.root / "tokenizers" / name)
        spm_model = cache.root / "tokenizers" / name / "tokenizer.model"
        out = {}
        for text_name in ("kjv-sample", "stress"):
            # bytes decoded, not read_text: universal newlines would turn the
            # stress text's \r\n into \n
            text = (cache.root / "text" / f"{text_name}.txt").read_bytes().decode("utf-8")
            hf = {"ids": tok.encode(text, add_special_tokens=False),
                  "ids_with_specials": tok.encode(text, add_special_tokens=True)}
            if spm_model.exists():
                # transformers' fast Llama tokenizer (legacy=False) drops the
                # dummy-prefix "▁" that SentencePiece itself puts before the
                # first piece, and llama.cpp follows SentencePiece: the oracle
                # is the sentencepiece library, the fast tokenizer's ids are
                # kept beside it for the record
                import sentencepiece
                ids = sentencepiece.SentencePieceProcessor(model_file=str(spm_model)).encode(text)
                out[text_name] = {"ids": ids, "ids_with_specials": [tok.bos_token_id] + ids,
                                  "transformers_fast": hf}
            else:
                out[text_name] = hf
        out["chat"] = tok.apply_chat_template(
            [{"role": "user", "content": "Who made the heaven?"}, {"role": "assistant", "content": "God."}],
            tokenize=True, add_generation_prompt=False)
        (cache.root / "oracle").mkdir(exist_ok=True)
        (cache.root / "oracle" / f"tokens-{name}.json").write_text(json.dumps(out) + "\n")
    cache.run(f"tokens/{name}", {}, ["text", f"tokenizer/{name}"], [f"oracle/tokens-{name}.json"], build)


def randomise_defaults(model, torch):
    """transformers initialises norms to 1 and biases to 0, which would hide a
    runner that skips them or applies them to the wrong tensor: give them
    seeded values around their defaults instead."""
    gen = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        for pname, p in sorted(model.named_parameters()):
            if pname.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            elif pname.endswith(".bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))


def new_model(cache, name, extra=None):
    """The seeded random model of MODELS[name] (config overrides `extra` on
    top), in its checkpoint dtype."""
    import torch
    import transformers
    cls_name, tok_name, dtype, _, overrides = MODELS[name]
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    cfg_cls = getattr(transformers, cls_name)
    tok = transformers.AutoTokenizer.from_pretrained(cache.root / "tokenizers" / tok_name)
    cfg = cfg_cls(**{**COMMON, **(extra or {})}, **overrides, torch_dtype=dtype,
                  bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                  attn_implementation="eager")
    model = transformers.AutoModelForCausalLM.from_config(cfg, torch_dtype=torch.float32,
                                                          attn_implementation="eager")
    randomise_defaults(model, torch)
    return model.to(getattr(torch, dtype))


def make_model(cache, name):
    import torch
    import transformers
    cls_name, tok_name, dtype, shard, overrides = MODELS[name]

    def build():
        model = new_model(cache, name)
        tok_dir = cache.root / "tokenizers" / tok_name
        tmp = Path(tempfile.mkdtemp(dir=cache.root))
        kwargs = {"safe_serialization": True}
        if shard:
            kwargs["max_shard_size"] = shard
        model.save_pretrained(tmp, **kwargs)
        for f in tok_dir.iterdir():
            shutil.copy(f, tmp / f.name)
        replace_dir(tmp, cache.root / "models" / name)
    outs = [f"models/{name}/config.json"]
    outs.append(f"models/{name}/model.safetensors.index.json" if shard else f"models/{name}/model.safetensors")
    cache.run(f"model/{name}", {"cls": cls_name, "dtype": dtype, "shard": shard, "cfg": overrides,
                                "common": COMMON, "seed": SEED, "transformers": transformers.__version__,
                                "torch": torch.__version__},
              [f"tokenizer/{tok_name}"], outs, build)


def save_logits(cache, name, model, **about):
    """oracle/NAME/logits.npy: the float32 model's logits on LOGIT_IDS, and
    logits.json saying how they were made."""
    import numpy as np
    import torch
    import transformers
    with torch.no_grad():
        logits = model(torch.tensor([LOGIT_IDS])).logits[0].to(torch.float32).numpy()
    out = cache.root / "oracle" / name
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / "logits.npy", np.ascontiguousarray(logits, dtype="<f4"))
    (out / "logits.json").write_text(json.dumps({
        "input_ids": LOGIT_IDS, "shape": list(logits.shape), "dtype": "float32",
        "attn_implementation": "eager", **about, "torch": torch.__version__,
        "transformers": transformers.__version__}, indent=2) + "\n")


def make_logits(cache, name):
    import torch
    import transformers

    def build():
        torch.set_num_threads(1)
        # The checkpoint read back as float32: the oracle is the saved (rounded)
        # weights' forward pass, which is what a runner reading the file computes.
        model = transformers.AutoModelForCausalLM.from_pretrained(
            cache.root / "models" / name, torch_dtype=torch.float32, attn_implementation="eager")
        save_logits(cache, name, model.eval())
    cache.run(f"logits/{name}", {"ids": LOGIT_IDS}, [f"model/{name}"],
              [f"oracle/{name}/logits.npy", f"oracle/{name}/logits.json"], build)


def make_nvfp4_logits(cache, name):
    """The logits oracle of an NVFP4 fixture: transformers in float32 on the
    base model with every NVFP4 layer replaced by compressed-tensors' own
    decompression of it (what its loader computes)."""
    import torch
    import transformers
    from compressed_tensors.compressors.nvfp4.base import NVFP4PackedCompressor
    from compressed_tensors.quantization import QuantizationArgs, QuantizationScheme
    from safetensors.torch import load_file
    base = FP8_MODELS[name][0]

    def build():
        torch.set_num_threads(1)
        scheme = QuantizationScheme(targets=["Linear"], weights=QuantizationArgs(
            num_bits=4, type="float", strategy="tensor_group", group_size=16, symmetric=True,
            dynamic=False))
        raw = load_file(cache.root / "models" / name / "model.safetensors")
        model = transformers.AutoModelForCausalLM.from_pretrained(
            cache.root / "models" / base, torch_dtype=torch.float32, attn_implementation="eager")
        model.eval()
        params = dict(model.named_parameters())
        for key in raw:
            if key.endswith(".weight_packed"):
                stem = key.removesuffix("weight_packed")
                sd = {k[len(stem):]: v for k, v in raw.items() if k.startswith(stem)}
                w = NVFP4PackedCompressor.decompress(sd, scheme)["weight"].float()
                with torch.no_grad():
                    params[stem + "weight"].copy_(w)
        save_logits(cache, name, model, weights="compressed-tensors decompress")
    cache.run(f"logits/{name}", {"ids": LOGIT_IDS}, [f"model/{base}", f"fp8/{name}"],
              [f"oracle/{name}/logits.npy", f"oracle/{name}/logits.json"], build)


def extract_converter(cache, bundle):
    """convert_hf_to_gguf.py with its conversion/ package and gguf-py, taken
    from llama.cpp's git bundle into the cache (never into the source tree)."""
    commit = subprocess.run(["git", "bundle", "list-heads", str(bundle)], check=True, capture_output=True,
                            text=True).stdout.split()[0]

    def build():
        with tempfile.TemporaryDirectory(dir=cache.root) as tmp:
            repo = Path(tmp) / "repo.git"
            subprocess.run(["git", "clone", "-q", "--bare", str(bundle), str(repo)], check=True)
            dest = Path(tmp) / "converter"
            dest.mkdir()
            archive = subprocess.run(["git", "--git-dir", str(repo), "archive", commit,
                                      "convert_hf_to_gguf.py", "conversion", "gguf-py"],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
            (dest / "COMMIT").write_text(commit + "\n")
            replace_dir(dest, cache.root / "converter")
    cache.run("converter", {"commit": commit}, [], ["converter/convert_hf_to_gguf.py", "converter/gguf-py"],
              build)
    return commit


def make_ggufs(cache):
    """All conversions in one process (convert_shim.py): importing torch,
    transformers and the converter once instead of once per file."""
    models = [(name, tok, OUTTYPES, f"model/{name}") for name, (_, tok, _, _, _) in MODELS.items()]
    models += [(name, MODELS[base][1], FP8_OUTTYPES, f"fp8/{name}") for name, (base, *_) in FP8_MODELS.items()]
    jobs = []
    for name, tok_name, outtypes, model_step in models:
        pre = BPE_TOKENIZERS[tok_name]["pre"] if tok_name in BPE_TOKENIZERS else None
        for outtype in outtypes:
            step = f"gguf/{name}-{outtype}"
            rel = f"gguf/{name}-{outtype}.gguf"
            stamp = cache.stamp_of(step, {"outtype": outtype, "pre": pre}, ["converter", model_step])
            if cache.read(step) == stamp and (cache.root / rel).exists():
                cache.skipped.append(step)
                continue
            jobs.append({"step": step, "stamp": stamp, "model": str(cache.root / "models" / name),
                         "outtype": outtype, "outfile": str(cache.root / rel), "pre": pre})
    if not jobs:
        return
    (cache.root / "gguf").mkdir(exist_ok=True)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(dir=cache.root) as tmp:
        for job in jobs:
            name = Path(job["model"]).name
            if name in FP8_MODELS and FP8_MODELS[name][2] == "tensor":
                # same folder name: the converter derives general.name from it
                dest = Path(tmp) / name
                if not dest.exists():
                    fp8_converter_input(Path(job["model"]), dest)
                job["model"] = str(dest)
        subprocess.run([sys.executable, str(HERE / "convert_shim.py"), str(cache.root / "converter"),
                        json.dumps(jobs)], check=True)
    for job in jobs:
        if not Path(job["outfile"]).exists():
            raise SystemExit(f"make_fixtures: the converter did not write {job['outfile']}")
        (cache.stamps / (job["step"].replace("/", "__") + ".stamp")).write_text(job["stamp"])
    cache.ran.append((f"gguf x{len(jobs)}", round(time.monotonic() - t0, 2)))


def write_manifest(cache, commit):
    import tokenizers
    import torch
    import transformers
    files = {}
    for top in OUTPUT_DIRS:
        for p in sorted((cache.root / top).rglob("*")):
            if p.is_file():
                rel = p.relative_to(cache.root).as_posix()
                files[rel] = {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
    manifest = {
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "tokenizers": tokenizers.__version__, "llama.cpp": commit},
        "models": {n: {"architecture": m[0].replace("Config", "ForCausalLM"), "tokenizer": m[1],
                       "dtype": m[2], "sharded": m[3] is not None} for n, m in MODELS.items()},
        "tokenizers": {**{n: {"kind": "bpe", "pre": s["pre"]} for n, s in BPE_TOKENIZERS.items()},
                       SPM_TOKENIZER: {"kind": "spm"}},
        "outtypes": list(OUTTYPES),
        "fp8_models": {n: {"base": m[0], "overrides": m[1], "scheme": m[2], "scale_dtype": m[3],
                           "outtypes": list(FP8_OUTTYPES)} for n, m in FP8_MODELS.items()},
        "files": files,
    }
    (cache.root / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cache", help="output folder (created)")
    ap.add_argument("--bundle", help="llama.cpp git bundle (default: node-llama-cpp's under $LQ_ORACLE_DIR)")
    ap.add_argument("--kjv", help="KJV text file (default: the output of `bible Gen1:1-Rev22:21`)")
    args = ap.parse_args()
    try:
        import numpy, safetensors, sentencepiece, tokenizers, torch, transformers  # noqa: F401
    except ImportError as e:
        # 77: the automake/meson "skipped" status, unless the oracles are required
        print(f"make_fixtures: {e} (run .ci/install-deps)", file=sys.stderr)
        sys.exit(1 if os.environ.get("LQ_REQUIRE_ORACLE") == "1" else 77)
    oracle = Path(os.environ.get("LQ_ORACLE_DIR", Path.home() / ".cache/libquant/npm"))
    bundle = Path(args.bundle) if args.bundle else \
        oracle / "node_modules/node-llama-cpp/llama/gitRelease.bundle"
    if not bundle.is_file():
        raise SystemExit(f"make_fixtures: no llama.cpp git bundle at {bundle}")
    t0 = time.monotonic()
    cache = Cache(args.cache)
    make_text(cache, args.kjv)
    for name, spec in BPE_TOKENIZERS.items():
        make_bpe(cache, name, spec)
    make_spm(cache)
    for name in [*BPE_TOKENIZERS, SPM_TOKENIZER]:
        make_token_oracle(cache, name)
    for name in MODELS:
        make_model(cache, name)
        make_logits(cache, name)
    for name in FP8_MODELS:
        make_fp8_model(cache, name)
        if FP8_MODELS[name][2].startswith("nvfp4"):
            make_nvfp4_logits(cache, name)
    commit = extract_converter(cache, bundle)
    make_ggufs(cache)
    write_manifest(cache, commit)
    print(json.dumps({"ran": cache.ran, "skipped": len(cache.skipped),
                      "seconds": round(time.monotonic() - t0, 1)}))


if __name__ == "__main__":
    main()
