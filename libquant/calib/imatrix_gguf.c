/* imatrix_gguf.c — llama-imatrix's GGUF importance-matrix file (doc/methods.md):
 *
 *   general.type = "imatrix", imatrix.datasets (array of strings),
 *   imatrix.chunk_count (u32), imatrix.chunk_size (u32);
 *   per weight, in name order: "<name>.in_sum2" f32 [nmat, n / nmat]
 *   (sums of x^2 per column) and "<name>.counts" f32 [nmat, 1] (tokens),
 *   1-D ([n] and [1]) when nmat is 1.
 *
 * It goes through the public GGUF API (lq_io.h) rather than a second GGUF
 * parser. */
#include <math.h>
#include <string.h>

#include <lq/lq_io.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "imatrix.h"
#include "imatrix_file.h"

static const char sums_suffix[] = ".in_sum2";
static const char counts_suffix[] = ".counts";

/* Add an f32 tensor of `shape` made from doubles. */
static lq_status add_f32(lq_gguf *g, const char *name, const char *suffix, int ndim,
                         const int64_t *shape, const double *v, int64_t n)
{
    char full[LQ_MAX_NAME + 16];
    if (strlen(name) + strlen(suffix) > LQ_GGUF_MAX_NAME)
        return lq__fail(LQ_ERR_INVALID, "'%s%s' is longer than GGUF's %d-byte names", name, suffix,
                        LQ_GGUF_MAX_NAME);
    strcpy(full, name);
    strcat(full, suffix);
    float *f = lq__malloc((size_t)n * sizeof *f);
    if (!f)
        return lq__fail(LQ_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < n; i++)
        f[i] = (float)v[i];
    lq_tensor *t = NULL;
    lq_status st = lq_tensor_wrap(LQ_TYPE_F32, ndim, shape, f, (size_t)n * sizeof *f, LQ_BORROW, full,
                                  &t);
    if (st == LQ_OK)
        st = lq_gguf_add_tensor(g, t, LQ_COPY);
    lq_tensor_free(t);
    lq__free(f);
    return st;
}

lq_status lq__imatrix_save_gguf(const lq_imatrix *im, const char *path, const char *dataset)
{
    static const char fn[] = "lq_imatrix_save";
    lq_gguf *g = NULL;
    lq_status st = lq_gguf_create(&g);
    uint32_t chunks = 0;
    const int64_t chunk = lq__imatrix_chunk_size(im);
    for (int64_t k = 0; k < im->count; k++)
        for (int64_t m = 0; m < im->e[k].nmat; m++) {
            double c = ceil(im->e[k].counts[m] / (double)chunk);
            chunks = c > chunks ? (uint32_t)c : chunks;
        }
    const char *datasets[1] = {dataset};
    if (st == LQ_OK)
        st = lq_gguf_set_string(g, "general.type", "imatrix");
    if (st == LQ_OK)
        st = lq_gguf_set_array_strings(g, "imatrix.datasets", datasets, dataset ? 1 : 0);
    if (st == LQ_OK)
        st = lq_gguf_set_u32(g, "imatrix.chunk_count", chunks);
    if (st == LQ_OK)
        st = lq_gguf_set_u32(g, "imatrix.chunk_size", (uint32_t)chunk);
    for (int64_t k = 0; st == LQ_OK && k < im->count; k++) {
        const lq__imatrix_entry *e = &im->e[k];
        /* ggml stores a tensor with its trailing sizes of 1 dropped: one
         * matrix is [n] and [1], as llama-imatrix writes them */
        int ndim = e->nmat > 1 ? 2 : 1;
        int64_t sums_shape[2] = {e->nmat, e->n / e->nmat}, counts_shape[2] = {e->nmat, 1};
        st = add_f32(g, e->name, sums_suffix, ndim, sums_shape + (2 - ndim), e->sum_sq, e->n);
        if (st == LQ_OK)
            st = add_f32(g, e->name, counts_suffix, ndim, counts_shape + (2 - ndim), e->counts,
                         e->nmat);
    }
    if (st == LQ_OK)
        st = lq_gguf_save(NULL, g, path);
    else
        lq__error_prefix(fn);
    lq_gguf_free(g);
    return st;
}

/* The f32 values of tensor `index`, checked finite and non-negative. */
static lq_status read_f32(const char *fn, const char *path, const lq_gguf *g, int64_t index,
                          double **out, int64_t *n)
{
    const char *name = lq_gguf_tensor_name(g, index);
    const void *data;
    uint64_t bytes;
    if (lq_gguf_tensor_ggml_type(g, index) != 0)
        return lq__fail(LQ_ERR_FORMAT, "%s: '%s': tensor '%s' is not f32", fn, path, name);
    lq_status st = lq_gguf_tensor_raw(g, index, &data, &bytes);
    if (st != LQ_OK)
        return st;
    *n = (int64_t)(bytes / 4);
    *out = lq__malloc((size_t)(*n ? *n : 1) * sizeof **out);
    if (!*out)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    for (int64_t i = 0; i < *n; i++) {
        float v;
        memcpy(&v, (const uint8_t *)data + 4 * i, 4);
        if (!isfinite(v) || v < 0)
            return lq__fail(LQ_ERR_FORMAT, "%s: '%s': tensor '%s' value %lld is %g", fn, path,
                            name, (long long)i, v);
        (*out)[i] = v;
    }
    return LQ_OK;
}

/* One weight: its sums tensor at index `si`, its counts found by name. */
static lq_status read_entry(const char *fn, const char *path, const lq_gguf *g, int64_t si,
                            size_t base_len, lq_imatrix *im)
{
    const char *sname = lq_gguf_tensor_name(g, si);
    char cname[LQ_GGUF_MAX_NAME + 16];
    lq__imatrix_entry e = {0};
    memcpy(cname, sname, base_len);
    strcpy(cname + base_len, counts_suffix);
    int64_t ci = lq_gguf_find_tensor(g, cname), nc = 0;
    lq_status st = LQ_OK;
    if (ci < 0)
        st = lq__fail(LQ_ERR_FORMAT, "%s: '%s': '%s' has no '%s'", fn, path, sname, cname);
    if (st == LQ_OK && !(e.name = lq__malloc(base_len + 1)))
        st = lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    if (st == LQ_OK) {
        memcpy(e.name, sname, base_len);
        e.name[base_len] = 0;
        st = read_f32(fn, path, g, si, &e.sum_sq, &e.n);
    }
    if (st == LQ_OK)
        st = read_f32(fn, path, g, ci, &e.counts, &nc);
    e.nmat = nc;
    int ndim = lq_gguf_tensor_ndim(g, si);
    if (st == LQ_OK && (e.n < 1 || nc < 1 || e.n % nc != 0 ||
                        (ndim == 2 ? lq_gguf_tensor_dim(g, si, 0) != nc : ndim != 1 || nc != 1)))
        st = lq__fail(LQ_ERR_FORMAT, "%s: '%s': '%s' has %lld values for %lld counts", fn, path,
                      sname, (long long)e.n, (long long)nc);
    if (st != LQ_OK) {
        lq__imatrix_entry_free(&e);
        return st;
    }
    return lq__imatrix_put(im, &e);
}

lq_status lq__imatrix_load_gguf(const char *fn, const char *path, lq_imatrix *im)
{
    lq_gguf *g = NULL;
    lq_status st = lq_gguf_open(path, &g);
    const char *type = NULL;
    if (st == LQ_OK && (lq_gguf_get_string(g, "general.type", &type, NULL) != LQ_OK ||
                        strcmp(type, "imatrix") != 0))
        st = lq__fail(LQ_ERR_FORMAT, "%s: '%s' is a GGUF file but not an importance matrix "
                      "(general.type)", fn, path);
    const size_t sl = strlen(sums_suffix);
    for (int64_t i = 0; st == LQ_OK && i < lq_gguf_tensor_count(g); i++) {
        const char *name = lq_gguf_tensor_name(g, i);
        size_t len = strlen(name);
        if (len > sl && strcmp(name + len - sl, sums_suffix) == 0)
            st = read_entry(fn, path, g, i, len - sl, im);
    }
    if (st == LQ_OK && im->count == 0)
        st = lq__fail(LQ_ERR_FORMAT, "%s: '%s' holds no '*%s' tensor", fn, path, sums_suffix);
    /* optional: kept so that saving again writes the same call counts; a
     * value no u32 holds is not llama-imatrix's and is ignored */
    int64_t chunk = 0;
    if (st == LQ_OK && lq_gguf_get_int(g, "imatrix.chunk_size", &chunk) == LQ_OK &&
        chunk <= (int64_t)UINT32_MAX)
        lq__imatrix_set_chunk_size(im, chunk);
    lq_gguf_free(g);
    return st;
}
