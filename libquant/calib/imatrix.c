/* imatrix.c — lq_imatrix: importance matrices by weight name, and llama.cpp's
 * legacy .dat file (doc/methods.md). Little-endian:
 *
 *   i32 n_entries
 *   n_entries x { i32 name_len, name bytes, i32 ncall, i32 nval,
 *                 f32 values[nval] = mean x^2 * ncall }
 *   i32 chunk count, i32 dataset_len, dataset bytes     (optional trailer)
 *
 * Readers (llama-quantize) divide the values by ncall again. */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "binfile.h"
#include "calib.h"
#include "imatrix.h"

lq_status lq_imatrix_create(lq_imatrix **out)
{
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "lq_imatrix_create: out is NULL");
    *out = lq__calloc(1, sizeof **out);
    return *out ? LQ_OK : lq__fail(LQ_ERR_NOMEM, "lq_imatrix_create: out of memory");
}

void lq__imatrix_entry_free(lq__imatrix_entry *e)
{
    lq__free(e->name);
    lq__free(e->sum_sq);
    lq__free(e->counts);
    memset(e, 0, sizeof *e);
}

void lq_imatrix_free(lq_imatrix *im)
{
    if (!im)
        return;
    for (int64_t i = 0; i < im->count; i++)
        lq__imatrix_entry_free(&im->e[i]);
    lq__free(im->e);
    lq__free(im);
}

/* Index of the first entry whose name is >= name. */
static int64_t lower_bound(const lq_imatrix *im, const char *name)
{
    int64_t lo = 0, hi = im->count;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (strcmp(im->e[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const lq__imatrix_entry *lq__imatrix_find(const lq_imatrix *im, const char *name)
{
    int64_t i = lower_bound(im, name);
    return i < im->count && strcmp(im->e[i].name, name) == 0 ? &im->e[i] : NULL;
}

lq_status lq__imatrix_put(lq_imatrix *im, lq__imatrix_entry *e)
{
    int64_t i = lower_bound(im, e->name);
    if (i < im->count && strcmp(im->e[i].name, e->name) == 0) {
        lq__imatrix_entry_free(&im->e[i]);
        im->e[i] = *e;
        return LQ_OK;
    }
    if (im->count == im->cap) {
        int64_t cap = im->cap ? 2 * im->cap : 16;
        lq__imatrix_entry *ne = lq__malloc((size_t)cap * sizeof *ne);
        if (!ne) {
            lq__imatrix_entry_free(e);
            return lq__fail(LQ_ERR_NOMEM, "out of memory");
        }
        if (im->count)
            memcpy(ne, im->e, (size_t)im->count * sizeof *ne);
        lq__free(im->e);
        im->e = ne;
        im->cap = cap;
    }
    memmove(im->e + i + 1, im->e + i, (size_t)(im->count - i) * sizeof *im->e);
    im->e[i] = *e;
    im->count++;
    return LQ_OK;
}

static lq_status check_name(const char *fn, const char *name, size_t len)
{
    if (len == 0 || len > LQ_MAX_NAME)
        return lq__fail(LQ_ERR_INVALID, "%s: a name must have 1 to %d bytes", fn, LQ_MAX_NAME);
    if (memchr(name, 0, len))
        return lq__fail(LQ_ERR_INVALID, "%s: a name holds a NUL byte", fn);
    return LQ_OK;
}

lq_status lq_imatrix_add(lq_imatrix *im, const char *name, const lq_calib *c)
{
    static const char fn[] = "lq_imatrix_add";
    if (!im || !name || !c)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    lq_status st = check_name(fn, name, strlen(name));
    if (st != LQ_OK)
        return st;
    if (c->tokens == 0)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s': the calibration set has no tokens", fn, name);
    lq__imatrix_entry e = {0};
    size_t len = strlen(name);
    e.n = c->n;
    e.nmat = 1;
    e.name = lq__malloc(len + 1);
    e.sum_sq = lq__malloc((size_t)c->n * sizeof *e.sum_sq);
    e.counts = lq__malloc(sizeof *e.counts);
    if (!e.name || !e.sum_sq || !e.counts) {
        lq__imatrix_entry_free(&e);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    memcpy(e.name, name, len + 1);
    memcpy(e.sum_sq, c->sum_sq, (size_t)c->n * sizeof *e.sum_sq);
    e.counts[0] = (double)c->tokens;
    st = lq__imatrix_put(im, &e);
    if (st != LQ_OK)
        lq__error_prefix(fn);
    return st;
}

int64_t lq_imatrix_count(const lq_imatrix *im) { return im ? im->count : 0; }

const char *lq_imatrix_name(const lq_imatrix *im, int64_t i)
{
    return im && i >= 0 && i < im->count ? im->e[i].name : NULL;
}

int64_t lq_imatrix_length(const lq_imatrix *im, const char *name)
{
    const lq__imatrix_entry *e = im && name ? lq__imatrix_find(im, name) : NULL;
    return e ? e->n : 0;
}

lq_status lq_imatrix_get(const lq_imatrix *im, const char *name, float *out, int64_t count)
{
    static const char fn[] = "lq_imatrix_get";
    if (!im || !name || !out)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    const lq__imatrix_entry *e = lq__imatrix_find(im, name);
    if (!e)
        return lq__fail(LQ_ERR_INVALID, "%s: no entry named '%s'", fn, name);
    if (count != e->n)
        return lq__fail(LQ_ERR_SHAPE, "%s: '%s' has %lld values, the buffer %lld", fn, name,
                        (long long)e->n, (long long)count);
    int64_t per = e->n / e->nmat;
    for (int64_t i = 0; i < e->n; i++) {
        double cnt = e->counts[i / per];
        /* a matrix that saw no token (an unused expert) weighs all columns
         * alike, as llama-quantize does */
        out[i] = cnt > 0 ? (float)(e->sum_sq[i] / cnt) : 1.0f;
    }
    return LQ_OK;
}

static lq_status save_dat(const lq_imatrix *im, const char *path, const char *dataset)
{
    static const char fn[] = "lq_imatrix_save";
    lq__bw w;
    lq_status st = lq__bw_open(&w, fn, path);
    if (st != LQ_OK)
        return st;
    int32_t chunks = 0;
    lq__bw_i32(&w, (int32_t)im->count);
    for (int64_t k = 0; k < im->count; k++) {
        const lq__imatrix_entry *e = &im->e[k];
        double maxc = 0;
        for (int64_t m = 0; m < e->nmat; m++)
            maxc = e->counts[m] > maxc ? e->counts[m] : maxc;
        int32_t ncall = (int32_t)ceil(maxc / LQ__IMATRIX_CHUNK);
        if (ncall > chunks)
            chunks = ncall;
        lq__bw_i32(&w, (int32_t)strlen(e->name));
        lq__bw_bytes(&w, e->name, strlen(e->name));
        lq__bw_i32(&w, ncall);
        lq__bw_i32(&w, (int32_t)e->n);
        int64_t per = e->n / e->nmat;
        for (int64_t i = 0; i < e->n; i++) {
            double cnt = e->counts[i / per];
            float v = cnt > 0 ? (float)(e->sum_sq[i] / cnt * ncall) : 1.0f;
            lq__bw_f32s(&w, &v, 1);
        }
    }
    size_t dlen = dataset ? strlen(dataset) : 0;
    lq__bw_i32(&w, chunks);
    lq__bw_i32(&w, (int32_t)dlen);
    lq__bw_bytes(&w, dataset, dlen);
    return lq__bw_finish(&w);
}

lq_status lq__imatrix_save_gguf(const lq_imatrix *im, const char *path, const char *dataset);

lq_status lq_imatrix_save(const lq_imatrix *im, const char *path, int format, const char *dataset)
{
    static const char fn[] = "lq_imatrix_save";
    if (!im || !path)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (im->count == 0)
        return lq__fail(LQ_ERR_INVALID, "%s: the importance matrix has no entries", fn);
    if (dataset && strlen(dataset) > INT32_MAX)
        return lq__fail(LQ_ERR_INVALID, "%s: dataset name too long", fn);
    for (int64_t k = 0; k < im->count; k++)
        if (im->e[k].n > INT32_MAX)
            return lq__fail(LQ_ERR_INVALID, "%s: '%s' is too long for the file", fn, im->e[k].name);
    switch (format) {
    case LQ_IMATRIX_DAT: return save_dat(im, path, dataset);
    case LQ_IMATRIX_GGUF: return lq__imatrix_save_gguf(im, path, dataset);
    default: return lq__fail(LQ_ERR_INVALID, "%s: unknown format %d", fn, format);
    }
}

/* One legacy entry at the reader's position. */
static lq_status read_dat_entry(const char *fn, lq__br *r, int32_t k, lq__imatrix_entry *e)
{
    size_t at = r->pos;
    int32_t len, ncall, nval;
    if (!lq__br_i32(r, &len) || len < 1 || len > LQ_MAX_NAME || (size_t)len > lq__br_left(r))
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': entry %d at offset %zu: bad name length", fn,
                        r->path, k, at);
    e->name = lq__malloc((size_t)len + 1);
    if (!e->name)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    lq__br_bytes(r, e->name, (size_t)len);
    e->name[len] = 0;
    if (strlen(e->name) != (size_t)len)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': entry %d: name holds a NUL byte", fn, r->path, k);
    if (!lq__br_i32(r, &ncall) || !lq__br_i32(r, &nval) || ncall < 0 || nval < 1 ||
        (size_t)nval > lq__br_left(r) / 4)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': entry %d '%s': bad call or value count", fn,
                        r->path, k, e->name);
    e->n = nval;
    e->nmat = 1;
    e->sum_sq = lq__malloc((size_t)nval * sizeof *e->sum_sq);
    e->counts = lq__malloc(sizeof *e->counts);
    float *v = lq__malloc((size_t)nval * sizeof *v);
    if (!e->sum_sq || !e->counts || !v) {
        lq__free(v);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    lq__br_f32s(r, v, (size_t)nval);
    lq_status st = LQ_OK;
    for (int32_t i = 0; i < nval; i++) {
        if (!isfinite(v[i]) || v[i] < 0) {
            st = lq__fail(LQ_ERR_FORMAT, "%s: '%s': entry '%s' value %d is %g", fn, r->path,
                          e->name, i, v[i]);
            break;
        }
        e->sum_sq[i] = v[i];
    }
    lq__free(v);
    /* ncall 0: the values are used as they are (llama-quantize does the same) */
    e->counts[0] = ncall > 0 ? ncall : 1;
    return st;
}

static lq_status load_dat(const char *fn, lq__br *r, lq_imatrix *im)
{
    int32_t n_entries;
    if (!lq__br_i32(r, &n_entries) || n_entries < 1 || (size_t)n_entries > lq__br_left(r) / 13)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': bad entry count", fn, r->path);
    for (int32_t k = 0; k < n_entries; k++) {
        lq__imatrix_entry e = {0};
        lq_status st = read_dat_entry(fn, r, k, &e);
        if (st == LQ_OK && lq__imatrix_find(im, e.name))
            st = lq__fail(LQ_ERR_FORMAT, "%s: '%s': entry '%s' appears twice", fn, r->path, e.name);
        if (st != LQ_OK) {
            lq__imatrix_entry_free(&e);
            return st;
        }
        if ((st = lq__imatrix_put(im, &e)) != LQ_OK)
            return st;
    }
    /* optional trailer: chunk count, then the dataset name */
    int32_t chunks, dlen;
    if (lq__br_left(r) == 0)
        return LQ_OK;
    bool ok = lq__br_i32(r, &chunks) && chunks >= 0;
    if (ok && lq__br_left(r) > 0) /* the dataset name is optional too */
        ok = lq__br_i32(r, &dlen) && dlen >= 0 && (size_t)dlen == lq__br_left(r);
    if (!ok)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': malformed trailer at offset %zu", fn, r->path,
                        r->pos);
    return LQ_OK;
}

lq_status lq__imatrix_load_gguf(const char *fn, const char *path, lq_imatrix *im);

lq_status lq_imatrix_load(const char *path, lq_imatrix **out)
{
    static const char fn[] = "lq_imatrix_load";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!path)
        return lq__fail(LQ_ERR_INVALID, "%s: path is NULL", fn);
    lq_imatrix *im = NULL;
    lq_status st = lq_imatrix_create(&im);
    if (st != LQ_OK)
        return st;
    lq__br r;
    st = lq__br_open(&r, fn, path);
    if (st == LQ_OK) {
        if (r.size >= 4 && memcmp(r.data, "GGUF", 4) == 0) {
            lq__br_close(&r);
            st = lq__imatrix_load_gguf(fn, path, im);
        } else {
            st = load_dat(fn, &r, im);
            lq__br_close(&r);
        }
    }
    if (st != LQ_OK) {
        lq_imatrix_free(im);
        return st;
    }
    *out = im;
    return LQ_OK;
}
