/* gguf_quantize.c — lq_gguf_quantize: a GGUF model in, the same model in a
 * llama.cpp file type out, tensor by tensor as llama-quantize writes it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lq/lq.h>
#include <lq/lq_calib.h>
#include <lq/lq_hf.h>
#include <lq/lq_io.h>
#include <lq/lq_pipeline.h>

#include "../core/alloc.h"
#include "../core/ctx.h"
#include "../core/error.h"
#include "../io/file.h"
#include "../io/gguf_internal.h"
#include "../io/gguf_size.h"
#include "../io/gguf_source.h"
#include "../io/gguf_split.h"
#include "../methods/budget.h"
#include "../methods/mixture_plan.h"
#include "gguf_quantize_rows.h"
#include "gguf_quantize_writer.h"
#include "qopts.h"

/* Tensors are quantized a slice of whole rows at a time, of about this many
 * values: enough rows for every thread and for large writes, while the f32
 * copy (16 MB) and the input pages in use stay small whatever the tensor's
 * size. Rows are independent in every type, so the bytes do not depend on it. */
#define SLICE_VALUES ((int64_t)4 << 20)

static lq_status parse_type(const char *fn, const char *name, lq_type *out)
{
    if (!name)
        return lq__fail(LQ_ERR_INVALID, "%s: type is NULL", fn);
    lq_type t;
    if (lq_type_from_name(name, &t) != LQ_OK || lq_type_ggml_id(t) < 0)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s' is not a GGUF tensor type", fn, name);
    *out = t;
    return LQ_OK;
}

lq_status lq_qopts_create(const char *file_type, lq_qopts **out)
{
    static const char fn[] = "lq_qopts_create";
    if (!out || !file_type)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    *out = NULL;
    int ftype;
    if (!lq__ftype_from_name(file_type, &ftype))
        return lq__fail(LQ_ERR_INVALID, "%s: unknown file type '%.32s' (%s)", fn, file_type,
                        lq__ftype_names());
    lq_qopts *o = lq__calloc(1, sizeof *o);
    if (!o)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    o->ftype = ftype;
    lq__mixture_init(&o->rules, ftype);
    *out = o;
    return LQ_OK;
}

void lq_qopts_free(lq_qopts *o)
{
    if (!o)
        return;
    lq__mixture_free(&o->rules);
    lq_imatrix_free(o->imatrix);
    lq__free(o);
}

lq_status lq_qopts_set_imatrix(lq_qopts *o, const char *path)
{
    if (!o || !path)
        return lq__fail(LQ_ERR_INVALID, "lq_qopts_set_imatrix: NULL argument");
    lq_imatrix *im = NULL;
    lq_status st = lq_imatrix_load(path, &im);
    if (st != LQ_OK)
        return st;
    lq_imatrix_free(o->imatrix);
    o->imatrix = im;
    o->rules.has_imatrix = true;
    return LQ_OK;
}

lq_status lq_qopts_add_tensor_type(lq_qopts *o, const char *pattern, const char *type)
{
    static const char fn[] = "lq_qopts_add_tensor_type";
    if (!o || !pattern)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    lq_type t;
    lq_status st = parse_type(fn, type, &t);
    if (st == LQ_OK)
        st = lq__mixture_add_override(&o->rules, pattern, t);
    if (st != LQ_OK && st == LQ_ERR_INVALID && strncmp(lq_last_error(), fn, strlen(fn)) != 0)
        lq__error_prefix(fn);
    return st;
}

lq_status lq_qopts_set_output_type(lq_qopts *o, const char *type)
{
    if (!o)
        return lq__fail(LQ_ERR_INVALID, "lq_qopts_set_output_type: NULL argument");
    return parse_type("lq_qopts_set_output_type", type, &o->rules.output_type);
}

lq_status lq_qopts_set_token_embedding_type(lq_qopts *o, const char *type)
{
    if (!o)
        return lq__fail(LQ_ERR_INVALID, "lq_qopts_set_token_embedding_type: NULL argument");
    return parse_type("lq_qopts_set_token_embedding_type", type, &o->rules.token_embd_type);
}

lq_status lq_qopts_set_flag(lq_qopts *o, int flag, int on)
{
    if (!o)
        return lq__fail(LQ_ERR_INVALID, "lq_qopts_set_flag: NULL argument");
    switch (flag) {
    case LQ_QOPT_PURE: o->rules.pure = on != 0; break;
    case LQ_QOPT_LEAVE_OUTPUT: o->rules.quantize_output = on == 0; break;
    case LQ_QOPT_ALLOW_REQUANTIZE: o->allow_requantize = on != 0; break;
    default: return lq__fail(LQ_ERR_INVALID, "lq_qopts_set_flag: unknown flag %d", flag);
    }
    return LQ_OK;
}

lq_status lq_qopts_set_target_bytes(lq_qopts *o, uint64_t bytes)
{
    if (!o)
        return lq__fail(LQ_ERR_INVALID, "lq_qopts_set_target_bytes: NULL argument");
    o->budget.kind = bytes ? LQ__BUDGET_BYTES : LQ__BUDGET_NONE;
    o->budget.value = (double)bytes;
    return LQ_OK;
}

lq_status lq_qopts_set_target_bpw(lq_qopts *o, double bpw)
{
    if (!o)
        return lq__fail(LQ_ERR_INVALID, "lq_qopts_set_target_bpw: NULL argument");
    if (!(bpw >= 0 && bpw <= 64)) /* also NaN */
        return lq__fail(LQ_ERR_INVALID, "lq_qopts_set_target_bpw: %g bits per weight is not in "
                        "0..64", bpw);
    o->budget.kind = bpw > 0 ? LQ__BUDGET_BPW : LQ__BUDGET_NONE;
    o->budget.value = bpw;
    return LQ_OK;
}

lq_status lq_qopts_set_target_file_type(lq_qopts *o, const char *file_type)
{
    static const char fn[] = "lq_qopts_set_target_file_type";
    if (!o)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (!file_type) {
        o->budget.kind = LQ__BUDGET_NONE;
        return LQ_OK;
    }
    int ftype;
    if (!lq__ftype_from_name(file_type, &ftype))
        return lq__fail(LQ_ERR_INVALID, "%s: unknown file type '%.32s' (%s)", fn, file_type,
                        lq__ftype_names());
    o->budget.kind = LQ__BUDGET_FTYPE;
    o->budget.ftype = ftype;
    return LQ_OK;
}

/* ---- one run ---- */

typedef struct run {
    const char *fn;
    lq_ctx *user;           /* the caller's context (threads, progress) */
    lq_ctx inner;           /* what each tensor's quantization runs with */
    const lq_qopts *opts;
    lq_gguf *in, *out;
    int64_t n;
    int64_t *order;
    lq_type *target;        /* per input index; -1: carried raw */
    uint64_t total_bytes, done_bytes;
    const char *tensor;     /* name being worked on */
    uint64_t slice_off, slice_bytes; /* input bytes of the tensor done, and being done */
    float *f32;             /* a slice in f32, reused from tensor to tensor */
    size_t f32_cap;         /* its size in bytes */
    uint8_t *q[2];          /* quantized slices of the one-pass path, reused too: */
    size_t q_cap[2];        /* one is written by r->bg while the other is filled */
    int q_cur;              /* the one to fill next */
    lq__bg_writer *bg;      /* the writer thread of the file being written */
} run;

static lq_type type_of_ggml(int ggml_id)
{
    for (lq_type t = 0; t < LQ_TYPE_COUNT_; t++)
        if (lq_type_name(t) && lq_type_ggml_id(t) == ggml_id)
            return t;
    return -1;
}

static int progress_adapter(void *user, const char *stage, double fraction)
{
    (void)stage;
    run *r = user;
    if (!r->user || !r->user->progress)
        return 0;
    double done = (double)(r->done_bytes + r->slice_off) + fraction * (double)r->slice_bytes;
    return r->user->progress(r->user->progress_user, r->tensor,
                             r->total_bytes ? done / (double)r->total_bytes : 1.0);
}

/* A budget of a file type's size: the size of the file these options give
 * for that file type. */
static lq_status ftype_size(const char *fn, const lq_gguf *in, const lq_qopts *o, lq__budget *b)
{
    lq__mixture m = o->rules;
    lq__ftype_info(b->ftype, &m.default_type, NULL); /* known: lq_qopts_set_target_file_type */
    m.ftype = b->ftype;
    lq__plan q;
    uint64_t size = 0;
    lq_status st = lq__plan_make(fn, in, &m, NULL, &q);
    if (st == LQ_OK) {
        st = lq__gguf_file_size(fn, q.out, &size);
        lq__plan_free(&q);
    }
    b->value = (double)size;
    return st;
}

lq_status lq__qopts_plan(const char *fn, const lq_gguf *in, const lq_qopts *o, int threads,
                         lq__plan *p)
{
    memset(p, 0, sizeof *p);
    lq__budget b = o->budget;
    b.imatrix = o->imatrix;
    b.threads = threads;
    lq_status st = b.kind == LQ__BUDGET_FTYPE ? ftype_size(fn, in, o, &b) : LQ_OK;
    if (st != LQ_OK)
        return st;
    st = lq__plan_make(fn, in, &o->rules, &b, p);
    if (st == LQ_OK && p->needs_imatrix >= 0)
        st = lq__fail(LQ_ERR_INVALID, "%s: tensor '%s': %s in this file type needs an importance "
                      "matrix (--imatrix)", fn, lq_gguf_tensor_name(in, p->needs_imatrix),
                      lq_type_name(p->target[p->needs_imatrix]));
    if (st != LQ_OK)
        lq__plan_free(p);
    return st;
}

/* Every tensor's type and the output's metadata (methods/mixture_plan.c,
 * which the file-size estimate shares). */
static lq_status plan(run *r)
{
    lq__plan p;
    lq_status st = lq__qopts_plan(r->fn, r->in, r->opts, r->inner.threads, &p);
    if (st != LQ_OK)
        return st;
    r->out = p.out;
    r->order = p.order;
    r->target = p.target;
    return LQ_OK;
}

/* The importance weights of a tensor (ne0 * experts floats), or NULL. */
static lq_status imatrix_for(run *r, const char *name, int64_t want, float **out)
{
    *out = NULL;
    if (!r->opts->imatrix)
        return LQ_OK;
    int64_t len = lq_imatrix_length(r->opts->imatrix, name);
    if (len == 0)
        return LQ_OK; /* llama.cpp quantizes such a tensor without one */
    if (len != want) {
        if (strcmp(name, "token_embd.weight") == 0 || strcmp(name, "per_layer_token_embd.weight") == 0)
            return LQ_OK;
        return lq__fail(LQ_ERR_INVALID, "%s: imatrix entry '%s' has %lld values, the tensor needs "
                        "%lld", r->fn, name, (long long)len, (long long)want);
    }
    float *w = lq__calloc((size_t)want, sizeof *w);
    if (!w)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", r->fn);
    lq_status st = lq_imatrix_get(r->opts->imatrix, name, w, want);
    if (st != LQ_OK) {
        lq__free(w);
        return st;
    }
    *out = w;
    return LQ_OK;
}

/* Room for `bytes` in *buf (of *cap bytes), kept from one tensor to the
 * next (no fresh, zeroed allocation per tensor: its page faults and memset
 * were a large part of the time). */
static lq_status reserve(run *r, void *buf, size_t *cap, size_t bytes)
{
    void **p = buf;
    if (bytes <= *cap)
        return LQ_OK;
    lq__free(*p);
    *cap = 0;
    if (!(*p = lq__malloc(bytes)))
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", r->fn);
    *cap = bytes;
    return LQ_OK;
}

/* Write n bytes into w on this thread, once r->bg's write in flight is done. */
static lq_status write_now(run *r, lq_gguf_writer *w, const void *data, uint64_t n)
{
    lq_status st = lq__bg_writer_wait(r->bg);
    return st == LQ_OK ? lq_gguf_writer_write(w, data, n) : st;
}

/* Quantize and write rows [r0, r0 + n) of `src` (f32/f16/bf16, `elem` bytes
 * a value) to `type` (scheme s) with `imatrix` (or NULL): in one pass where
 * gguf_quantize_rows.c applies and all is finite, else through lq_quantize.
 * The input pages `rel` names (NULL: none) are released: by the writer
 * thread on the one-pass path, here after the write on the other. */
static lq_status quantize_slice(run *r, const lq_tensor *src, size_t elem, int64_t r0, int64_t n,
                                lq_type type, const lq_scheme *s, const float *imatrix,
                                const lq__bg_release *rel, lq_gguf_writer *w)
{
    int64_t cols = lq_tensor_dim(src, lq_tensor_ndim(src) - 1);
    int64_t shape[2] = {n, cols};
    size_t bytes = (size_t)(n * cols) * elem;
    const uint8_t *base = (const uint8_t *)lq_tensor_data(src) + (size_t)(r0 * cols) * elem;
    if (lq__rows_fused_applies(type, cols, imatrix)) {
        size_t qbytes = lq__rows_fused_bytes(type, n, cols);
        int k = r->q_cur;
        bool clean = false;
        lq_status st = reserve(r, &r->q[k], &r->q_cap[k], qbytes);
        if (st == LQ_OK)
            st = lq__rows_fused_quantize(r->fn, &r->inner, lq_tensor_type(src), base, n, cols,
                                         type, imatrix, r->q[k], &clean);
        if (st == LQ_OK && clean) {
            r->q_cur = !k;
            return lq__bg_writer_put(r->bg, r->q[k], qbytes, rel);
        }
        if (st != LQ_OK)
            return st;
    }
    lq_ctx plain = {.threads = r->inner.threads}; /* progress comes from the quantization */
    lq_tensor *in = NULL, *f = NULL, *q = NULL;
    lq_status st = reserve(r, &r->f32, &r->f32_cap, (size_t)(n * cols) * sizeof(float));
    if (st == LQ_OK)
        st = lq_tensor_wrap(lq_tensor_type(src), 2, shape, base, bytes, LQ_BORROW,
                            lq_tensor_name(src), &in);
    if (st == LQ_OK)
        st = lq_dequantize_f32(&plain, in, r->f32, n * cols);
    if (st == LQ_OK)
        st = lq_tensor_wrap(LQ_TYPE_F32, 2, shape, r->f32, (size_t)(n * cols) * sizeof(float),
                            LQ_BORROW, lq_tensor_name(src), &f);
    if (st == LQ_OK)
        st = lq_quantize(&r->inner, f, s, NULL, imatrix, &q);
    if (st == LQ_OK)
        st = write_now(r, w, lq_tensor_data(q), lq_tensor_nbytes(q));
    if (rel)
        lq__gguf_map_release(rel->in, rel->index, rel->off, rel->len);
    if (st == LQ_ERR_NONFINITE && r0 > 0) {
        char where[96];
        snprintf(where, sizeof where, "%s: in rows %lld.. (the row number below counts from "
                 "there)", r->fn, (long long)r0);
        lq__error_prefix(where);
    }
    lq_tensor_free(q);
    lq_tensor_free(f);
    lq_tensor_free(in);
    return st;
}

/* Quantize the rows of `src` (f32/f16/bf16) to `type`, slice by slice (see
 * SLICE_VALUES); the experts of a 3-D tensor take their own slice of the
 * imatrix each, so a slice never spans two of them. When `src` is input
 * tensor i's own mapped bytes (i >= 0), each slice's pages are released once
 * it is written. */
static lq_status quantize_tensor(run *r, int64_t i, const lq_tensor *src, lq_type type,
                                 const float *imatrix, lq_gguf_writer *w)
{
    lq_scheme *s = NULL;
    lq_status st = lq_scheme_parse(lq_type_name(type), &s);
    if (st != LQ_OK)
        return st;
    int ndim = lq_tensor_ndim(src);
    int64_t cols = lq_tensor_dim(src, ndim - 1);
    int64_t rows = lq_tensor_numel(src) / cols;
    int64_t expert_rows = imatrix && ndim == 3 ? lq_tensor_dim(src, 1) : rows;
    size_t elem = (size_t)lq_tensor_nbytes(src) / (size_t)lq_tensor_numel(src);
    int64_t step = SLICE_VALUES / cols > 0 ? SLICE_VALUES / cols : 1;
    for (int64_t r0 = 0; st == LQ_OK && r0 < rows;) {
        int64_t n = rows - r0 < step ? rows - r0 : step;
        int64_t left = expert_rows - r0 % expert_rows;
        n = n < left ? n : left;
        uint64_t off = (uint64_t)(r0 * cols) * elem, bytes = (uint64_t)(n * cols) * elem;
        /* progress counts input bytes; a dequantized source is larger */
        r->slice_off = i >= 0 ? off : 0;
        r->slice_bytes = i >= 0 ? bytes : 0;
        const float *im = imatrix ? imatrix + (r0 / expert_rows) * cols : NULL;
        lq__bg_release rel = {r->in, i, off, bytes};
        st = quantize_slice(r, src, elem, r0, n, type, s, im, i >= 0 ? &rel : NULL, w);
        r0 += n;
    }
    lq_scheme_free(s);
    return st;
}

/* Write tensor i: its bytes unchanged, or converted to its target type. */
static lq_status convert_one(run *r, int64_t i, lq_gguf_writer *w)
{
    const char *name = lq_gguf_tensor_name(r->in, i);
    lq_type cur = type_of_ggml(lq_gguf_tensor_ggml_type(r->in, i));
    r->tensor = name;
    r->slice_off = 0;
    r->slice_bytes = lq_gguf_tensor_nbytes(r->in, i);
    if (r->target[i] == cur || cur < 0) {
        const void *data;
        uint64_t nbytes;
        lq_status st = lq_gguf_tensor_raw(r->in, i, &data, &nbytes);
        if (st == LQ_OK)
            st = write_now(r, w, data, nbytes);
        lq__gguf_tensor_release(r->in, i);
        return st;
    }
    if (lq_type_is_quantized(cur) && !r->opts->allow_requantize)
        return lq__fail(LQ_ERR_INVALID, "%s: tensor '%s' is already %s; requantizing is lossy and "
                        "off unless allowed (--allow-requantize)", r->fn, name, lq_type_name(cur));
    lq_tensor *t = NULL, *f = NULL;
    float *imatrix = NULL;
    int64_t mapped = i; /* t is input tensor i's mapped bytes */
    lq_status st = lq_gguf_get_tensor(r->in, i, &t);
    if (st == LQ_OK && cur != LQ_TYPE_F32 && cur != LQ_TYPE_F16 && cur != LQ_TYPE_BF16) {
        st = lq_dequantize(&r->inner, t, LQ_TYPE_F32, &f); /* requantizing, or f64/i* sources */
        lq__gguf_tensor_release(r->in, i);
        if (st == LQ_OK) {
            lq_tensor_free(t);
            t = f;
            mapped = -1;
        }
    }
    if (st == LQ_OK) {
        int ndim = lq_tensor_ndim(t);
        int64_t want = lq_tensor_dim(t, ndim - 1) * (ndim == 3 ? lq_tensor_dim(t, 0) : 1);
        st = imatrix_for(r, name, want, &imatrix);
    }
    if (st == LQ_OK)
        st = quantize_tensor(r, mapped, t, r->target[i], imatrix, w);
    lq__free(imatrix);
    lq_tensor_free(t);
    return st;
}

/* Open the input and plan the output: r->in, r->n, r->out, r->order,
 * r->target; undone by finish_run whatever happened. */
static lq_status start_run(run *r, lq_ctx *ctx, const char *in_path, const lq_qopts *opts)
{
    r->user = ctx;
    r->opts = opts;
    r->inner.threads = ctx ? ctx->threads : 0;
    r->inner.progress = progress_adapter;
    r->inner.progress_user = r;
    /* a Hugging Face model folder is read as its F32 conversion, so that
     * quantizing it equals converting to F32 and quantizing that file */
    lq_status st = lq__is_dir(in_path) ? lq_hf_model_open(in_path, LQ_TYPE_F32, &r->in)
                                       : lq_gguf_open(in_path, &r->in);
    if (st == LQ_OK) {
        r->n = lq_gguf_tensor_count(r->in);
        st = plan(r);
    }
    return st;
}

static void finish_run(run *r)
{
    lq_gguf_free(r->out);
    lq_gguf_free(r->in);
    lq__free(r->order);
    lq__free(r->target);
    lq__free(r->f32);
    lq__free(r->q[0]);
    lq__free(r->q[1]);
}

/* The input bytes of the output's tensors [k0, k1): what progress counts. */
static uint64_t input_bytes(const run *r, int64_t k0, int64_t k1)
{
    uint64_t n = 0;
    for (int64_t k = k0; k < k1; k++)
        n += lq_gguf_tensor_nbytes(r->in, r->order[k]);
    return n;
}

/* Convert the output's tensors [k0, k1) into w, in order; all written when
 * it returns. */
static lq_status convert_range(run *r, int64_t k0, int64_t k1, lq_gguf_writer *w)
{
    lq_status st = lq__bg_writer_start(r->fn, w, &r->bg);
    for (int64_t k = k0; st == LQ_OK && k < k1; k++) {
        int64_t i = r->order[k];
        if (k + 1 < k1) /* read ahead while this one is converted */
            lq__gguf_tensor_prefetch(r->in, r->order[k + 1]);
        st = convert_one(r, i, w);
        lq__gguf_tensor_release(r->in, i); /* a converted input holds one tensor at a time */
        r->done_bytes += lq_gguf_tensor_nbytes(r->in, i);
        r->slice_off = r->slice_bytes = 0;
        if (st == LQ_OK && progress_adapter(r, "", 0.0) != 0)
            st = lq__fail(LQ_ERR_CANCELLED, "%s: cancelled by the progress callback", r->fn);
    }
    if (st == LQ_OK) /* after a failure, its message stays: the write's is not waited for */
        st = lq__bg_writer_wait(r->bg);
    lq__bg_writer_stop(r->bg);
    r->bg = NULL;
    return st;
}

/* The rename at the end would replace the input, which is still being read. */
static lq_status check_not_input(const char *fn, const char *in_path, const char *out_path)
{
    if (lq__same_file(in_path, out_path))
        return lq__fail(LQ_ERR_INVALID, "%s: the output %s is the input file %s (the same file, "
                        "maybe through a link); write to another name", fn, out_path, in_path);
    return LQ_OK;
}

lq_status lq_gguf_quantize(lq_ctx *ctx, const char *in_path, const char *out_path,
                           const lq_qopts *opts)
{
    static const char fn[] = "lq_gguf_quantize";
    if (!in_path || !out_path || !opts)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    lq_status st = check_not_input(fn, in_path, out_path);
    if (st != LQ_OK)
        return st;
    run r = {.fn = fn};
    lq_gguf_writer *w = NULL;
    st = start_run(&r, ctx, in_path, opts);
    if (st == LQ_OK) {
        r.total_bytes = input_bytes(&r, 0, r.n);
        st = lq_gguf_writer_create(r.out, out_path, &w);
    }
    if (st == LQ_OK)
        st = convert_range(&r, 0, r.n, w);
    if (st == LQ_OK)
        st = lq_gguf_writer_finish(w);
    lq_gguf_writer_free(w); /* removes the temporary file unless finished */
    finish_run(&r);
    return st;
}

/* Write split file `no` of the plan (complete under its temporary name). */
static lq_status write_split(run *r, const char *in_path, const int *split_of, int no, int count,
                             const char *path, lq_gguf_writer **w)
{
    lq_status st = check_not_input(r->fn, in_path, path);
    lq_gguf *h = NULL;
    if (st == LQ_OK)
        st = lq__gguf_split_header(r->fn, r->out, split_of, no, count, &h);
    if (st == LQ_OK)
        st = lq__gguf_writer_open(r->fn, h, path, true, w);
    lq_gguf_free(h);
    int64_t k0 = 0; /* a file's tensors are consecutive in the plan */
    while (k0 < r->n && split_of[k0] != no)
        k0++;
    int64_t k1 = k0;
    while (k1 < r->n && split_of[k1] == no)
        k1++;
    if (st == LQ_OK)
        st = convert_range(r, k0, k1, *w);
    if (st == LQ_OK)
        st = lq__gguf_writer_complete(*w);
    return st;
}

/* The files first..last of the plan, complete before any is renamed; a
 * failure leaves none of them. */
static lq_status write_splits(run *r, const char *in_path, const char *prefix,
                              const int *split_of, int first, int last, int count)
{
    int n = last - first + 1;
    lq_gguf_writer **w = lq__calloc((size_t)n, sizeof *w);
    char **paths = lq__calloc((size_t)n, sizeof *paths);
    lq_status st = w && paths ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "%s: out of memory", r->fn);
    for (int j = 0; st == LQ_OK && j < n; j++) {
        if (!(paths[j] = lq__split_path(prefix, first + j, count)))
            st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", r->fn);
        else
            st = write_split(r, in_path, split_of, first + j, count, paths[j], &w[j]);
    }
    int renamed = 0;
    for (; st == LQ_OK && renamed < n; renamed++)
        st = lq__gguf_writer_commit(w[renamed]);
    if (st != LQ_OK) /* take back the ones already in place */
        for (int j = 0; j < renamed - 1; j++)
            unlink(paths[j]);
    for (int j = 0; j < n && w && paths; j++) {
        lq_gguf_writer_free(w[j]);
        lq__free(paths[j]);
    }
    lq__free(w);
    lq__free(paths);
    return st;
}

lq_status lq_gguf_quantize_split(lq_ctx *ctx, const char *in_path, const char *path_prefix,
                                 const lq_qopts *opts, uint64_t max_bytes, int64_t max_tensors,
                                 unsigned flags, int shard, int *n_files)
{
    static const char fn[] = "lq_gguf_quantize_split";
    if (n_files)
        *n_files = 0;
    if (!in_path || !path_prefix || !opts)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (shard < LQ_SPLIT_PLAN)
        return lq__fail(LQ_ERR_INVALID, "%s: shard %d (LQ_SPLIT_ALL, LQ_SPLIT_PLAN or a file "
                        "number from 0)", fn, shard);
    run r = {.fn = fn};
    int *split_of = NULL, count = 0;
    lq_status st = start_run(&r, ctx, in_path, opts);
    if (st == LQ_OK)
        st = lq__gguf_split_check(fn, r.out, max_bytes, max_tensors, flags);
    if (st == LQ_OK && r.n && !(split_of = lq__calloc((size_t)r.n, sizeof *split_of)))
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (st == LQ_OK)
        st = lq__gguf_split_plan(fn, r.out, max_bytes, max_tensors,
                                 flags & LQ_GGUF_SPLIT_NO_TENSOR_FIRST, split_of, &count);
    if (st == LQ_OK && n_files)
        *n_files = count;
    if (st == LQ_OK && shard >= count)
        st = lq__fail(LQ_ERR_INVALID, "%s: file %d asked for, but the split plan has %d files "
                      "(numbered from 0)", fn, shard, count);
    if (st == LQ_OK && shard != LQ_SPLIT_PLAN) {
        int first = shard == LQ_SPLIT_ALL ? 0 : shard;
        int last = shard == LQ_SPLIT_ALL ? count - 1 : shard;
        int64_t k0 = 0, k1 = r.n;
        while (k0 < r.n && split_of[k0] < first)
            k0++;
        while (k1 > k0 && split_of[k1 - 1] > last)
            k1--;
        r.total_bytes = input_bytes(&r, k0, k1);
        st = write_splits(&r, in_path, path_prefix, split_of, first, last, count);
    }
    lq__free(split_of);
    finish_run(&r);
    return st;
}
