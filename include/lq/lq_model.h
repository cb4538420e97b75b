/*
 * lq_model.h — the reference runner: load a GGUF of architecture "llama",
 * "qwen2" or "qwen3" with any tensor types, tokenize text, run the forward
 * pass with a KV cache, and measure what quantization costs (perplexity, KL
 * divergence against an unquantized model).
 *
 * The runner computes what llama.cpp computes for these architectures:
 * token embedding, then per layer RMSNorm, Q/K/V projections (plus biases
 * for qwen2, and a per-head RMSNorm of Q and K for qwen3), RoPE (on adjacent
 * pairs for llama, llama.cpp's "normal" rope type, with Llama 3's
 * rope_freqs.weight factors when present; on halves for qwen2/qwen3, the
 * NEOX type), grouped-query attention with a causal mask, the output
 * projection, RMSNorm and a SwiGLU feed-forward, each with its residual; then
 * RMSNorm and the output head (the token embedding when the file has no
 * output.weight). It is written to
 * be right and readable before fast: activations are f32, and weights stay as
 * the file stores them (f32, f16, bf16 or any ggml block format libquant
 * decodes) and are multiplied with lq_matmul. doc/model.md has the details
 * and the figures measured against llama.cpp.
 *
 * A model holds its KV cache, so one model serves one sequence, from one
 * thread at a time. Two models (a base and a quantized one) may run in two
 * threads at once.
 *
 * A typical evaluation:
 *
 *     lq_model *m = NULL;
 *     int32_t *tok = NULL;
 *     int64_t n = 0;
 *     double r[LQ_EVAL_COUNT_V1];
 *     if (lq_model_load(NULL, "model-q4_k_m.gguf", 512, LQ_KV_F16, &m) ||
 *         lq_model_tokenize(m, text, strlen(text), 1, &tok, &n) ||
 *         lq_model_perplexity(NULL, m, tok, n, 512, 0, r, LQ_EVAL_COUNT_V1))
 *         fprintf(stderr, "libquant: %s\n", lq_last_error());
 *     else
 *         printf("PPL %.4f over %.0f tokens, %.0f tokens/s\n", r[LQ_EVAL_PPL],
 *                r[LQ_EVAL_SCORED], r[LQ_EVAL_TOKENS_PER_SECOND]);
 *     lq_free(tok);
 *     lq_model_free(m);
 *
 * Experimental tier: declared only when LQ_EXPERIMENTAL_API is defined before
 * <lq/lq.h> is included; the symbols carry the version LIBQUANT_EXPERIMENTAL_0
 * and may change in any release until they move to the stable tier.
 */
#if defined(LQ_EXPERIMENTAL_API) && !defined(LQ_MODEL_H)
#define LQ_MODEL_H

#include <lq/lq_calib.h>
#include <lq/lq_core.h>
#include <lq/lq_io.h>
#include <lq/lq_quality.h>
#include <lq/lq_scheme.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lq_model lq_model;

/* ------------------------------------------------------------------------
 * [experimental] Loading
 * ------------------------------------------------------------------------ */

/* CONSTRUCTOR. Open the GGUF file at `path` (or a Hugging Face model folder,
 * read as its F32 conversion: lq_hf_model_open in lq_hf.h) and load it as a
 * model whose KV cache holds `n_ctx` tokens (0: the model's training context,
 * ARCH.context_length) in `kv_type` elements (enum lq_kv_type in
 * lq_quality.h: LQ_KV_F32, LQ_KV_F16, or the 8-bit LQ_KV_INT8 and LQ_KV_FP8,
 * which keep one f32 scale per token, head and K/V). The cache is allocated
 * here, once: lq_model_info(m, LQ_MODEL_KV_BYTES) reports its size, which is
 * exactly what lq_estimate_kv gives for batch 1.
 *
 * The file must have general.architecture "llama", "qwen2" or "qwen3"; that
 * architecture's hyperparameters (ARCH.context_length, embedding_length,
 * block_count, feed_forward_length, attention.head_count and
 * attention.layer_norm_rms_epsilon; attention.head_count_kv,
 * rope.freq_base, attention.key_length / value_length and
 * rope.dimension_count default, as in llama.cpp, to head_count, 10000,
 * embedding_length / head_count and the head size; linear and YaRN RoPE
 * scaling are not supported, Llama 3's rope_freqs.weight is); a
 * tokenizer.ggml.model "llama" vocabulary (tokens; scores, token_type, the
 * special token ids and add_bos_token / add_eos_token / add_space_prefix are
 * optional, with llama.cpp's defaults) or "gpt2" one (the same, and merges
 * and a known tokenizer.ggml.pre, see the tokenizer below); and every
 * tensor of the architecture with the shape the hyperparameters imply. `ctx` (may be NULL) sets threads and receives
 * progress ("load") and may cancel.
 *
 * Errors: LQ_ERR_INVALID (NULL arguments, n_ctx < 0, unknown kv_type),
 * LQ_ERR_IO (cannot open), LQ_ERR_FORMAT (a missing or malformed key or
 * tensor: the message names it), LQ_ERR_SHAPE (a tensor of the wrong shape),
 * LQ_ERR_UNSUPPORTED (another architecture or vocabulary type, a tensor type
 * libquant cannot decode), LQ_ERR_NOMEM, LQ_ERR_CANCELLED. On error *out is
 * NULL. */
LQ_API lq_status lq_model_load(lq_ctx *ctx, const char *path, int64_t n_ctx, int kv_type,
                               lq_model **out);

/* CONSTRUCTOR. The same from a GGUF handle, which the model borrows: `g` must
 * stay alive and unchanged until lq_model_free (a handle built in memory with
 * lq_gguf_create and lq_gguf_add_tensor works too: that is how a test runs a
 * model quantized a moment ago without writing it to disk). Errors: as
 * lq_model_load, without LQ_ERR_IO. */
LQ_API lq_status lq_model_from_gguf(lq_ctx *ctx, const lq_gguf *g, int64_t n_ctx, int kv_type,
                                    lq_model **out);

/* DESTRUCTOR. Frees the weights, the cache and the vocabulary (and the file
 * handle of lq_model_load). Accepts NULL. */
LQ_API void lq_model_free(lq_model *m);

/* Replace the model's KV cache by an empty one of `n_ctx` tokens (0: the
 * training context) in `kv_type` elements, as if the model had been loaded
 * with them: one set of weights can be measured with every cache type. Not
 * thread-safe on m. Errors: LQ_ERR_INVALID (NULL m, n_ctx < 0, unknown
 * kv_type), LQ_ERR_NOMEM; the old cache is then kept. */
LQ_API lq_status lq_model_set_cache(lq_model *m, int64_t n_ctx, int kv_type);

/* What lq_model_info reports. Pinned; new entries are only appended. */
enum lq_model_field {
    LQ_MODEL_N_VOCAB = 0,      /* vocabulary size = logits per token */
    LQ_MODEL_N_EMBD = 1,       /* embedding width */
    LQ_MODEL_N_LAYER = 2,
    LQ_MODEL_N_HEAD = 3,       /* query heads */
    LQ_MODEL_N_HEAD_KV = 4,    /* key/value heads (grouped-query attention when fewer) */
    LQ_MODEL_HEAD_DIM = 5,
    LQ_MODEL_N_FF = 6,         /* feed-forward width */
    LQ_MODEL_N_CTX_TRAIN = 7,  /* llama.context_length */
    LQ_MODEL_N_CTX = 8,        /* KV cache capacity in tokens */
    LQ_MODEL_KV_TYPE = 9,      /* enum lq_kv_type */
    LQ_MODEL_KV_BYTES = 10,    /* bytes allocated for the KV cache (codes and scales) */
    LQ_MODEL_WEIGHT_BYTES = 11,/* bytes of weights as the runner holds them */
    LQ_MODEL_N_PARAMS = 12,    /* elements of all weight tensors */
    LQ_MODEL_TOKEN_BOS = 13,   /* -1 when the vocabulary has none */
    LQ_MODEL_TOKEN_EOS = 14,
    LQ_MODEL_TOKEN_UNK = 15,
    LQ_MODEL_ADD_BOS = 16,     /* 1 when the vocabulary asks for BOS first (tokenizer.ggml.add_bos_token) */
    LQ_MODEL_N_PAST = 17       /* tokens in the KV cache now */
};

/* One number about the model, or -1 for a NULL model or an unknown field.
 * Never fails. */
LQ_API int64_t lq_model_info(const lq_model *m, int field);

/* ------------------------------------------------------------------------
 * [experimental] Tokenizer, giving the same ids as llama.cpp's
 * llama_tokenize for the two vocabulary types the runner reads:
 * - tokenizer.ggml.model "llama" (SentencePiece with byte fallback): a
 *   leading space is added, spaces become U+2581, adjacent pieces are merged
 *   highest score first (leftmost on ties) while the merge is a vocabulary
 *   entry, and what remains outside the vocabulary is written as <0xNN>
 *   byte tokens.
 * - tokenizer.ggml.model "gpt2" (byte-level BPE, Llama 3, Qwen2/3, GPT-2):
 *   the text is cut into words by the pre-tokenizer tokenizer.ggml.pre
 *   names ("llama-bpe", "llama3", "llama-v3", "qwen2", "deepseek-r1-qwen",
 *   "gpt-2"; lq_model_load refuses others with LQ_ERR_UNSUPPORTED), each
 *   word's bytes are written in GPT-2's byte alphabet and merged by
 *   tokenizer.ggml.merges, lowest rank first. Invalid UTF-8 is read as
 *   U+FFFD. No Unicode normalisation is done (llama.cpp does none either,
 *   where a Hugging Face tokenizer may apply NFC).
 * ------------------------------------------------------------------------ */

/* CONSTRUCTOR. Tokenize `len` bytes of `text` (which need not be
 * NUL-terminated, and may be empty); with add_bos != 0 and a vocabulary that
 * asks for it (LQ_MODEL_ADD_BOS), BOS comes first. The text is taken as
 * plain text: strings such as "<s>" are not read as control tokens, and
 * user-defined tokens get no special treatment (lq_model_tokenize_v2 reads
 * them as llama.cpp does). *tokens receives *n_tokens ids (free with
 * lq_free; NULL when there are none). Thread-safe: only reads the
 * vocabulary. Errors: LQ_ERR_INVALID (NULL arguments), LQ_ERR_FORMAT (a byte
 * a SentencePiece vocabulary cannot write, having neither a <0xNN> token nor
 * the byte as a piece), LQ_ERR_NOMEM. */
LQ_API lq_status lq_model_tokenize(const lq_model *m, const char *text, size_t len, int add_bos,
                                   int32_t **tokens, int64_t *n_tokens);

/* Flags of lq_model_tokenize_v2. Pinned. */
enum lq_tokenize_flag {
    /* BOS first when the vocabulary asks for it (tokenizer.ggml.add_bos_token) */
    LQ_TOKENIZE_ADD_BOS = 1,
    /* EOS last when the vocabulary asks for it (tokenizer.ggml.add_eos_token) */
    LQ_TOKENIZE_ADD_EOS = 2,
    /* both: llama.cpp's add_special */
    LQ_TOKENIZE_ADD_SPECIAL = 3,
    /* read the names of control tokens written in the text ("<|im_start|>",
     * "<s>") as those tokens: llama.cpp's parse_special */
    LQ_TOKENIZE_PARSE_SPECIAL = 4
};

/* CONSTRUCTOR. As lq_model_tokenize, with `flags` (enum lq_tokenize_flag,
 * ORed) and, as in llama.cpp, the names of user-defined tokens (token_type
 * 4) written in the text always read as those tokens; with
 * LQ_TOKENIZE_PARSE_SPECIAL control and unknown tokens' names too. Longer
 * names are matched first. Errors: as lq_model_tokenize; LQ_ERR_INVALID for
 * unknown flags. */
LQ_API lq_status lq_model_tokenize_v2(const lq_model *m, const char *text, size_t len, int flags,
                                      int32_t **tokens, int64_t *n_tokens);

/* The vocabulary text of `token` ("<s>", "\xe2\x96\x81the", "<0x0A>", ...;
 * in a byte-level BPE vocabulary in GPT-2's byte alphabet, "\xc4\xa0the"
 * for " the"), owned by the model, or NULL when out of range. */
LQ_API const char *lq_model_token_text(const lq_model *m, int32_t token);

/* Flags of lq_model_detokenize. Pinned. */
enum lq_detokenize_flag {
    /* drop a BOS first and an EOS last where the vocabulary adds them */
    LQ_DETOKENIZE_REMOVE_SPECIAL = 1,
    /* write control and unknown tokens' names ("<|eot_id|>"); else nothing */
    LQ_DETOKENIZE_UNPARSE_SPECIAL = 2
};

/* CONSTRUCTOR. The text of n tokens, as llama.cpp's llama_detokenize gives
 * it: each token's piece (SentencePiece: U+2581 as a space, <0xNN> as its
 * byte, one leading space of the first piece dropped with add_space_prefix
 * unless a removed BOS came first; byte-level BPE: GPT-2's byte alphabet
 * back to bytes; user-defined tokens as their names; unused ones as
 * nothing), then for the Llama-3 and GPT-2 pre-tokenizers llama.cpp's
 * clean_spaces (no space before ? ! . , and 's 'm 're 've). *text receives
 * *len bytes and a NUL (free with lq_free). Errors: LQ_ERR_INVALID (NULL
 * arguments, n < 0, unknown flags, a token outside the vocabulary: the
 * message gives its index), LQ_ERR_NOMEM. */
LQ_API lq_status lq_model_detokenize(const lq_model *m, const int32_t *tokens, int64_t n,
                                     int flags, char **text, size_t *len);

/* ------------------------------------------------------------------------
 * [experimental] Forward pass
 * ------------------------------------------------------------------------ */

/* Run `n` tokens at positions pos .. pos+n-1. The cache keeps what earlier
 * calls put at positions below pos (pos may be at most LQ_MODEL_N_PAST; pos 0
 * starts a new sequence) and pos + n may be at most LQ_MODEL_N_CTX. The
 * logits of tokens[logits_from .. n-1] (the scores of the token that follows
 * each) are written to `logits`, (n - logits_from) rows of LQ_MODEL_N_VOCAB
 * floats; logits_from == n asks for none (logits may then be NULL). `ctx`
 * (may be NULL) sets threads. Results do not depend on the thread count.
 * Errors: LQ_ERR_INVALID (NULL arguments, n < 1, a position outside the
 * cache, logits_from outside [0, n], a token outside the vocabulary: the
 * message gives its index), LQ_ERR_NOMEM, LQ_ERR_NONFINITE (the activations
 * overflowed: the message names the layer). On error the cache holds the
 * positions below pos only. */
LQ_API lq_status lq_model_eval(lq_ctx *ctx, lq_model *m, const int32_t *tokens, int64_t n,
                               int64_t pos, int64_t logits_from, float *logits);

/* ------------------------------------------------------------------------
 * [experimental] Quality: perplexity and KL divergence over a token
 * sequence, as llama.cpp's perplexity tool computes them.
 *
 * The tokens (usually from lq_model_tokenize with BOS) are cut into windows
 * of n_ctx tokens starting every `stride` tokens (0 means n_ctx: adjacent
 * windows, llama.cpp's default), as many as fit. Each window runs from an
 * empty cache with its first token replaced by BOS (when the vocabulary asks
 * for BOS), and the predictions at window positions j = first .. n_ctx-2 are
 * scored against the token at j+1, with first = max(n_ctx/2, n_ctx-stride-1):
 * the second half of the window, or the last `stride` predictions when the
 * stride is below half the window (as llama.cpp's --ppl-stride does). Sums
 * are kept in double.
 * ------------------------------------------------------------------------ */

/* Indices into the results array. Pinned; new results are appended, and a
 * caller asks for as many as it knows about (n_out). */
enum lq_eval_result {
    LQ_EVAL_PPL = 0,               /* exp(mean NLL) of the model */
    LQ_EVAL_NLL = 1,               /* mean negative log-likelihood, nats per token */
    LQ_EVAL_NLL_STDERR = 2,        /* standard error of that mean */
    LQ_EVAL_SCORED = 3,            /* tokens scored */
    LQ_EVAL_WINDOWS = 4,           /* windows evaluated */
    LQ_EVAL_SECONDS = 5,           /* wall-clock time of the forward passes */
    LQ_EVAL_TOKENS_PER_SECOND = 6, /* tokens run through a model per second */
    LQ_EVAL_KLD = 7,               /* mean KL(base || model), nats; NaN for perplexity */
    LQ_EVAL_KLD_STDERR = 8,        /* standard error of that mean; NaN for perplexity */
    LQ_EVAL_SAME_TOP = 9,          /* share of positions whose most likely token is the base's; NaN for perplexity */
    LQ_EVAL_BASE_PPL = 10,         /* perplexity of the base model; NaN for perplexity */
    LQ_EVAL_COUNT_V1 = 11,
    LQ_EVAL_MODEL_TOKENS_PER_SECOND = 11, /* tokens per second of the model alone (in KL mode
                                             the base's passes are not counted) */
    LQ_EVAL_COUNT_V2 = 12
};

/* Perplexity of `m` over tokens[0 .. n_tokens-1] with windows of n_ctx
 * tokens (at most LQ_MODEL_N_CTX) every `stride` tokens (0 or 1..n_ctx).
 * out[0 .. n_out-1] receives the results above (n_out from 1 to
 * LQ_EVAL_COUNT_V2). `ctx` (may be NULL) sets threads and receives progress
 * ("perplexity", by windows) and may cancel. The model's cache is reused (its
 * content is lost). Errors: LQ_ERR_INVALID (NULL arguments, n_out out of
 * range, n_ctx < 4 or above the cache, a bad stride, fewer than n_ctx tokens,
 * a token outside the vocabulary), LQ_ERR_NOMEM, LQ_ERR_NONFINITE,
 * LQ_ERR_CANCELLED. */
LQ_API lq_status lq_model_perplexity(lq_ctx *ctx, lq_model *m, const int32_t *tokens,
                                     int64_t n_tokens, int64_t n_ctx, int64_t stride,
                                     double *out, int n_out);

/* KL divergence of `m`'s next-token distribution from `base`'s, over the same
 * windows and positions as lq_model_perplexity (llama.cpp's
 * --kl-divergence mode, computed here exactly in double from both models'
 * logits rather than from 16-bit stored log-probabilities). Also gives both
 * perplexities and the share of positions where both models rank the same
 * token first (the first index on ties). The two models need the same
 * vocabulary size; both caches are reused. Progress stage "kl-divergence".
 * Errors: as lq_model_perplexity, plus LQ_ERR_SHAPE (vocabulary sizes
 * differ). */
LQ_API lq_status lq_model_kl_divergence(lq_ctx *ctx, lq_model *base, lq_model *m,
                                        const int32_t *tokens, int64_t n_tokens, int64_t n_ctx,
                                        int64_t stride, double *out, int n_out);

/* ------------------------------------------------------------------------
 * [experimental] Quantizing a loaded model, and what it sees on calibration text
 * ------------------------------------------------------------------------ */

/* CONSTRUCTOR. A new model that is `base` with its weights quantized in
 * memory to `scheme` (any scheme of lq_scheme.h, including the types GGUF
 * cannot hold: int4:g128, nf4, fp8_e4m3, hqq:int4:g64, ...), run like any
 * other through lq_matmul, with a KV cache of `n_ctx` tokens (0: the training
 * context) in `kv_type` elements (as lq_model_load).
 *
 * Which weight gets what:
 *   - a llama.cpp mixture (q4_k_m, q3_k_s, ...: LQ_PARAM_MIXTURE) chooses a
 *     type per weight by llama.cpp's rules, exactly as lq_gguf_quantize does
 *     for that file type, so the tensors equal those of the file it writes
 *     with rtn; with gptq ("gptq:q4_k_m") each layer weight, and the output
 *     head unless it is the tied token embedding, is quantized by gptq to
 *     the type the mixture gives it (the head on what the quantized layers
 *     give it), the token embedding rounded to nearest; with awq
 *     ("awq:q4_k_m") the layers' scales are searched with each weight's
 *     own type in the loop (s = 1 among the candidates), folded into the
 *     norms and weights before them as below (so the file is a plain
 *     llama.cpp model), and every weight is rounded to nearest in its type,
 *     its importance weights divided by its scales squared (another method
 *     gives LQ_ERR_UNSUPPORTED).
 *     lq_model_save_gguf (lq_pipeline.h) writes such a model as a GGUF file;
 *   - any other scheme applies to every 2-D weight: the seven of each layer,
 *     the output head and the token embedding. Under gptq, awq, smoothquant
 *     and llm_int8 the head and the embedding take the scheme's type and
 *     layout rounded to nearest (no calibration reaches the embedding, and the
 *     reference implementations keep lm_head out of W8A8).
 * A weight already stored quantized is decoded and quantized again; one that
 * already has the float type asked for is kept. Weights made by smoothquant
 * and llm_int8 run as those methods define the product (int8 activations, or
 * float outlier columns: lq_matmul_w8a8, lq_matmul_llm_int8).
 *
 * `imatrix` (may be NULL) gives importance weights by tensor name, as
 * lq_gguf_quantize's --imatrix (entries are looked up per weight; a missing
 * one means none; the Q2_K_S mixture needs it).
 *
 * gptq, awq and smoothquant learn from `calib` (n_calib token ids, e.g. from
 * lq_model_tokenize; NULL and 0 otherwise, and ignored by the other methods):
 * the tokens are cut into windows of the smaller of the two KV caches (BOS
 * first in each when the vocabulary asks for it) and run layer by layer, as
 * the reference scripts do: layer i is calibrated on the hidden states the
 * already quantized layers 0 .. i-1 produce, with `base`'s weights giving
 * the inputs of each of its weights (one lq_calib per input: q/k/v, o,
 * gate/up, down). gptq quantizes each weight with its set; awq searches
 * scales for each group AutoAWQ uses for Llama (attn_norm -> q,k,v;
 * v -> o when they have the same width, so not under grouped-query
 * attention; ffn_norm -> gate,up; up -> down), moves them into the norm or
 * weight before, scales the set, then quantizes; smoothquant moves its
 * scales into the two norms and quantizes every weight to int8 rows.
 *
 * `base` is borrowed: the new model is built from base's file and keeps
 * pointing into it for every weight left as it was, so free the new model
 * first. base's KV cache content is lost when calibrating. `ctx` (may be NULL) sets threads and
 * receives progress ("calibrate" by layers, "quantize" by weights) and may
 * cancel.
 *
 * Errors: LQ_ERR_INVALID (NULL arguments, a base that lq_model_quantize made
 * (quantize the model it came from), a bad n_ctx or kv_type, a method
 * that needs calibration without tokens, a token outside the vocabulary, an
 * imatrix entry of the wrong length, Q2_K_S without imatrix),
 * LQ_ERR_UNSUPPORTED (a mixture with another method than rtn, gptq or awq), what
 * lq_quantize returns for a weight (LQ_ERR_SHAPE when a row length does not
 * fit the scheme's groups or blocks: the message names the tensor),
 * LQ_ERR_NOMEM, LQ_ERR_NONFINITE, LQ_ERR_CANCELLED. On error *out is NULL. */
LQ_API lq_status lq_model_quantize(lq_ctx *ctx, lq_model *base, const lq_scheme *scheme,
                                   const lq_imatrix *imatrix, const int32_t *calib,
                                   int64_t n_calib, int64_t n_ctx, int kv_type, lq_model **out);

/* The memory that the hidden states of a calibration walk over m may take:
 * lq_model_quantize with m as base, lq_model_imatrix(_v2) of m. They are one
 * row of n_embd floats per calibration token (4 * n_calib * n_embd bytes);
 * when that is more than `bytes`, they are kept in a temporary file in
 * $TMPDIR (else /tmp), removed from its folder as soon as it is made, and
 * only one window of rows is in memory at a time. Results are the same
 * either way. 0 (the default) is no limit; a model made by
 * lq_model_quantize takes its base's. The weights and the per-layer
 * calibration sets (Hessians) are not counted. With any limit, the weights
 * lq_model_quantize makes also wait in such a file as they are finished
 * (the same bytes), read back when the new model runs or is saved, one at
 * a time by lq_model_save_gguf and lq_hf_save_quantized. Errors: LQ_ERR_INVALID (NULL m, bytes < 0). A failure to make the file
 * is LQ_ERR_IO from the walk. */
LQ_API lq_status lq_model_set_max_memory(lq_model *m, int64_t bytes);

/* CONSTRUCTOR. The importance matrix of `m` on tokens[0 .. n_tokens-1], as
 * llama-imatrix computes it: for every weight that multiplies activations
 * (the seven of each layer, and the output head: "token_embd.weight" when it
 * is tied), the mean of x^2 per input column over all tokens, in windows of
 * n_ctx tokens (0: the model's cache size; at most that) with BOS first when
 * the vocabulary asks for it. Hand it to lq_model_quantize or save it with
 * lq_imatrix_save for lq_qopts_set_imatrix. The model's cache content is
 * lost. `ctx` (may be NULL) sets threads and receives progress ("calibrate",
 * by layers). Errors: LQ_ERR_INVALID (NULL arguments, n_tokens < 1, a bad
 * n_ctx, a token outside the vocabulary), LQ_ERR_NOMEM, LQ_ERR_NONFINITE,
 * LQ_ERR_CANCELLED. */
LQ_API lq_status lq_model_imatrix(lq_ctx *ctx, lq_model *m, const int32_t *tokens,
                                  int64_t n_tokens, int64_t n_ctx, lq_imatrix **out);

/* Flags of lq_model_imatrix_v2. Pinned values. */
enum lq_imatrix_flag {
    LQ_IMATRIX_PROCESS_OUTPUT = 1 /* also the output head, as llama-imatrix --process-output */
};

/* CONSTRUCTOR. The importance matrix exactly as llama-imatrix collects it
 * (lq_model_imatrix differs in the three points marked *):
 *   - the tokens (from lq_model_tokenize with BOS, as llama-imatrix
 *     tokenizes its whole text once) are cut into n_tokens / n_ctx windows of
 *     n_ctx tokens; *the remainder is not run (at least one window is
 *     needed); each window starts from an empty cache with its first token
 *     replaced by BOS when the vocabulary asks for it;
 *   - every token of every window counts, for the seven weights of every
 *     layer; *the output head only with LQ_IMATRIX_PROCESS_OUTPUT, and only
 *     when it is its own "output.weight" (llama-imatrix skips a head tied to
 *     "token_embd.weight");
 *   - each entry keeps the sum of x^2 per input column (in double; llama.cpp
 *     adds in float) and the token count; *lq_imatrix_save then counts calls
 *     and chunks in windows of n_ctx tokens (imatrix.chunk_size = n_ctx, the
 *     .dat form's ncall = tokens / n_ctx), not of 512.
 * n_ctx 0 means the model's cache size; at most that. Threads, progress and
 * cancelling as lq_model_imatrix; the model's cache content is lost.
 * Errors: LQ_ERR_INVALID (NULL arguments, unknown flags, a bad n_ctx, fewer
 * tokens than one window, a token outside the vocabulary), LQ_ERR_NOMEM,
 * LQ_ERR_NONFINITE, LQ_ERR_CANCELLED. On error *out is NULL. */
LQ_API lq_status lq_model_imatrix_v2(lq_ctx *ctx, lq_model *m, const int32_t *tokens,
                                     int64_t n_tokens, int64_t n_ctx, int flags,
                                     lq_imatrix **out);

#ifdef __cplusplus
}
#endif
#endif /* LQ_EXPERIMENTAL_API && !LQ_MODEL_H */
