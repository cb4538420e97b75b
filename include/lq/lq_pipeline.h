/*
 * lq_pipeline.h — whole-model operations on files: quantize a GGUF model the
 * way llama.cpp's llama-quantize does, tensor for tensor and byte for byte.
 *
 * Experimental tier: declared only when LQ_EXPERIMENTAL_API is defined before
 * <lq/lq.h> is included; the symbols carry the version LIBQUANT_EXPERIMENTAL_0
 * and may change in any release until they move to the stable tier.
 */
#if defined(LQ_EXPERIMENTAL_API) && !defined(LQ_PIPELINE_H)
#define LQ_PIPELINE_H

#include <stdint.h>

#include <lq/lq_core.h>
#include <lq/lq_model.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Options for lq_gguf_quantize: a llama.cpp file type and the choices
 * llama-quantize offers. Not locked internally; may be shared read-only. */
typedef struct lq_qopts lq_qopts;

/* Flags for lq_qopts_set_flag. Pinned. */
enum lq_qopt_flag {
    LQ_QOPT_PURE = 0,             /* every quantizable tensor gets the file type's default type */
    LQ_QOPT_LEAVE_OUTPUT = 1,     /* keep output.weight as it is */
    LQ_QOPT_ALLOW_REQUANTIZE = 2  /* quantize tensors that are already quantized (lossy twice) */
};

/* CONSTRUCTOR. `file_type` is a llama.cpp file type name, case-insensitive:
 * F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q2_K_S, Q3_K_S, Q3_K_M,
 * Q3_K_L, Q4_K_S, Q4_K_M, Q5_K_S, Q5_K_M, Q6_K, IQ4_NL, IQ4_XS. Errors:
 * LQ_ERR_INVALID (NULL arguments, unknown name: the message lists the
 * names), LQ_ERR_NOMEM. */
LQ_API lq_status lq_qopts_create(const char *file_type, lq_qopts **out);

/* DESTRUCTOR. Accepts NULL. */
LQ_API void lq_qopts_free(lq_qopts *o);

/* Use an importance matrix file as llama-quantize --imatrix does (llama.cpp's
 * legacy .dat layout or its GGUF layout; see lq_imatrix_load in lq_calib.h).
 * The file is read now. Errors: LQ_ERR_INVALID, LQ_ERR_IO, LQ_ERR_FORMAT. */
LQ_API lq_status lq_qopts_set_imatrix(lq_qopts *o, const char *path);

/* --tensor-type PATTERN=TYPE: tensors whose name matches the POSIX extended
 * regular expression get TYPE (a ggml type name such as "q8_0"); the first
 * matching pattern wins. Errors: LQ_ERR_INVALID (bad pattern or type). */
LQ_API lq_status lq_qopts_add_tensor_type(lq_qopts *o, const char *pattern, const char *type);

/* --output-tensor-type and --token-embedding-type. Errors: LQ_ERR_INVALID. */
LQ_API lq_status lq_qopts_set_output_type(lq_qopts *o, const char *type);
LQ_API lq_status lq_qopts_set_token_embedding_type(lq_qopts *o, const char *type);

/* Turn a flag (enum lq_qopt_flag) on or off. Errors: LQ_ERR_INVALID. */
LQ_API lq_status lq_qopts_set_flag(lq_qopts *o, int flag, int on);

/* A size budget instead of the file type's rules (doc/size-budget.md):
 * every tensor the file type would quantize, stored as f32/f16/bf16 and not
 * given a type by lq_qopts_add_tensor_type or the output and token
 * embedding setters, gets the ggml type (of Q2_K, Q3_K, IQ4_XS, Q4_0,
 * IQ4_NL, Q4_K, Q4_1, Q5_0, Q5_K, Q5_1, Q6_K, Q8_0, F16: all loaded by
 * mainline llama.cpp) that makes the least total estimated error while the
 * file stays within the budget. The error of a tensor in a type is its
 * squared error relative to its weights' energy, both weighted by the
 * importance matrix when one is set (unweighted otherwise): the
 * noise-to-signal ratio the type adds to the tensor's outputs (the output
 * head's counted once per residual contribution, 2 x layers + 1). The file's
 * metadata then records the choice (quantize.budget.target, .error,
 * .types, .errors) and general.file_type names the file type whose default
 * type holds the most bytes.
 *   _bytes: the whole file, header included, in bytes (0: no budget);
 *   _bpw: 8 x the tensors' bytes / their elements, as llama.cpp prints a
 *         model's BPW (0: no budget; above 64 is LQ_ERR_INVALID);
 *   _file_type: the size of the file the same options give for that file
 *         type (a name as lq_qopts_create takes; NULL: no budget).
 * The last call of the three wins. lq_gguf_quantize fails with
 * LQ_ERR_INVALID when the budget is below the smallest file the candidate
 * types make. Errors: LQ_ERR_INVALID. */
LQ_API lq_status lq_qopts_set_target_bytes(lq_qopts *o, uint64_t bytes);
LQ_API lq_status lq_qopts_set_target_bpw(lq_qopts *o, double bpw);
LQ_API lq_status lq_qopts_set_target_file_type(lq_qopts *o, const char *file_type);

/* Quantize the GGUF model `in_path` into `out_path` (`in_path` may also be
 * a Hugging Face model folder, read as lq_hf_model_open with LQ_TYPE_F32
 * gives it: the result equals quantizing its F32 conversion; its errors
 * then come too). Each tensor gets the
 * type llama.cpp's rules give it for the file type (by role and layer, with
 * the same fallbacks for rows that do not fit a block), and the bytes its
 * reference quantizer would write; tensors in llama.cpp's order; metadata
 * copied, with general.quantization_version = 2 and general.file_type set.
 * Streaming: one tensor at a time is in memory besides the mapped input. The
 * output is written atomically (nothing under out_path unless complete).
 * `ctx` (may be NULL) gives threads, and its progress callback is called with
 * the tensor name as the stage and the fraction of all tensor bytes done.
 * Errors: LQ_ERR_INVALID (NULL arguments, out_path naming the input file
 * itself, also through a link, an imatrix entry of the wrong
 * length, a file type that needs an imatrix without one, requantizing without
 * LQ_QOPT_ALLOW_REQUANTIZE), LQ_ERR_FORMAT (a bad input file),
 * LQ_ERR_UNSUPPORTED (a tensor type libquant cannot convert), LQ_ERR_IO (also
 * when out_path exists and is not a regular file: a symlink, FIFO, device),
 * LQ_ERR_NONFINITE (a tensor whose values are too large for the type's
 * scales: the message names it and the row; see lq_quantize), LQ_ERR_NOMEM,
 * LQ_ERR_CANCELLED. */
LQ_API lq_status lq_gguf_quantize(lq_ctx *ctx, const char *in_path, const char *out_path,
                                  const lq_qopts *opts);

/* `shard` values of lq_gguf_quantize_split besides a file number. Pinned. */
#define LQ_SPLIT_ALL (-1)  /* write every file */
#define LQ_SPLIT_PLAN (-2) /* write nothing: only count the files */

/* Quantize as lq_gguf_quantize, straight into llama.cpp split files
 * "<path_prefix>-00001-of-0000n.gguf", ...: the same files, byte for byte,
 * as lq_gguf_save_split with these limits and flags writes for the file
 * lq_gguf_quantize makes (and so as llama-gguf-split --split writes for
 * it), with no whole file in between. The split is planned from the input's
 * tensor list and the types the rules give, before anything is quantized,
 * so every process that runs this on the same input, options and limits
 * plans the same files: with `shard` = i (0-based) only file i is written,
 * and n processes with shards 0 .. n-1 (on one machine or many, in any
 * order) write between them exactly the files one run with LQ_SPLIT_ALL
 * writes. LQ_SPLIT_PLAN writes nothing. *n_files (may be NULL) receives n
 * once the plan is made (also when `shard` is out of range). The files
 * written are complete before any is renamed into place; a failure leaves
 * none of them. Progress counts the input bytes of the files written.
 * Errors: as lq_gguf_quantize and lq_gguf_save_split; LQ_ERR_INVALID also
 * for a shard outside -2 .. n-1 (the message gives n) and a file name that
 * is the input's. */
LQ_API lq_status lq_gguf_quantize_split(lq_ctx *ctx, const char *in_path,
                                        const char *path_prefix, const lq_qopts *opts,
                                        uint64_t max_bytes, int64_t max_tensors, unsigned flags,
                                        int shard, int *n_files);
/* CONSTRUCTOR. lq_model_quantize (lq_model.h) with the mixture scheme
 * `scheme` ("gptq:q4_k_m", "awq:q4_k_m", "q4_k_m", with the method's
 * options), every weight taking the type that `opts` gives it in the file
 * lq_gguf_quantize would write from base's file — under a size budget
 * (lq_qopts_set_target_*), lq_qopts_add_tensor_type's patterns, the output
 * and embedding types, LQ_QOPT_PURE — and opts' importance matrix (for the
 * types, the budget's errors and the method). lq_model_save_gguf writes the
 * result with that file's metadata and types, so its size is the size
 * lq_gguf_quantize's file has with the same options. Tensors besides the
 * weights must keep their type. Errors: as lq_model_quantize; LQ_ERR_INVALID
 * also for a scheme whose mixture is not opts' file type, and as
 * lq_gguf_quantize for the options (a budget below the smallest file, a
 * type that needs an importance matrix without one). */
LQ_API lq_status lq_model_quantize_opts(lq_ctx *ctx, lq_model *base, const lq_scheme *scheme,
                                        const lq_qopts *opts, const int32_t *calib,
                                        int64_t n_calib, int64_t n_ctx, int kv_type,
                                        lq_model **out);

/* Write `m`, a model made by lq_model_quantize with a llama.cpp mixture
 * (q4_k_m, ..., with any method it takes), as the GGUF file lq_gguf_quantize
 * writes for that file type from the same source and imatrix presence: the
 * same metadata, keys and tensor order, every tensor of the type the mixture
 * gave it, with the bytes the model holds. With method rtn the file is
 * byte-identical to lq_gguf_quantize's; with gptq only the quantized
 * tensors' bytes differ. Written atomically. `ctx` (may be NULL) receives
 * progress (stage "save", by tensors) and may cancel. Errors:
 * LQ_ERR_INVALID (NULL arguments, a model not quantized with a mixture),
 * LQ_ERR_IO (also when path exists and is not a regular file),
 * LQ_ERR_NOMEM, LQ_ERR_CANCELLED. */
LQ_API lq_status lq_model_save_gguf(lq_ctx *ctx, const lq_model *m, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* LQ_EXPERIMENTAL_API && !LQ_PIPELINE_H */
