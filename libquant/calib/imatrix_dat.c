/* imatrix_dat.c — llama.cpp's legacy .dat importance-matrix file
 * (doc/methods.md). Little-endian:
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
#include "imatrix.h"
#include "imatrix_file.h"

lq_status lq__imatrix_save_dat(const lq_imatrix *im, const char *path, const char *dataset)
{
    static const char fn[] = "lq_imatrix_save";
    lq__bw w;
    lq_status st = lq__bw_open(&w, fn, path);
    if (st != LQ_OK)
        return st;
    int32_t chunks = 0;
    const double chunk = (double)lq__imatrix_chunk_size(im);
    lq__bw_i32(&w, (int32_t)im->count);
    for (int64_t k = 0; k < im->count; k++) {
        const lq__imatrix_entry *e = &im->e[k];
        double maxc = 0;
        for (int64_t m = 0; m < e->nmat; m++)
            maxc = e->counts[m] > maxc ? e->counts[m] : maxc;
        int32_t ncall = (int32_t)ceil(maxc / chunk);
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

lq_status lq__imatrix_load_dat(const char *fn, lq__br *r, lq_imatrix *im)
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
