/*
 * lq_hf.h — Hugging Face quantized-checkpoint layouts: converting libquant's
 * quantized tensors to the tensor sets that transformers, vLLM, AutoGPTQ /
 * GPTQModel, AutoAWQ and bitsandbytes load, and back (doc/hf-formats.md gives
 * every layout and the reference each follows).
 *
 * The tensors go into (and come from) an lq_safetensors handle (lq_io.h): one
 * made with lq_safetensors_create and saved with lq_safetensors_save, or one
 * opened from a checkpoint. A layer's tensors are named "<prefix>.<part>",
 * prefix being the module path ("model.layers.0.self_attn.q_proj").
 *
 * Conversions are exact: importing what was exported gives the same bytes,
 * and lq_hf_dequantize decodes a layer exactly as the Python loaders do.
 * Everything read is checked (dtypes, shapes, value ranges) before use.
 * Thread safety: the functions only read their inputs, except the handle an
 * export adds to.
 *
 * Experimental tier: declared only when LQ_EXPERIMENTAL_API is defined before
 * <lq/lq.h> is included; the symbols carry the version LIBQUANT_EXPERIMENTAL_0
 * and may change in any release until they move to the stable tier.
 */
#if defined(LQ_EXPERIMENTAL_API) && !defined(LQ_HF_H)
#define LQ_HF_H

#include <lq/lq_calib.h>
#include <lq/lq_core.h>
#include <lq/lq_io.h>
#include <lq/lq_model.h>
#include <lq/lq_scheme.h>
#include <lq/lq_tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Layouts. Pinned values. */
enum lq_hf_format {
    LQ_HF_GPTQ = 0,    /* AutoGPTQ "gptq" (v1): qweight, qzeros (zero - 1), scales, g_idx;
                        * int2/3/4/8 with groups or per channel */
    LQ_HF_GPTQ_V2 = 1, /* GPTQModel "gptq_v2": the same with zeros stored as they are */
    LQ_HF_AWQ = 2,     /* AutoAWQ "gemm": qweight, qzeros, scales, nibbles interleaved; int4 */
    LQ_HF_BNB4 = 3,    /* bitsandbytes Linear4bit: weight and its quant state; nf4, fp4 */
    LQ_HF_FP8 = 4,     /* vLLM / compressed-tensors fp8: weight, weight_scale; fp8_e4m3;
                        * activations scaled dynamically */
    LQ_HF_INT8 = 5,    /* bitsandbytes Linear8bitLt (LLM.int8): weight, SCB; int8:channel:sym */
    LQ_HF_FP8_STATIC = 6, /* LQ_HF_FP8 plus input_scale, a static per-tensor activation scale
                           * from a calibration set */
    LQ_HF_NVFP4 = 7, /* compressed-tensors "nvfp4-pack-quantized": weight_packed,
                      * weight_scale (E4M3 per 16), weight_global_scale; ggml nvfp4
                      * weights (written with a global scale of 1, and only such read) */
    LQ_HF_MXFP4 = 8  /* gpt-oss: <prefix>_blocks, <prefix>_scales (E8M0 per 32); ggml
                      * mxfp4 weights of 2 or 3 dimensions (experts first) */
};

/* Add the tensors of quantized weight `q` ([out, in]) in `format` to `st`,
 * named after `prefix`. `perm` (in int32, may be NULL for the identity) is
 * the column order lq_gptq_quantize returned: GPTQ writes it as g_idx (the
 * other formats need the identity). `calib` (may be NULL) describes the
 * layer's input; LQ_HF_FP8_STATIC needs it for input_scale = max |x| / 448.
 * The tensors are copied into st.
 * Errors: LQ_ERR_INVALID (NULL arguments, a tensor the format cannot hold:
 * the message says why, e.g. "awq stores int4 only"; no calibration set, or
 * one of another width, for LQ_HF_FP8_STATIC), LQ_ERR_SHAPE (sizes the
 * packing needs: in a multiple of 32 / bits, out a multiple of 8 for awq ...),
 * LQ_ERR_UNSUPPORTED (asym gptq v1 with a zero point of 0, which v1 cannot
 * store: use LQ_HF_GPTQ_V2 or awq), LQ_ERR_NOMEM. */
LQ_API lq_status lq_hf_export(const lq_tensor *q, const int32_t *perm, const lq_calib *calib,
                              int format, const char *prefix, lq_safetensors *st);

/* CONSTRUCTOR. Read the layer `prefix` of `format` from st as a libquant
 * tensor (named "<prefix>.weight") holding the same codes, scales and zero
 * points (an fp8 input_scale is not part of the weight and is not read).
 * perm (in int32, may be NULL) receives the column order as for
 * lq_gptq_quantize: a GPTQ g_idx that is not c / group_size gives a tensor
 * whose column j is source column perm[j] (then perm may not be NULL); a
 * g_idx that no column order turns into equal consecutive groups gives
 * LQ_ERR_UNSUPPORTED (lq_hf_dequantize still decodes it). Bit widths and
 * group sizes come from the tensor shapes; the bnb4 quant state JSON is
 * parsed. Errors: LQ_ERR_INVALID (NULL arguments, unknown format, perm NULL
 * for a g_idx that orders the columns), LQ_ERR_FORMAT (a missing tensor, a wrong dtype or shape, values out of
 * range; the message names the tensor), LQ_ERR_UNSUPPORTED, LQ_ERR_NOMEM. */
LQ_API lq_status lq_hf_import(const lq_safetensors *st, int format, const char *prefix,
                              lq_tensor **out, int32_t *perm);

/* Decode layer `prefix` of `format` straight to floats ([out, in] row-major,
 * `count` = out * in), as the reference loaders compute it, with any g_idx.
 * Errors: as lq_hf_import, plus LQ_ERR_SHAPE when count differs. */
LQ_API lq_status lq_hf_dequantize(const lq_safetensors *st, int format, const char *prefix,
                                  float *out, int64_t count);

/* The "quantization_config" JSON object for `format` made with `scheme`,
 * as config.json carries it (for gptq also the content of
 * quantize_config.json). *json is NUL-terminated; free it with lq_free.
 * Errors: LQ_ERR_INVALID (NULL arguments, a scheme the format cannot hold),
 * LQ_ERR_NOMEM. */
LQ_API lq_status lq_hf_config(int format, const lq_scheme *scheme, char **json);

/* ---- Hugging Face model folders as GGUF (doc/hf-input.md) ---- */

/* outtype for lq_hf_model_open / lq_hf_convert: convert_hf_to_gguf.py's
 * "--outtype auto": the first tensor of two or more dimensions stored as
 * BF16 gives bf16, as F16 gives f16; a checkpoint of F32 only gives f16.
 * Pinned. */
#define LQ_HF_OUTTYPE_AUTO (-1)

/* CONSTRUCTOR. Open the Hugging Face model folder `dir` (config.json, then
 * model.safetensors or model.safetensors.index.json with its shards, the
 * tokenizer files) as a read-only GGUF handle holding what llama.cpp's
 * convert_hf_to_gguf.py writes for it with --outtype `outtype`
 * (LQ_TYPE_F32, LQ_TYPE_F16, LQ_TYPE_BF16, LQ_TYPE_Q8_0 or
 * LQ_HF_OUTTYPE_AUTO): the same metadata keys in the same order with the
 * same values, and the same tensors (names, order, ggml types, shapes and,
 * once read, bytes). Architectures (config.json "architectures"):
 * LlamaForCausalLM, MistralForCausalLM (GGUF "llama", Q/K rows reordered
 * as the converter does), Qwen2ForCausalLM ("qwen2"), Qwen3ForCausalLM
 * ("qwen3"); checkpoint dtypes F32, F16, BF16, and quantized layers (FP8,
 * GPTQ, AWQ, bitsandbytes: see "quantized checkpoints in" below).
 *
 * Memory: the checkpoint files are mapped, not read. A tensor's bytes are
 * made on first access (lq_gguf_tensor_raw, lq_gguf_get_tensor) and kept by
 * the handle until lq_gguf_free; lq_gguf_save and lq_gguf_quantize pull one
 * tensor at a time and keep none. The handle may be read from several
 * threads at once (first accesses are serialised); adding tensors or keys
 * is possible but the added tensors are ordinary ones. Free with
 * lq_gguf_free; the folder's files must not change while it is open.
 *
 * Errors: LQ_ERR_INVALID (NULL arguments, another outtype), LQ_ERR_IO (dir
 * is no folder, has no config.json or no weights, a shard named by the
 * index is missing), LQ_ERR_FORMAT (a malformed config.json, index or
 * safetensors file: the message names the file and the place; a size
 * missing from config.json), LQ_ERR_SHAPE (a tensor whose shape contradicts
 * config.json: the message names it and both shapes), LQ_ERR_UNSUPPORTED
 * (an architecture not listed above: the message lists the supported ones;
 * a tensor with no GGUF name, a dtype other than F32/F16/BF16, a rope
 * scaling other than llama3: named), LQ_ERR_NOMEM. Reading a tensor later
 * can fail with LQ_ERR_NOMEM, and for a quantized layer with LQ_ERR_FORMAT
 * (what only decoding finds: named).
 *
 * The naming keys (general.name, version, organization, finetune,
 * basename, size_label) are derived from config.json's _name_or_path and
 * the folder name as gguf-py does, and generation_config.json's sampling
 * values become general.sampling.*. Known differences from the converter:
 * a README.md model card (license, tags, base models, ...) is not read, and
 * names are cased for ASCII letters only. */
LQ_API lq_status lq_hf_model_open(const char *dir, int outtype, lq_gguf **out);

/* Convert the model folder `dir` to the GGUF file `out_path`, as
 * lq_hf_model_open then lq_gguf_save: one tensor at a time in memory, the
 * file written atomically (nothing under out_path unless complete). `ctx`
 * (may be NULL) reports progress ("save", by bytes) and may cancel.
 * Errors: those of lq_hf_model_open and lq_gguf_save. */
LQ_API lq_status lq_hf_convert(lq_ctx *ctx, const char *dir, int outtype, const char *out_path);

/* ---- quantized checkpoints in (doc/hf-input.md, "Quantized checkpoints in") ----
 *
 * lq_hf_model_open and lq_hf_convert also read folders whose config.json has
 * a quantization_config naming gptq (checkpoint_format gptq or gptq_v2), awq
 * (version gemm) or bitsandbytes (load_in_4bit: nf4/fp4; load_in_8bit:
 * LLM.int8): each quantized layer (qweight, qzeros, scales, g_idx / weight
 * and its quant state / weight and SCB) is one tensor of the view, named as
 * the layer's weight, decoded on first access exactly as lq_hf_dequantize
 * decodes it (the floats the Python loaders compute) and then converted to
 * the outtype as any F32 tensor. The quantized layers come after the other
 * tensors (convert_hf_to_gguf.py appends the GPTQ weights it dequantizes).
 * Layers left unquantized (lm_head, modules_to_not_convert) read as in any
 * checkpoint. A quantization_config naming anything else is
 * LQ_ERR_UNSUPPORTED; tensors contradicting it (wrong dtypes or shapes, a
 * bit width other than its bits) are LQ_ERR_FORMAT naming the layer, and
 * so are, when read, a g_idx out of range and values that decode to
 * infinity or NaN. */

/* Flag of lq_hf_model_open_v2 / lq_hf_convert_v2: a quantized layer whose
 * values a ggml block type holds is written in it instead of the outtype:
 * 4-bit GPTQ/AWQ with groups of a multiple of 32 columns in column order
 * (no act-order g_idx) and F16 scales as Q4_0 when symmetric (every zero
 * point 8) — exactly — or else as Q4_1, whose offset m = -scale * zero is
 * rounded once to f16 (so each value is off by at most 2^-11 |scale * zero|
 * (2^-25 below f16's normal range) plus one f32 rounding); symmetric 8-bit
 * GPTQ as Q8_0, exactly. The other quantized layers (act-order, 2/3-bit,
 * NF4, FP4, LLM.int8) are decoded and converted to the outtype, which is
 * lossy unless it is f32; lq_hf_model_tensor_origin tells them apart. */
#define LQ_HF_EXACT_QUANT 1u

/* CONSTRUCTOR. lq_hf_model_open with `flags` (0 or LQ_HF_EXACT_QUANT).
 * Errors: those of lq_hf_model_open; LQ_ERR_INVALID for other flags. */
LQ_API lq_status lq_hf_model_open_v2(const char *dir, int outtype, unsigned flags, lq_gguf **out);

/* lq_hf_convert with `flags` (0 or LQ_HF_EXACT_QUANT). */
LQ_API lq_status lq_hf_convert_v2(lq_ctx *ctx, const char *dir, int outtype, unsigned flags,
                                  const char *out_path);

/* Where tensor `index` of a handle from lq_hf_model_open(_v2) comes from:
 * *hf_format the LQ_HF_* layout of the quantized layer it is decoded from
 * (LQ_HF_FP8 for a weight of any FP8 scheme), or -1 for a tensor stored as
 * floats; *exact 1 when its type holds the layer's decoded values as
 * LQ_HF_EXACT_QUANT says (always for f32 and for float tensors), else 0 (a
 * quantized layer rounded to the outtype). Errors: LQ_ERR_INVALID
 * (NULL arguments, a handle not from lq_hf_model_open, index out of range). */
LQ_API lq_status lq_hf_model_tensor_origin(const lq_gguf *g, int64_t index, int *hf_format,
                                           int *exact);
/* ---- a quantized model written as a Hugging Face checkpoint folder
 * (doc/hf-checkpoints.md) ---- */

/* Flags of lq_hf_save_quantized. Pinned. */
enum lq_hf_save_flag {
    LQ_HF_SAVE_FORCE = 1 /* replace an existing out_dir (a folder) */
};

/* Write the model `q` (made by lq_model_quantize from the model loaded from
 * the Hugging Face folder `source`) as the folder out_dir that the Python
 * loaders of `format` (enum lq_hf_format) take: config.json = source's with
 * "quantization_config" (lq_hf_config of `scheme`, the scheme q was made
 * with) added and every other key kept as it was (the dtype too); for the
 * gptq formats also quantize_config.json; the weights as safetensors in
 * shards of at most max_shard_bytes of data (0: 5 * 10^9, transformers'
 * save_pretrained default "5GB") named
 * as save_pretrained names them, with model.safetensors.index.json when
 * there is more than one; source's tokenizer and generation files copied.
 * The seven linear weights of each layer are q's quantized ones (Q/K rows
 * put back in the checkpoint's order) in the format's tensors
 * (lq_hf_export); what the reference tools keep unquantized is written in
 * the source's dtype: the embedding and lm_head copied from source, the
 * norms and biases from q (AWQ and SmoothQuant moved scales into them).
 * LQ_HF_FP8_STATIC measures each weight's input_scale on `calib` (n_calib
 * tokens run through q in windows of its cache size, layer by layer);
 * calib is ignored by the other formats (NULL, 0).
 *
 * Atomic: everything is written into a new folder beside out_dir and
 * renamed to out_dir at the end; with LQ_HF_SAVE_FORCE an existing out_dir
 * is renamed away first, then removed. On any error out_dir is as it was
 * (absent, or the old folder) and nothing else is left. `ctx` (may be
 * NULL) sets threads, reports progress ("export" by weights, "save" by
 * bytes) and may cancel. q's cache content is lost with LQ_HF_FP8_STATIC.
 * Memory: the format's tensors of the whole model are held until written.
 *
 * Errors: LQ_ERR_INVALID (NULL arguments, unknown format or flags, a q that
 * lq_model_quantize did not make, a scheme the format cannot hold: the
 * message says why, no calibration tokens for LQ_HF_FP8_STATIC),
 * LQ_ERR_IO (out_dir exists without LQ_HF_SAVE_FORCE, or is not a folder;
 * a write fails, e.g. a full disk: the message names the file),
 * LQ_ERR_UNSUPPORTED (source is not a Hugging Face folder: a GGUF source
 * is not supported; a weight the format cannot store: see lq_hf_export),
 * LQ_ERR_FORMAT (source's config.json is malformed or already has a
 * quantization_config), LQ_ERR_SHAPE, LQ_ERR_NOMEM, LQ_ERR_CANCELLED, and
 * those of lq_hf_model_open for source. */
LQ_API lq_status lq_hf_save_quantized(lq_ctx *ctx, lq_model *q, const lq_scheme *scheme,
                                      const char *source, int format, const int32_t *calib,
                                      int64_t n_calib, const char *out_dir,
                                      uint64_t max_shard_bytes, int flags);

#ifdef __cplusplus
}
#endif
#endif /* LQ_EXPERIMENTAL_API && !LQ_HF_H */
