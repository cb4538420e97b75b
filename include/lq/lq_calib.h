/*
 * lq_calib.h — calibration sets and importance-matrix files: what the
 * calibrated methods (lq_methods.h) and llama.cpp's k-quants learn from
 * sample text about a layer's input.
 *
 * A calibration set describes the input of ONE linear layer: the activations
 * x (rows of in_features floats, one per token) that reach it while a model
 * runs on sample text. It keeps, without storing the activations themselves:
 *
 *   - the Hessian H = (2/N) sum_t x_t x_t^T, an in_features^2 float matrix
 *     (GPTQ's proxy for the layer's output error: for a weight error D,
 *     ||X D^T||^2 = (N/2) trace(D H D^T)); N counts TOKENS. The reference
 *     GPTQ scripts count sequences instead; the factor cancels in every method
 *     (damping is relative to the mean diagonal, errors are ratios);
 *   - per input channel: mean |x|, max |x| and sum x^2 (sum x^2 / N is the
 *     importance matrix llama.cpp's k-quants use);
 *   - a bounded, uniformly drawn sample of whole activation rows (default 512
 *     rows), for the statistics a Hessian cannot give (8-bit activation
 *     quantization in W8A8 error reports).
 *
 * Layers that share an input (q/k/v, gate/up) share one calibration set.
 *
 * Thread safety: a set that no thread modifies may be read by many threads
 * (lq_quantize with it, accessors); lq_calib_add, _merge, _scale_channels and
 * _set_max_samples need exclusive use.
 *
 * Stable tier (LIBQUANT_0). Include <lq/lq.h> rather than this file.
 */
#ifndef LQ_CALIB_H
#define LQ_CALIB_H

#include <lq/lq_core.h>
#include <lq/lq_quant.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Calibration sets (lq_calib is declared in lq_quant.h)
 * ------------------------------------------------------------------------ */

/* CONSTRUCTOR. An empty set for a layer with `in_features` inputs (1 to
 * 65536; the Hessian takes 4 * in_features^2 bytes). Errors: LQ_ERR_INVALID
 * (NULL out, in_features out of range), LQ_ERR_NOMEM. */
LQ_API lq_status lq_calib_create(int64_t in_features, lq_calib **out);

/* DESTRUCTOR. Accepts NULL. */
LQ_API void lq_calib_free(lq_calib *c);

/* Add `tokens` activation rows x (row-major, tokens x in_features floats).
 * The Hessian is a running average updated with one BLAS ssyrk per call
 * (H <- N/(N+t) H + 2/(N+t) X^T X), so calls of any size may be mixed.
 * All of x is checked before anything changes: a NaN or infinity is rejected
 * with LQ_ERR_NONFINITE naming its token and channel, and the set is left as
 * it was. Errors: LQ_ERR_INVALID (NULL arguments, tokens < 1),
 * LQ_ERR_NONFINITE. */
LQ_API lq_status lq_calib_add(lq_calib *c, const float *x, int64_t tokens);

/* Add everything in `src` to `dst`, as if dst had also seen src's tokens
 * (token-weighted average of the Hessians, sums added, maxima combined, the
 * samples drawn again from both). Errors: LQ_ERR_INVALID (NULL arguments,
 * dst == src), LQ_ERR_SHAPE (different in_features), LQ_ERR_NOMEM. */
LQ_API lq_status lq_calib_merge(lq_calib *dst, const lq_calib *src);

/* How many activation rows the set keeps as a sample (default 512; 0 keeps
 * none). Lowering it drops rows at random; raising it keeps rows added from
 * now on. Errors: LQ_ERR_INVALID (NULL, n < 0 or > 1<<20), LQ_ERR_NOMEM. */
LQ_API lq_status lq_calib_set_max_samples(lq_calib *c, int64_t n);

/* METHODS. 0 for NULL. */
LQ_API int64_t lq_calib_features(const lq_calib *c); /* in_features */
LQ_API int64_t lq_calib_tokens(const lq_calib *c);   /* N, tokens added */
LQ_API int64_t lq_calib_samples(const lq_calib *c);  /* rows kept as a sample */

/* What lq_calib_get copies out. Pinned values. */
enum lq_calib_stat {
    LQ_CALIB_MEAN_ABS = 0, /* [in] mean |x| per channel (AWQ's activation scale) */
    LQ_CALIB_MAX_ABS = 1,  /* [in] max |x| per channel (SmoothQuant, LLM.int8 outliers) */
    LQ_CALIB_SUM_SQ = 2,   /* [in] sum x^2 per channel */
    LQ_CALIB_MEAN_SQ = 3,  /* [in] sum x^2 / N: the importance matrix for lq_quantize */
    LQ_CALIB_HESSIAN = 4,  /* [in * in] H, full symmetric, row-major */
    LQ_CALIB_SAMPLES = 5   /* [samples * in] the sampled activation rows */
};

/* Copy a statistic into the caller's array of `count` floats, which must be
 * exactly the size given above. Before any token is added every statistic is
 * zero. Errors: LQ_ERR_INVALID (NULL, unknown stat), LQ_ERR_SHAPE (count). */
LQ_API lq_status lq_calib_get(const lq_calib *c, int stat, float *out, int64_t count);

/* Transform the set as if every activation x_j had been multiplied by
 * mult[j] (in_features finite, non-zero floats): what happens to a layer's
 * input when AWQ or SmoothQuant moves a scale into the previous operation
 * (pass 1/s there). Errors: LQ_ERR_INVALID (NULL, a zero or non-finite
 * factor; the set is then unchanged). */
LQ_API lq_status lq_calib_scale_channels(lq_calib *c, const float *mult);

/* Save to / load from a file in libquant's calibration format (doc/methods.md:
 * magic "LQCALIB1", a version, sizes, the statistics, a 64-bit checksum).
 * Saving writes a temporary file next to `path` and renames it into place, so
 * a failure never leaves a partial file under that name. Loading checks every
 * size against the file length and the checksum before returning a set.
 * Errors: LQ_ERR_INVALID (NULL arguments), LQ_ERR_IO (the file cannot be
 * opened, read or written), LQ_ERR_FORMAT (not a calibration file, an
 * unsupported version, inconsistent sizes, a bad checksum), LQ_ERR_NOMEM. */
LQ_API lq_status lq_calib_save(const lq_calib *c, const char *path);
LQ_API lq_status lq_calib_load(const char *path, lq_calib **out);

/* ------------------------------------------------------------------------
 * Importance-matrix files, as llama.cpp's llama-imatrix writes and
 * llama-quantize --imatrix reads them: per weight name, the mean of x^2 per
 * input column (over the tokens that reached that weight).
 * ------------------------------------------------------------------------ */
typedef struct lq_imatrix lq_imatrix;

/* File formats. Pinned values. */
enum lq_imatrix_format {
    LQ_IMATRIX_DAT = 0, /* the legacy binary .dat layout (doc/methods.md) */
    LQ_IMATRIX_GGUF = 1 /* GGUF with <name>.in_sum2 and <name>.counts tensors */
};

/* CONSTRUCTOR. An empty matrix set. Errors: LQ_ERR_INVALID, LQ_ERR_NOMEM. */
LQ_API lq_status lq_imatrix_create(lq_imatrix **out);

/* DESTRUCTOR. Accepts NULL. */
LQ_API void lq_imatrix_free(lq_imatrix *im);

/* Record the input statistics of weight `name` (e.g. "blk.0.attn_q.weight")
 * from a calibration set: sum x^2 per channel and the token count. A name
 * already present is replaced. Layers sharing an input are added once per
 * weight name. Errors: LQ_ERR_INVALID (NULL, empty name or longer than
 * LQ_MAX_NAME, a set with no tokens), LQ_ERR_NOMEM. */
LQ_API lq_status lq_imatrix_add(lq_imatrix *im, const char *name, const lq_calib *c);

/* Number of entries, and the name of entry i (borrowed, valid until the set
 * changes; NULL when i is out of range). Entries are sorted by name. */
LQ_API int64_t lq_imatrix_count(const lq_imatrix *im);
LQ_API const char *lq_imatrix_name(const lq_imatrix *im, int64_t i);

/* Length of `name`'s vector (its in_features), or 0 when absent. */
LQ_API int64_t lq_imatrix_length(const lq_imatrix *im, const char *name);

/* Copy the importance weights of `name` (mean x^2 per column, the array
 * lq_quantize takes as `imatrix`) into out[count]. Errors: LQ_ERR_INVALID
 * (NULL, no such name: the message names it), LQ_ERR_SHAPE (count differs). */
LQ_API lq_status lq_imatrix_get(const lq_imatrix *im, const char *name, float *out,
                                int64_t count);

/* Write all entries in `format` (atomically, as lq_calib_save), with
 * `dataset` (may be NULL) recorded as the calibration text's name. The legacy
 * format stores mean x^2 times ncall, ncall = ceil(tokens / chunk), which its
 * readers divide out again; chunk (also GGUF's imatrix.chunk_size) is the
 * window of lq_model_imatrix_v2, the chunk size of a GGUF file the set was
 * loaded from, otherwise 512 (llama-imatrix's default).
 * Errors: LQ_ERR_INVALID (NULL, an empty set, an unknown format),
 * LQ_ERR_UNSUPPORTED (GGUF in a build without the GGUF writer), LQ_ERR_IO,
 * LQ_ERR_NOMEM. */
LQ_API lq_status lq_imatrix_save(const lq_imatrix *im, const char *path, int format,
                                 const char *dataset);

/* CONSTRUCTOR. Read a file in either format (GGUF is recognised by its magic).
 * Every count and length is checked against the file size; values must be
 * finite and non-negative. Errors: LQ_ERR_INVALID, LQ_ERR_IO, LQ_ERR_FORMAT
 * (with the offending entry and offset in the message), LQ_ERR_UNSUPPORTED (a
 * GGUF file in a build without the GGUF reader), LQ_ERR_NOMEM. */
LQ_API lq_status lq_imatrix_load(const char *path, lq_imatrix **out);

#ifdef __cplusplus
}
#endif
#endif /* LQ_CALIB_H */
