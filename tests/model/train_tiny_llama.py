#!/usr/bin/python3
"""Train the tiny Llama that libquant's model tests run, and write it as an F32 GGUF.

Run with Debian's interpreter and torch (apt-get install python3-torch bible-kjv):

    /usr/bin/python3 tests/model/train_tiny_llama.py [--out-dir tests/model/fixture]

Only this script needs torch; the tests read the files it writes:
    tiny-llama-f32.gguf   the model (llama.cpp metadata, F32 tensors)
    heldout.txt           held-out text the model never trained on

The architecture is what llama.cpp calls "llama": RMSNorm (eps 1e-5), RoPE with theta 10000
rotating adjacent pairs (llama.cpp's normal rope type, so Q/K need no permutation), grouped-query
attention (8 query heads, 2 KV heads), SwiGLU feed-forward, untied output head.

The vocabulary is SentencePiece-style with byte fallback: <unk>, <s>, </s>, 256 byte tokens
<0x00>..<0xFF>, the piece "▁" (escaped space) and the printable ASCII characters, then pieces
learned by byte-pair merging. Pieces contain "▁" only as their first character, so no piece spans
a word boundary and the text can be tokenized word by word exactly as llama.cpp's whole-text
SPM tokenizer does (highest-scoring adjacent merge first, leftmost on ties).
"""

import argparse
import collections
import math
import os
import re
import struct
import subprocess
import time

import numpy as np
import torch

SPACE = "\u2581"  # ▁, SentencePiece's escaped space

# Model shape. Every matrix row length is a multiple of 256 so k-quants apply to every tensor.
DIM = 256
FFN = 768
LAYERS = 4
HEADS = 8
KV_HEADS = 2
HEAD_DIM = DIM // HEADS
SEQ = 256
VOCAB = 512
NORM_EPS = 1e-5
ROPE_THETA = 10000.0

# Held-out split: the text is cut into blocks of about BLOCK_CHARS at line ends; every
# HOLDOUT_EVERY-th block is held out.
BLOCK_CHARS = 20000
HOLDOUT_EVERY = 20
HELDOUT_FILE_CHARS = 32000

# llama.cpp token types (llama_token_type)
TT_NORMAL, TT_UNKNOWN, TT_CONTROL, TT_BYTE = 1, 2, 3, 6


# --------------------------------------------------------------------------------------------
# Text

def read_kjv():
    text = subprocess.run(["bible", "Gen1:1-Rev22:21"], check=True, capture_output=True,
                          text=True).stdout
    if len(text) < 4_000_000:
        raise SystemExit("bible-kjv printed only %d characters" % len(text))
    return text


def split_heldout(text):
    blocks, start = [], 0
    while start < len(text):
        end = text.find("\n", min(start + BLOCK_CHARS, len(text)))
        end = len(text) if end < 0 else end + 1
        blocks.append(text[start:end])
        start = end
    train = "".join(b for i, b in enumerate(blocks) if i % HOLDOUT_EVERY != HOLDOUT_EVERY - 1)
    held = "".join(b for i, b in enumerate(blocks) if i % HOLDOUT_EVERY == HOLDOUT_EVERY - 1)
    return train, held


# --------------------------------------------------------------------------------------------
# Vocabulary and tokenizer

def escape(text):
    """llama.cpp's SPM preprocessing: a leading space (add_space_prefix), spaces become ▁."""
    return SPACE + text.replace(" ", SPACE)


def words(escaped):
    """Chunks that start at each ▁; no vocabulary piece crosses their boundaries."""
    return re.findall(SPACE + "[^" + SPACE + "]*|[^" + SPACE + "]+", escaped)


def base_pieces():
    return [SPACE] + [chr(c) for c in range(33, 127)]


def learn_merges(text, count):
    """Byte-pair merges over word frequencies; returns the merged pieces in merge order.
    Only vocabulary pieces merge (a newline stays a byte-fallback character)."""
    pieces = set(base_pieces())
    freq = collections.Counter(words(escape(text)))
    seqs = {w: list(w) for w in freq}
    merged = []
    while len(merged) < count:
        pairs = collections.Counter()
        for w, n in freq.items():
            s = seqs[w]
            for a, b in zip(s, s[1:]):
                if a in pieces and b in pieces:
                    pairs[(a, b)] += n
        if not pairs:
            break
        # most frequent; ties broken by the pair text so the result is deterministic
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        piece = a + b
        if piece not in pieces:  # a different split may already have made the same text
            merged.append(piece)
            pieces.add(piece)
        for w, s in seqs.items():
            i, out = 0, []
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                    out.append(piece)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            seqs[w] = out
    return merged


class Vocab:
    def __init__(self, merges):
        self.tokens = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
        self.types = [TT_UNKNOWN, TT_CONTROL, TT_CONTROL] + [TT_BYTE] * 256
        self.scores = [0.0] * len(self.tokens)
        # Normal pieces: merges rank above single characters; within each, earlier is better.
        # Only the scores of merged pieces steer tokenization (they rank candidate bigrams).
        for rank, piece in enumerate(merges):
            self.tokens.append(piece)
            self.types.append(TT_NORMAL)
            self.scores.append(-float(rank))
        for i, piece in enumerate(base_pieces()):
            self.tokens.append(piece)
            self.types.append(TT_NORMAL)
            self.scores.append(-float(len(merges) + i))
        self.index = {t: i for i, t in enumerate(self.tokens) if self.types[i] == TT_NORMAL}
        self.bos, self.eos, self.unk = 1, 2, 0
        self.cache = {}

    def encode_word(self, word):
        ids = self.cache.get(word)
        if ids is not None:
            return ids
        syms = list(word)
        while True:
            best, best_score = -1, None
            for i in range(len(syms) - 1):
                t = self.index.get(syms[i] + syms[i + 1])
                if t is not None and (best_score is None or self.scores[t] > best_score):
                    best, best_score = i, self.scores[t]
            if best < 0:
                break
            syms[best:best + 2] = [syms[best] + syms[best + 1]]
        ids = []
        for s in syms:
            t = self.index.get(s)
            if t is not None:
                ids.append(t)
            else:
                ids.extend(3 + b for b in s.encode("utf-8"))
        self.cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        for w in words(escape(text)):
            ids.extend(self.encode_word(w))
        return ids


# --------------------------------------------------------------------------------------------
# Model

class RMSNorm(torch.nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + NORM_EPS) * self.weight


def rope_tables(seq):
    inv = ROPE_THETA ** (-torch.arange(0, HEAD_DIM, 2, dtype=torch.float64) / HEAD_DIM)
    ang = torch.arange(seq, dtype=torch.float64)[:, None] * inv[None, :]
    return torch.cos(ang).float(), torch.sin(ang).float()


def rope(x, cos, sin):
    """Rotate adjacent pairs (x[2i], x[2i+1]) by position * theta^(-2i/d): llama.cpp's normal type."""
    x0, x1 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1).flatten(-2)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        lin = lambda i, o: torch.nn.Linear(i, o, bias=False)
        self.attn_norm = RMSNorm(DIM)
        self.wq, self.wk, self.wv = lin(DIM, DIM), lin(DIM, KV_HEADS * HEAD_DIM), lin(DIM, KV_HEADS * HEAD_DIM)
        self.wo = lin(DIM, DIM)
        self.ffn_norm = RMSNorm(DIM)
        self.gate, self.up, self.down = lin(DIM, FFN), lin(DIM, FFN), lin(FFN, DIM)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        h = self.attn_norm(x)
        q = self.wq(h).view(b, t, HEADS, HEAD_DIM).transpose(1, 2)
        k = self.wk(h).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
        v = self.wv(h).view(b, t, KV_HEADS, HEAD_DIM).transpose(1, 2)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        # query head h reads KV head h / (HEADS / KV_HEADS), as ggml's broadcast does
        k = k.repeat_interleave(HEADS // KV_HEADS, dim=1)
        v = v.repeat_interleave(HEADS // KV_HEADS, dim=1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(HEAD_DIM) + mask
        y = torch.softmax(att, dim=-1) @ v
        x = x + self.wo(y.transpose(1, 2).reshape(b, t, DIM))
        h = self.ffn_norm(x)
        return x + self.down(torch.nn.functional.silu(self.gate(h)) * self.up(h))


class TinyLlama(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(VOCAB, DIM)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(LAYERS))
        self.norm = RMSNorm(DIM)
        self.output = torch.nn.Linear(DIM, VOCAB, bias=False)
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * LAYERS) if name.endswith(("wo.weight", "down.weight")) else 0.02
                torch.nn.init.normal_(p, std=std)
        cos, sin = rope_tables(SEQ)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        self.register_buffer("mask", torch.full((SEQ, SEQ), float("-inf")).triu(1), persistent=False)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.embed(ids)
        for blk in self.blocks:
            x = blk(x, self.cos[:t], self.sin[:t], self.mask[:t, :t])
        return self.output(self.norm(x))


def batches(stream, bos, steps, batch, gen):
    """Windows of SEQ tokens whose first token is replaced by BOS, as llama.cpp's perplexity does."""
    for _ in range(steps):
        starts = torch.randint(0, len(stream) - SEQ - 1, (batch,), generator=gen)
        x = torch.stack([stream[s:s + SEQ] for s in starts])
        y = torch.stack([stream[s + 1:s + SEQ + 1] for s in starts])
        x[:, 0] = bos
        yield x, y


def train(model, stream, bos, steps, batch, lr):
    gen = torch.Generator().manual_seed(1234)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    warm = max(1, steps // 20)
    t0 = time.time()
    for step, (x, y) in enumerate(batches(stream, bos, steps, batch, gen)):
        scale = (step + 1) / warm if step < warm else 0.5 * (1 + math.cos(math.pi * (step - warm) / (steps - warm)))
        for g in opt.param_groups:
            g["lr"] = lr * max(scale, 0.02)
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, VOCAB), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 25 == 0 or step == steps - 1:
            print("step %4d  loss %.4f  %.0f s" % (step, loss.item(), time.time() - t0), flush=True)


@torch.no_grad()
def perplexity(model, ids, bos):
    """Perplexity the way llama.cpp's tool computes it: windows of SEQ, BOS first, second half scored."""
    nll, n = 0.0, 0
    for start in range(0, len(ids) - SEQ + 1, SEQ):
        x = ids[start:start + SEQ].clone()
        x[0] = bos
        logp = torch.log_softmax(model(x[None])[0].double(), dim=-1)
        for j in range(SEQ // 2, SEQ - 1):
            nll -= logp[j, ids[start + j + 1]].item()
            n += 1
    return math.exp(nll / n)


# --------------------------------------------------------------------------------------------
# GGUF writer (version 3, little-endian, alignment 32)

GGUF_U32, GGUF_I32, GGUF_F32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY = 4, 5, 6, 7, 8, 9
ALIGN = 32


def gguf_string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def gguf_value(vtype, value):
    if vtype == GGUF_U32:
        return struct.pack("<I", value)
    if vtype == GGUF_I32:
        return struct.pack("<i", value)
    if vtype == GGUF_F32:
        return struct.pack("<f", value)
    if vtype == GGUF_BOOL:
        return struct.pack("<B", 1 if value else 0)
    if vtype == GGUF_STRING:
        return gguf_string(value)
    raise ValueError(vtype)


def write_gguf(path, kvs, tensors):
    """kvs: list of (key, type, value) where an array is (GGUF_ARRAY, (elem_type, list));
    tensors: list of (name, float32 ndarray in row-major order, ggml dims innermost first)."""
    out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)))
    for key, vtype, value in kvs:
        out += gguf_string(key) + struct.pack("<I", vtype)
        if vtype == GGUF_ARRAY:
            etype, items = value
            out += struct.pack("<IQ", etype, len(items))
            for item in items:
                out += gguf_value(etype, item)
        else:
            out += gguf_value(vtype, value)
    offset, blobs = 0, []
    for name, array, dims in tensors:
        assert array.dtype == np.float32 and array.size == int(np.prod(dims))
        out += gguf_string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<q", d) for d in dims)
        out += struct.pack("<IQ", 0, offset)  # ggml type 0 = F32
        blob = array.astype("<f4").tobytes()
        blob += b"\0" * (-len(blob) % ALIGN)
        blobs.append(blob)
        offset += len(blob)
    out += b"\0" * (-len(out) % ALIGN)
    with open(path, "wb") as f:
        f.write(out)
        for blob in blobs:
            f.write(blob)


def export(model, vocab, path):
    a = lambda t: t.detach().float().contiguous().numpy()
    mat = lambda lin: (a(lin.weight), [lin.weight.shape[1], lin.weight.shape[0]])  # [out,in] -> ne0 = in
    vec = lambda norm: (a(norm.weight), [norm.weight.shape[0]])
    tensors = [("token_embd.weight", a(model.embed.weight), [DIM, VOCAB])]
    for i, blk in enumerate(model.blocks):
        p = "blk.%d." % i
        for name, (arr, dims) in [("attn_norm", vec(blk.attn_norm)), ("attn_q", mat(blk.wq)),
                                  ("attn_k", mat(blk.wk)), ("attn_v", mat(blk.wv)),
                                  ("attn_output", mat(blk.wo)), ("ffn_norm", vec(blk.ffn_norm)),
                                  ("ffn_gate", mat(blk.gate)), ("ffn_up", mat(blk.up)),
                                  ("ffn_down", mat(blk.down))]:
            tensors.append((p + name + ".weight", arr, dims))
    tensors.append(("output_norm.weight", a(model.norm.weight), [DIM]))
    tensors.append(("output.weight", a(model.output.weight), [DIM, VOCAB]))
    kvs = [
        ("general.architecture", GGUF_STRING, "llama"),
        ("general.name", GGUF_STRING, "libquant tiny llama (KJV)"),
        ("general.file_type", GGUF_U32, 0),
        ("llama.context_length", GGUF_U32, SEQ),
        ("llama.embedding_length", GGUF_U32, DIM),
        ("llama.block_count", GGUF_U32, LAYERS),
        ("llama.feed_forward_length", GGUF_U32, FFN),
        ("llama.rope.dimension_count", GGUF_U32, HEAD_DIM),
        ("llama.rope.freq_base", GGUF_F32, ROPE_THETA),
        ("llama.attention.head_count", GGUF_U32, HEADS),
        ("llama.attention.head_count_kv", GGUF_U32, KV_HEADS),
        ("llama.attention.layer_norm_rms_epsilon", GGUF_F32, NORM_EPS),
        ("llama.vocab_size", GGUF_U32, VOCAB),
        ("tokenizer.ggml.model", GGUF_STRING, "llama"),
        ("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, vocab.tokens)),
        ("tokenizer.ggml.scores", GGUF_ARRAY, (GGUF_F32, vocab.scores)),
        ("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_I32, vocab.types)),
        ("tokenizer.ggml.bos_token_id", GGUF_U32, vocab.bos),
        ("tokenizer.ggml.eos_token_id", GGUF_U32, vocab.eos),
        ("tokenizer.ggml.unknown_token_id", GGUF_U32, vocab.unk),
        ("tokenizer.ggml.add_bos_token", GGUF_BOOL, True),
        ("tokenizer.ggml.add_eos_token", GGUF_BOOL, False),
        ("tokenizer.ggml.add_space_prefix", GGUF_BOOL, True),
    ]
    write_gguf(path, kvs, tensors)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixture"))
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(20240601)
    text = read_kjv()
    train_text, held_text = split_heldout(text)
    print("train %d chars, held out %d chars" % (len(train_text), len(held_text)))

    t0 = time.time()
    n_base = 3 + 256 + len(base_pieces())
    vocab = Vocab(learn_merges(train_text, VOCAB - n_base))
    assert len(vocab.tokens) == VOCAB, len(vocab.tokens)
    stream = torch.tensor(vocab.encode(train_text), dtype=torch.long)
    held_ids = torch.tensor(vocab.encode(held_text), dtype=torch.long)
    print("vocabulary %d, %d training tokens (%.2f chars/token), %.0f s"
          % (VOCAB, len(stream), len(train_text) / len(stream), time.time() - t0))

    model = TinyLlama()
    train(model, stream, vocab.bos, args.steps, args.batch, args.lr)
    model.eval()
    print("held-out perplexity (first 64 windows): %.4f" % perplexity(model, held_ids[:64 * SEQ + 1], vocab.bos))

    os.makedirs(args.out_dir, exist_ok=True)
    export(model, vocab, os.path.join(args.out_dir, "tiny-llama-f32.gguf"))
    # The held-out slice starts and ends at line breaks.
    end = held_text.rfind("\n", 0, HELDOUT_FILE_CHARS) + 1
    with open(os.path.join(args.out_dir, "heldout.txt"), "w", encoding="ascii", newline="\n") as f:
        f.write(held_text[:end])
    print("wrote %s" % args.out_dir)


if __name__ == "__main__":
    main()
