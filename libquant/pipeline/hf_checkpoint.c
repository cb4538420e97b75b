/* hf_checkpoint.c — lq_hf_save_quantized: a model quantized in memory
 * written as the Hugging Face checkpoint folder of one layout
 * (doc/hf-checkpoints.md). The tensor names and the Q/K row order come from
 * the source folder as the converter reads it (hf/model.h), in reverse: each
 * checkpoint tensor is written under its own name from the model's tensor of
 * the GGUF name the converter gives it. */
#include <stdio.h>
#include <string.h>

#include <lq/lq_hf.h>

#include "../calib/calib.h"
#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../core/half.h"
#include "../hf/model.h"
#include "../hf/qk_rows.h"
#include "../io/file.h"
#include "../io/safetensors_internal.h"
#include "../model/calibrate.h"
#include "hf_checkpoint.h"

/* transformers' default shard size (save_pretrained's max_shard_size "5GB"). */
#define SHARD_DEFAULT 5000000000u

typedef struct {
    const char *fn;
    const lq_ctx *user;
    lq_model *q;
    int format;
    lq__hf_model src;
    lq_calib **calib;     /* n_layer * LQ__SITE_COUNT input sets, LQ_HF_FP8_STATIC only */
    lq_safetensors *st;
    /* the exported tensors of one linear weight (src.out[made_for]), kept
     * while the safetensors writer asks for them (make_linear) */
    lq_safetensors *made;
    int64_t made_for;
} writer;

/* ---- input scales (LQ_HF_FP8_STATIC) ---- */

static lq_status keep_sets(void *user, int64_t layer, lq_calib *const *sets)
{
    writer *w = user;
    for (int s = 0; s < LQ__SITE_COUNT; s++) {
        lq_calib **slot = &w->calib[layer * LQ__SITE_COUNT + s];
        if (!(*slot = lq__calib_clone(sets[s])))
            return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", w->fn);
    }
    return LQ_OK;
}

/* What each layer's weights see when the tokens run through the quantized
 * model, layer by layer (maxima only: all input_scale needs). */
static lq_status measure_inputs(writer *w, const int32_t *calib, int64_t n_calib)
{
    if (!calib || n_calib < 1)
        return lq__fail(LQ_ERR_INVALID, "%s: fp8_static needs calibration tokens for its "
                        "input scales", w->fn);
    w->calib = lq__calloc((size_t)(w->q->hp.n_layer * LQ__SITE_COUNT), sizeof *w->calib);
    if (!w->calib)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", w->fn);
    return lq__calibrate(w->user, w->fn, w->q, w->q, calib, n_calib, w->q->kv.n_ctx,
                         LQ__CALIB_SUMS_ONLY, keep_sets, w);
}

/* The input set of GGUF weight `name` ("blk.N.part.weight"), or NULL. */
static const lq_calib *input_of(const writer *w, const char *name)
{
    static const struct { const char *part; int site; } sites[] = {
        {"attn_q", LQ__SITE_ATTN},       {"attn_k", LQ__SITE_ATTN},
        {"attn_v", LQ__SITE_ATTN},       {"attn_output", LQ__SITE_ATTN_OUT},
        {"ffn_gate", LQ__SITE_FFN},      {"ffn_up", LQ__SITE_FFN},
        {"ffn_down", LQ__SITE_FFN_DOWN},
    };
    long long il;
    int used = 0;
    if (!w->calib || sscanf(name, "blk.%lld.%n", &il, &used) != 1 || !used || il < 0 ||
        il >= w->q->hp.n_layer)
        return NULL;
    for (size_t i = 0; i < sizeof sites / sizeof *sites; i++) {
        size_t n = strlen(sites[i].part);
        if (strncmp(name + used, sites[i].part, n) == 0 && strcmp(name + used + n, ".weight") == 0)
            return w->calib[il * LQ__SITE_COUNT + sites[i].site];
    }
    return NULL;
}

/* ---- the tensors ---- */

/* A 1-D tensor of the model (f32) in the checkpoint's dtype and row order. */
static lq_status add_vector(writer *w, const lq__hf_out *o, const char *hf_name,
                            const char *dtype, const float *v, int64_t len)
{
    int bytes = strcmp(dtype, "F32") == 0 ? 4 : strcmp(dtype, "F16") == 0 ||
                strcmp(dtype, "BF16") == 0 ? 2 : 0;
    if (!bytes)
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: '%s' is %s in the source; norms and biases are "
                        "written as F32, F16 or BF16", w->fn, hf_name, dtype);
    uint8_t *buf = lq__malloc((size_t)len * (size_t)bytes);
    if (!buf)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", w->fn);
    for (int64_t r = 0; r < len; r++) {
        uint8_t *d = buf + (size_t)lq__hf_qk_src_row(len, o->heads, r) * (size_t)bytes;
        if (bytes == 4) {
            memcpy(d, &v[r], 4); /* little-endian hosts only, as the whole library */
        } else {
            uint16_t h = dtype[0] == 'B' ? lq__f32_to_bf16(v[r]) : lq__f32_to_f16(v[r]);
            d[0] = (uint8_t)h;
            d[1] = (uint8_t)(h >> 8);
        }
    }
    lq_status st = lq_safetensors_add_tensor_raw(w->st, hf_name, dtype, 1, &len, buf,
                                                 (uint64_t)len * (uint64_t)bytes, LQ_COPY);
    lq__free(buf);
    return st;
}

/* A linear weight of the model in the format's tensors. */
static lq_status add_linear(const writer *w, const lq__hf_out *o, const char *hf_name,
                            const lq_tensor *t, lq_safetensors *into)
{
    lq_tensor *back = NULL;
    lq_status st = o->heads ? lq__hf_qk_unpermute(w->fn, t, o->heads, &back) : LQ_OK;
    char prefix[LQ_MAX_NAME + 1];
    size_t n = strlen(hf_name);
    if (n > 7 && strcmp(hf_name + n - 7, ".weight") == 0)
        n -= 7;
    snprintf(prefix, sizeof prefix, "%.*s", (int)n, hf_name);
    if (st == LQ_OK)
        st = lq_hf_export(back ? back : t, NULL, input_of(w, o->name), w->format, prefix, into);
    lq_tensor_free(back);
    return st;
}

/* Export linear weight src.out[i] (the model's `mat`) into w->made, a set
 * of its own; a weight kept in a temporary file (a memory limit) is read
 * back for it and dropped again. */
static lq_status export_linear(writer *w, int64_t i, const lq_tensor *mat)
{
    const lq__hf_out *o = &w->src.out[i];
    lq_safetensors_free(w->made);
    w->made = NULL;
    w->made_for = -1;
    lq_status st = lq_safetensors_create(&w->made);
    if (st == LQ_OK)
        st = lq__model_fetch(w->fn, w->q, mat);
    if (st == LQ_OK)
        st = add_linear(w, o, lq_safetensors_tensor_name(w->src.st, o->src), mat, w->made);
    lq__model_drop(w->q, mat);
    if (st == LQ_OK)
        w->made_for = i;
    return st;
}

/* The bytes of exported tensor `name` of linear weight src.out[arg], when
 * the safetensors writer reaches it: the weight is exported again unless it
 * was the last one (a weight's tensors of one dtype are stored together).
 * Exporting is deterministic, so the bytes are those that were planned. */
static lq_status make_linear(void *user, int64_t arg, const char *name, uint64_t nbytes,
                             const uint8_t **data)
{
    writer *w = user;
    const lq_tensor *mat = NULL;
    const float *vec;
    int64_t len;
    lq_status st = LQ_OK;
    if (w->made_for != arg) {
        lq__model_weight(w->q, w->src.out[arg].name, &mat, &vec, &len); /* found when planned */
        st = export_linear(w, arg, mat);
    }
    const void *p = NULL;
    uint64_t n = 0;
    int64_t i = st == LQ_OK ? lq_safetensors_find_tensor(w->made, name) : -1;
    if (st == LQ_OK && (i < 0 || lq_safetensors_tensor_raw(w->made, i, &p, &n) != LQ_OK ||
                        n != nbytes))
        st = lq__fail(LQ_ERR_INTERNAL, "%s: '%s' came out other than planned when written",
                      w->fn, name);
    *data = p;
    return st;
}

/* Plan linear weight src.out[i]'s checkpoint tensors: export it once for
 * their names, dtypes and shapes, and add them to the checkpoint deferred,
 * so that the writer makes each when it writes it and the folder's
 * quantized tensors are never all in memory at once. */
static lq_status plan_linear(writer *w, int64_t i, const lq_tensor *mat)
{
    lq_status st = export_linear(w, i, mat);
    for (int64_t k = 0; st == LQ_OK && k < lq_safetensors_tensor_count(w->made); k++) {
        int64_t dims[LQ_SAFETENSORS_MAX_DIMS];
        int nd = lq_safetensors_tensor_ndim(w->made, k);
        for (int d = 0; d < nd && d < LQ_SAFETENSORS_MAX_DIMS; d++)
            dims[d] = lq_safetensors_tensor_dim(w->made, k, d);
        st = lq__safetensors_add_deferred(w->st, lq_safetensors_tensor_name(w->made, k),
                                          lq_safetensors_tensor_dtype(w->made, k), nd, dims,
                                          lq_safetensors_tensor_nbytes(w->made, k), make_linear,
                                          w, i);
    }
    return st;
}

/* The checkpoint tensor of o as the source has it (borrowed from the source's
 * map, which stays open until the folder is written). */
static lq_status add_copy(writer *w, const lq__hf_out *o, const char *hf_name)
{
    const void *raw;
    uint64_t nbytes;
    int64_t dims[LQ_MAX_DIMS];
    int nd = lq_safetensors_tensor_ndim(w->src.st, o->src);
    for (int d = 0; d < nd && d < LQ_MAX_DIMS; d++)
        dims[d] = lq_safetensors_tensor_dim(w->src.st, o->src, d);
    lq_status st = lq_safetensors_tensor_raw(w->src.st, o->src, &raw, &nbytes);
    if (st == LQ_OK)
        st = lq_safetensors_add_tensor_raw(w->st, hf_name,
                                           lq_safetensors_tensor_dtype(w->src.st, o->src), nd,
                                           dims, raw, nbytes, LQ_BORROW);
    return st;
}

static lq_status add_tensor(writer *w, const lq__hf_out *o)
{
    const char *hf_name = lq_safetensors_tensor_name(w->src.st, o->src);
    /* the reference tools keep these unquantized, in the input dtype */
    if (strcmp(o->name, "token_embd.weight") == 0 || strcmp(o->name, "output.weight") == 0)
        return add_copy(w, o, hf_name);
    const lq_tensor *mat;
    const float *vec;
    int64_t len;
    if (!lq__model_weight(w->q, o->name, &mat, &vec, &len))
        return lq__fail(LQ_ERR_INVALID, "%s: the model has no '%s' (%s): was it made from this "
                        "source?", w->fn, o->name, hf_name);
    if (mat && (lq_tensor_dim(mat, 0) != o->rows || lq_tensor_dim(mat, 1) != o->cols))
        return lq__fail(LQ_ERR_SHAPE, "%s: '%s' is [%lld, %lld] in the model, [%lld, %lld] in "
                        "the source", w->fn, o->name, (long long)lq_tensor_dim(mat, 0),
                        (long long)lq_tensor_dim(mat, 1), (long long)o->rows,
                        (long long)o->cols);
    if (vec && len != o->rows * o->cols)
        return lq__fail(LQ_ERR_SHAPE, "%s: '%s' has %lld values in the model, %lld in the "
                        "source", w->fn, o->name, (long long)len, (long long)(o->rows * o->cols));
    lq_status st = mat ? plan_linear(w, o - w->src.out, mat)
                       : add_vector(w, o, hf_name, lq_safetensors_tensor_dtype(w->src.st, o->src),
                                    vec, len);
    if (st != LQ_OK && strncmp(lq_last_error(), w->fn, strlen(w->fn)) != 0) {
        char prefix[LQ_MAX_NAME + 48];
        snprintf(prefix, sizeof prefix, "%s: '%s'", w->fn, hf_name);
        lq__error_prefix(prefix);
    }
    return st;
}

static lq_status add_tensors(writer *w)
{
    lq_status st = lq_safetensors_create(&w->st);
    for (int64_t i = 0; st == LQ_OK && i < w->src.n_out; i++) {
        if (w->src.out[i].src < 0)
            continue; /* made by the converter (rope_freqs): not in the checkpoint */
        st = add_tensor(w, &w->src.out[i]);
        if (st == LQ_OK && w->user && w->user->progress &&
            w->user->progress(w->user->progress_user, "export",
                              (double)(i + 1) / (double)w->src.n_out))
            st = lq__fail(LQ_ERR_CANCELLED, "%s: cancelled by the progress callback", w->fn);
    }
    return st;
}

/* ---- the folder ---- */

/* config.json, quantize_config.json and the copied files: first, so that a
 * source config that cannot take a quantization_config stops the work. */
static lq_status write_small_files(const writer *w, const char *source, const lq_scheme *scheme,
                                   lq__ckpt_dir *d)
{
    char *qc = NULL;
    lq_status st = lq_hf_config(w->format, scheme, &qc);
    if (st == LQ_OK)
        st = lq__ckpt_dir_config(d, source, qc,
                                 w->format == LQ_HF_GPTQ || w->format == LQ_HF_GPTQ_V2);
    if (st == LQ_OK)
        st = lq__ckpt_dir_copy_side_files(d, source);
    lq_free(qc);
    return st;
}

static lq_status write_weights(const writer *w, lq__ckpt_dir *d, uint64_t max_shard_bytes)
{
    char *weights = lq__ckpt_dir_path(d, "model.safetensors");
    lq_status st = weights ? lq_safetensors_save((lq_ctx *)w->user, w->st, weights,
                                                 max_shard_bytes ? max_shard_bytes
                                                                 : SHARD_DEFAULT)
                           : LQ_ERR_NOMEM;
    lq__free(weights);
    return st;
}

lq_status lq_hf_save_quantized(lq_ctx *ctx, lq_model *q, const lq_scheme *scheme,
                               const char *source, int format, const int32_t *calib,
                               int64_t n_calib, const char *out_dir, uint64_t max_shard_bytes,
                               int flags)
{
    static const char fn[] = "lq_hf_save_quantized";
    if (!q || !scheme || !source || !out_dir)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (flags & ~LQ_HF_SAVE_FORCE)
        return lq__fail(LQ_ERR_INVALID, "%s: unknown flags 0x%x", fn, (unsigned)flags);
    if (!q->quantized)
        return lq__fail(LQ_ERR_INVALID, "%s: the model was not made by lq_model_quantize", fn);
    if (n_calib < 0 || (n_calib > 0 && !calib))
        return lq__fail(LQ_ERR_INVALID, "%s: %lld calibration tokens at %p", fn,
                        (long long)n_calib, (const void *)calib);
    char *qc = NULL; /* the scheme and format checked before any work */
    lq_status st = lq_hf_config(format, scheme, &qc);
    lq_free(qc);
    if (st != LQ_OK) {
        lq__error_prefix(fn);
        return st;
    }
    if (!lq__is_dir(source))
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: %s is not a Hugging Face model folder (a GGUF "
                        "source cannot be written as a checkpoint yet)", fn, source);
    writer w = {.fn = fn, .user = ctx, .q = q, .format = format, .made_for = -1};
    lq__ckpt_dir d = {0};
    st = lq__ckpt_dir_open(fn, out_dir, (flags & LQ_HF_SAVE_FORCE) != 0, &d);
    if (st == LQ_OK)
        st = lq__hf_model_load(fn, source, &w.src);
    if (st == LQ_OK)
        st = lq__hf_model_tensors(fn, &w.src, LQ_TYPE_F32, 0);
    if (st == LQ_OK)
        st = write_small_files(&w, source, scheme, &d);
    if (st == LQ_OK && format == LQ_HF_FP8_STATIC)
        st = measure_inputs(&w, calib, n_calib);
    if (st == LQ_OK)
        st = add_tensors(&w);
    if (st == LQ_OK)
        st = write_weights(&w, &d, max_shard_bytes);
    if (st == LQ_OK)
        st = lq__ckpt_dir_commit(&d);
    if (st != LQ_OK && st != LQ_ERR_CANCELLED && strncmp(lq_last_error(), fn, sizeof fn - 1) != 0)
        lq__error_prefix(fn);
    lq__ckpt_dir_close(&d);
    lq_safetensors_free(w.st);
    lq_safetensors_free(w.made);
    for (int64_t i = 0; w.calib && i < q->hp.n_layer * LQ__SITE_COUNT; i++)
        lq_calib_free(w.calib[i]);
    lq__free(w.calib);
    lq__hf_model_clear(&w.src);
    return st;
}
