/* calib_file.c — lq_calib_save / lq_calib_load: libquant's calibration file,
 * version 1 (doc/methods.md). All numbers little-endian:
 *
 *   "LQCALIB1"                 8 bytes magic
 *   u32 version = 1, u32 flags = 0
 *   i64 in_features n, tokens, max_samples, nsamples; u64 sampler state
 *   f32 H upper triangle, row by row (n(n+1)/2 values)
 *   f64 sum|x| [n], f64 sum x^2 [n], f32 max|x| [n]
 *   f32 samples [nsamples * n], f64 sample keys [nsamples]
 *   u64 FNV-1a 64 of every byte before it
 */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "binfile.h"
#include "calib.h"
#include "panels.h"

static const char magic[8] = {'L', 'Q', 'C', 'A', 'L', 'I', 'B', '1'};
#define CALIB_VERSION 1u

lq_status lq_calib_save(const lq_calib *c, const char *path)
{
    static const char fn[] = "lq_calib_save";
    if (!c || !path)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    lq__bw w;
    lq_status st = lq__bw_open(&w, fn, path);
    if (st != LQ_OK)
        return st;
    const int64_t n = c->n;
    lq__bw_bytes(&w, magic, sizeof magic);
    lq__bw_u32(&w, CALIB_VERSION);
    lq__bw_u32(&w, 0);
    lq__bw_u64(&w, (uint64_t)n);
    lq__bw_u64(&w, (uint64_t)c->tokens);
    lq__bw_u64(&w, (uint64_t)c->max_samples);
    lq__bw_u64(&w, (uint64_t)c->nsamples);
    lq__bw_u64(&w, c->rng);
    for (int64_t i = 0; i < n; i++)
        lq__bw_f32s(&w, lq__panels_at(c->h, n, i, i), (size_t)(n - i));
    lq__bw_f64s(&w, c->sum_abs, (size_t)n);
    lq__bw_f64s(&w, c->sum_sq, (size_t)n);
    lq__bw_f32s(&w, c->max_abs, (size_t)n);
    lq__bw_f32s(&w, c->samples, (size_t)(c->nsamples * n));
    lq__bw_f64s(&w, c->keys, (size_t)c->nsamples);
    lq__bw_u64(&w, w.hash);
    return lq__bw_finish(&w);
}

/* Bytes the body takes after the fixed header, or 0 on overflow. */
static uint64_t body_bytes(uint64_t n, uint64_t ns)
{
    uint64_t tri = n * (n + 1) / 2;
    return 4 * tri + 20 * n + 4 * ns * n + 8 * ns + 8;
}

static lq_status bad(const char *fn, const lq__br *r, const char *what)
{
    return lq__fail(LQ_ERR_FORMAT, "%s: '%s': %s", fn, r->path, what);
}

static lq_status read_body(const char *fn, lq__br *r, lq_calib *c)
{
    const int64_t n = c->n;
    bool ok = true;
    for (int64_t i = 0; ok && i < n; i++)
        ok = lq__br_f32s(r, lq__panels_at(c->h, n, i, i), (size_t)(n - i));
    ok = ok && lq__br_f64s(r, c->sum_abs, (size_t)n) && lq__br_f64s(r, c->sum_sq, (size_t)n) &&
         lq__br_f32s(r, c->max_abs, (size_t)n) &&
         lq__br_f32s(r, c->samples, (size_t)(c->nsamples * n)) &&
         lq__br_f64s(r, c->keys, (size_t)c->nsamples);
    if (!ok)
        return bad(fn, r, "truncated");
    uint64_t want = lq__fnv1a(LQ__FNV_START, r->data, r->pos), got;
    if (!lq__br_u64(r, &got) || got != want)
        return bad(fn, r, "checksum mismatch (the file is damaged)");
    for (int64_t i = 0; i < n; i++) {
        if (!(c->sum_abs[i] >= 0) || !(c->sum_sq[i] >= 0) || !(c->max_abs[i] >= 0) ||
            !isfinite(c->sum_abs[i]) || !isfinite(c->sum_sq[i]) || !isfinite(c->max_abs[i]))
            return bad(fn, r, "a channel statistic is negative or not finite");
        const float *row = lq__panels_at(c->h, n, i, i);
        for (int64_t j = 0; j < n - i; j++)
            if (!isfinite(row[j]))
                return bad(fn, r, "the Hessian holds a non-finite value");
    }
    for (int64_t i = 0; i < c->nsamples; i++)
        if (!(c->keys[i] >= 0 && c->keys[i] < 1))
            return bad(fn, r, "a sample key is outside [0, 1)");
    return LQ_OK;
}

lq_status lq_calib_load(const char *path, lq_calib **out)
{
    static const char fn[] = "lq_calib_load";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!path)
        return lq__fail(LQ_ERR_INVALID, "%s: path is NULL", fn);
    lq__br r;
    lq_status st = lq__br_open(&r, fn, path);
    if (st != LQ_OK)
        return st;
    char m[8];
    uint32_t version = 0, flags = 0;
    uint64_t n = 0, tokens = 0, max_samples = 0, ns = 0, rng = 0;
    if (!lq__br_bytes(&r, m, 8) || memcmp(m, magic, 8) != 0)
        st = bad(fn, &r, "not a libquant calibration file (magic)");
    else if (!lq__br_u32(&r, &version) || !lq__br_u32(&r, &flags) || !lq__br_u64(&r, &n) ||
             !lq__br_u64(&r, &tokens) || !lq__br_u64(&r, &max_samples) || !lq__br_u64(&r, &ns) ||
             !lq__br_u64(&r, &rng))
        st = bad(fn, &r, "truncated header");
    else if (version != CALIB_VERSION)
        st = lq__fail(LQ_ERR_FORMAT, "%s: '%s': version %u; this library reads version %u", fn,
                      path, version, CALIB_VERSION);
    else if (flags != 0 || n < 1 || n > LQ__CALIB_MAX_FEATURES || tokens > INT64_MAX ||
             max_samples > (uint64_t)LQ__CALIB_MAX_SAMPLES || ns > max_samples || ns > tokens)
        st = bad(fn, &r, "inconsistent sizes in the header");
    else if (body_bytes(n, ns) != lq__br_left(&r))
        st = lq__fail(LQ_ERR_FORMAT, "%s: '%s': %zu bytes follow the header, %llu expected", fn,
                      path, lq__br_left(&r), (unsigned long long)body_bytes(n, ns));
    lq_calib *c = NULL;
    if (st == LQ_OK && !(c = lq__calib_new((int64_t)n, (int64_t)max_samples)))
        st = lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate a set of %llu features", fn,
                      (unsigned long long)n);
    if (st == LQ_OK) {
        c->tokens = (int64_t)tokens;
        c->nsamples = (int64_t)ns;
        c->rng = rng;
        if (max_samples > 0) {
            c->samples = lq__malloc((size_t)(max_samples * n) * sizeof *c->samples);
            c->keys = lq__malloc((size_t)max_samples * sizeof *c->keys);
            if (!c->samples || !c->keys)
                st = lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate the row sample", fn);
        }
    }
    if (st == LQ_OK)
        st = read_body(fn, &r, c);
    lq__br_close(&r);
    if (st != LQ_OK) {
        lq_calib_free(c);
        return st;
    }
    *out = c;
    return LQ_OK;
}
