#!/usr/bin/env node
// llama_ref.mjs — llama.cpp (through node-llama-cpp) as the reference for libquant's model runner.
//
//   node tests/model/llama_ref.mjs --model M.gguf --text T.txt [--ctx 256] [--stride N]
//        [--max-tokens N] [--tokens-out ids.json] [--out ref.bin] [--logits-every K]
//        [--base B.gguf [--model M2.gguf ...]]
//
// Tokenizes the text the way llama.cpp's perplexity tool does (BOS first, then the text with the
// SentencePiece space prefix), keeps the first --max-tokens ids, then scores windows of --ctx tokens
// that start every --stride tokens (default: --ctx) and fit in the text. Each window's first token
// is replaced by BOS and the window is evaluated from an empty KV cache; the prediction at window
// position j is scored for j in [first, ctx-2] with first = max(ctx/2, ctx-stride-1), i.e. the
// second half of the window, or the last `stride` predictions when stride < ctx/2 (as llama.cpp's
// --ppl-stride does, although that mode of llama.cpp's tool evaluates each window's own first token
// rather than BOS). Perplexity = exp(mean negative log-likelihood of the scored tokens). llama.cpp
// runs on the CPU with an f16 KV cache (its default) and flash attention off.
//
// Prints one line of JSON: model, n_vocab, n_tokens, ctx, stride, windows, scored, nll, ppl,
// seconds. With --base (llama-perplexity's --kl-divergence mode, computed here from both models'
// full logits in double rather than from 16-bit stored log-probabilities), the base model runs
// over the same windows first, --model may be given several times (one line each, the text
// tokenized by the first), and each line adds base_ppl, kld (mean over the scored positions of
// sum_i p_base(i) (log p_base(i) - log p_model(i))), kld_stderr (standard error of that mean) and
// same_top (share of positions where both models rank the same token first, first index on ties).
// --tokens-out writes the ids of the whole text (before --max-tokens) as a JSON array to
// a file, or with "-" as a line of its own before the summary. --out writes a binary reference file
// (all integers int32, all little-endian; the C tests read it):
//
//   "LQREF001"
//   n_vocab, n_text_tokens, n_tokens, ctx, stride, windows, scored   (7 x i32)
//   nll_sum, ppl                                                     (2 x f64)
//   text_tokens[n_text_tokens]   the whole text, BOS first; the first n_tokens were scored (i32)
//   n_rows                                                           (i32)
//   n_rows x { window, j, logits[n_vocab] (f32) }
//
// A row holds the full logits llama.cpp produced at position j of window `window`; rows are the
// scored positions, every --logits-every-th one (default 1 = all). Full logits are the complete
// next-token distribution, so they serve both logit comparisons and KL divergence.
//
// node-llama-cpp is found in the oracle folder's node_modules: $LQ_ORACLE_DIR, else
// ~/.cache/libquant/npm, as .ci/install-deps installs it. When it cannot be loaded the script
// prints the reason and exits with status 77 ("skip"; the calling test decides whether a skip is
// allowed, see tests/oracle.h).

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

const SKIP = 77;

function parseArgs(argv) {
    const opts = { ctx: 256, stride: 0, maxTokens: 0, logitsEvery: 1, models: [] };
    const named = {
        "--model": "model", "--text": "text", "--ctx": "ctx", "--stride": "stride",
        "--max-tokens": "maxTokens", "--tokens-out": "tokensOut", "--out": "out",
        "--logits-every": "logitsEvery", "--base": "base",
    };
    for (let i = 0; i < argv.length; i += 2) {
        const key = named[argv[i]];
        if (!key || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]} (see the comment at the top)`);
        if (key === "model") opts.models.push(argv[i + 1]);
        else opts[key] = ["text", "tokensOut", "out", "base"].includes(key) ? argv[i + 1] : Number(argv[i + 1]);
    }
    if (!opts.models.length || !opts.text) throw new Error("--model and --text are required");
    if (opts.models.length > 1 && (opts.out || opts.tokensOut)) throw new Error("--out and --tokens-out take one --model");
    if (!opts.stride) opts.stride = opts.ctx;
    if (!(opts.ctx >= 4 && opts.stride >= 1 && opts.stride <= opts.ctx && opts.logitsEvery >= 1))
        throw new Error("need ctx >= 4, 1 <= stride <= ctx, logits-every >= 1");
    return opts;
}

async function loadNodeLlamaCpp() {
    const oracle = process.env.LQ_ORACLE_DIR || path.join(os.homedir(), ".cache/libquant/npm");
    const dir = path.join(oracle, "node_modules");
    const entry = path.join(dir, "node-llama-cpp", "dist", "index.js");
    if (!fs.existsSync(entry)) return { error: `node-llama-cpp not found at ${entry}` };
    try {
        return { lib: await import(pathToFileURL(entry).href) };
    } catch (e) {
        return { error: `cannot load node-llama-cpp: ${e.message}` };
    }
}

// log p(i) for every token i, in double.
function logSoftmax(logits) {
    let max = -Infinity;
    for (const v of logits) if (v > max) max = v;
    let sum = 0;
    for (const v of logits) sum += Math.exp(v - max);
    const logSum = Math.log(sum);
    return Float64Array.from(logits, (v) => v - max - logSum);
}

function argmax(x) {
    let best = 0;
    for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
    return best;
}

// Run the windows through the model at `modelPath`, calling onRow(w, j, logits, next) for each
// scored position in order (next: the token that follows).
async function scoreWindows(llama, modelPath, tokens, opts, onRow) {
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const bos = model.tokens.bos;
    const { ctx, stride } = opts;
    const first = Math.max(ctx >> 1, ctx - stride - 1);
    const windows = tokens.length >= ctx ? Math.floor((tokens.length - ctx) / stride) + 1 : 0;
    // Standard attention over an f16 KV cache (llama.cpp's default cache type), pinned so that
    // the reference does not change with node-llama-cpp's flash-attention heuristics.
    const context = await model.createContext({ contextSize: ctx, batchSize: ctx, sequences: 1, threads: 2,
                                                 flashAttention: false });
    const sequence = context.getSequence();
    const nVocab = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
    for (let w = 0; w < windows; w++) {
        const start = w * stride;
        await sequence.clearHistory();
        const input = tokens.slice(start, start + ctx).map((t, j) =>
            j >= first && j < ctx - 1 ? [j === 0 ? bos : t, { generateNext: { logits: true } }] : (j === 0 ? bos : t));
        const out = await sequence.controlledEvaluate(input);
        for (let j = first; j < ctx - 1; j++) {
            const map = out[j]?.next?.logits;
            if (!map || map.size !== nVocab) throw new Error(`no full logits at window ${w} position ${j}`);
            const logits = new Float32Array(nVocab);
            for (const [tok, v] of map) logits[tok] = v;
            onRow(w, j, logits, tokens[start + j + 1]);
        }
    }
    await context.dispose();
    await model.dispose();
    return { windows, nVocab };
}

async function main() {
    const opts = parseArgs(process.argv.slice(2));
    const { lib, error } = await loadNodeLlamaCpp();
    if (error) {
        console.error(`llama_ref: ${error}`);
        process.exit(SKIP);
    }
    const t0 = performance.now();
    const llama = await lib.getLlama({ gpu: false, build: "never", logLevel: lib.LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath: opts.models[0], gpuLayers: 0 });
    const bos = model.tokens.bos;
    if (bos == null) throw new Error("model has no BOS token");

    const text = fs.readFileSync(opts.text, "utf8");
    const textTokens = [bos, ...model.tokenize(text, false)];
    await model.dispose(); // scoreWindows loads the model again, with its context
    if (opts.tokensOut === "-") console.log(JSON.stringify(textTokens));
    else if (opts.tokensOut) fs.writeFileSync(opts.tokensOut, JSON.stringify(textTokens) + "\n");
    const tokens = opts.maxTokens > 0 ? textTokens.slice(0, opts.maxTokens) : textTokens;

    // the base's log-probabilities at every scored position, for KL divergence
    const base = [];
    let baseNll = 0;
    if (opts.base) {
        await scoreWindows(llama, opts.base, tokens, opts, (w, j, logits, next) => {
            const lp = logSoftmax(logits);
            base.push(lp);
            baseNll -= lp[next];
        });
    }
    for (const modelPath of opts.models) {
        const summary = await scoreModel(llama, modelPath, textTokens, tokens, opts, base);
        summary.seconds = Number(((performance.now() - t0) / 1000).toFixed(3));
        if (opts.base) summary.base_ppl = Math.exp(baseNll / base.length);
        console.log(JSON.stringify(summary));
    }
    await llama.dispose();
}

// One model over the windows: its summary, KL divergence from the base's log-probabilities
// when given, and the --out file.
async function scoreModel(llama, modelPath, textTokens, tokens, opts, base) {
    const { ctx, stride } = opts;
    let nll = 0, scored = 0, kld = 0, kld2 = 0, sameTop = 0;
    const rows = [];
    const { windows, nVocab } = await scoreWindows(llama, modelPath, tokens, opts, (w, j, logits, next) => {
        const lp = logSoftmax(logits);
        nll -= lp[next];
        if (opts.base) {
            const lb = base[scored];
            let k = 0;
            for (let i = 0; i < lb.length; i++) k += Math.exp(lb[i]) * (lb[i] - lp[i]);
            kld += k;
            kld2 += k * k;
            sameTop += argmax(lb) === argmax(lp);
        }
        scored++;
        if ((scored - 1) % opts.logitsEvery === 0) rows.push({ w, j, logits });
    });
    if (opts.base && base.length !== scored) throw new Error("base and model scored different positions");
    const ppl = scored ? Math.exp(nll / scored) : NaN;

    if (opts.out) {
        const head = Buffer.alloc(8 + 7 * 4 + 2 * 8);
        head.write("LQREF001", 0, "ascii");
        [nVocab, textTokens.length, tokens.length, ctx, stride, windows, scored]
            .forEach((v, i) => head.writeInt32LE(v, 8 + 4 * i));
        head.writeDoubleLE(nll, 36);
        head.writeDoubleLE(ppl, 44);
        const parts = [head, Buffer.from(Int32Array.from(textTokens).buffer),
                       Buffer.from(Int32Array.of(rows.length).buffer)];
        for (const r of rows) {
            parts.push(Buffer.from(Int32Array.of(r.w, r.j).buffer), Buffer.from(r.logits.buffer));
        }
        fs.writeFileSync(opts.out, Buffer.concat(parts));
    }
    const summary = {
        model: path.basename(modelPath), n_vocab: nVocab, n_tokens: tokens.length, ctx, stride, windows,
        scored, nll, ppl,
    };
    if (opts.base) {
        const mean = kld / scored;
        Object.assign(summary, {
            base: path.basename(opts.base), kld: mean,
            kld_stderr: scored > 1 ? Math.sqrt(Math.max(kld2 / scored - mean * mean, 0) / (scored - 1)) : null,
            same_top: sameTop / scored,
        });
    }
    return summary;
}

main().catch((e) => {
    console.error(`llama_ref: ${e.stack || e}`);
    process.exit(1);
});
