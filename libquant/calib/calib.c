/* calib.c — lq_calib: a layer's input statistics, accumulated token by token
 * (Hessian by hessian.c, per-channel sums and maxima, a row sample). */
#include <math.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "calib.h"
#include "hessian.h"
#include "panels.h"

/* BLAS calls take at most this many tokens, so every size fits a BLAS int. */
#define SYRK_CHUNK 65536

lq_calib *lq__calib_new(int64_t n, int64_t max_samples)
{
    lq_calib *c = lq__calloc(1, sizeof *c);
    if (!c)
        return NULL;
    size_t floats;
    c->n = n;
    c->file = -1;
    c->max_samples = max_samples;
    c->rng = 0x9e3779b97f4a7c15ull;
    if (!lq__panels_floats(n, &floats) || !(c->h = lq__calloc(floats, sizeof *c->h)) ||
        !(c->sum_abs = lq__calloc((size_t)n, sizeof *c->sum_abs)) ||
        !(c->sum_sq = lq__calloc((size_t)n, sizeof *c->sum_sq)) ||
        !(c->max_abs = lq__calloc((size_t)n, sizeof *c->max_abs))) {
        lq_calib_free(c);
        return NULL;
    }
    return c;
}

lq_calib *lq__calib_new_sums(int64_t n)
{
    lq_calib *c = lq__calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->n = n;
    c->file = -1;
    if (!(c->sum_abs = lq__calloc((size_t)n, sizeof *c->sum_abs)) ||
        !(c->sum_sq = lq__calloc((size_t)n, sizeof *c->sum_sq)) ||
        !(c->max_abs = lq__calloc((size_t)n, sizeof *c->max_abs))) {
        lq_calib_free(c);
        return NULL;
    }
    return c;
}

lq_status lq_calib_create(int64_t in_features, lq_calib **out)
{
    static const char fn[] = "lq_calib_create";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (in_features < 1 || in_features > LQ__CALIB_MAX_FEATURES)
        return lq__fail(LQ_ERR_INVALID, "%s: in_features %lld is outside 1..%d", fn,
                        (long long)in_features, LQ__CALIB_MAX_FEATURES);
    *out = lq__calib_new(in_features, LQ__CALIB_DEFAULT_SAMPLES);
    if (!*out)
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate a %lld x %lld Hessian", fn,
                        (long long)in_features, (long long)in_features);
    return LQ_OK;
}

void lq__calib_drop_factor(lq_calib *c)
{
    lq__free(c->factor.u);
    lq__free(c->factor.perm);
    lq__free(c->factor.hdiag);
    memset(&c->factor, 0, sizeof c->factor);
}

/* H is about to change: what was derived from it, or stored, is stale. */
static void changing(lq_calib *c)
{
    lq__calib_drop_factor(c);
    c->in_file = false;
}

void lq__calib_share(lq_calib *c, bool on)
{
    c->share = on;
    if (!on)
        lq__calib_drop_factor(c);
}

void lq_calib_free(lq_calib *c)
{
    if (!c)
        return;
    lq__calib_drop_factor(c);
    lq__free(c->h);
    lq__free(c->sum_abs);
    lq__free(c->sum_sq);
    lq__free(c->max_abs);
    lq__free(c->samples);
    lq__free(c->keys);
    lq__free(c);
}

int64_t lq_calib_features(const lq_calib *c) { return c ? c->n : 0; }
int64_t lq_calib_tokens(const lq_calib *c) { return c ? c->tokens : 0; }
int64_t lq_calib_samples(const lq_calib *c) { return c ? c->nsamples : 0; }

/* splitmix64: the keys of sampled rows. */
static double next_key(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

/* Room for max_samples rows (allocated on first need). */
static bool reserve_samples(lq_calib *c)
{
    if (c->samples || c->max_samples == 0)
        return true;
    size_t cells;
    if (!lq__mul_size((size_t)c->max_samples, (size_t)c->n, &cells))
        return false;
    c->samples = lq__malloc(cells * sizeof *c->samples);
    c->keys = lq__malloc((size_t)c->max_samples * sizeof *c->keys);
    return c->samples && c->keys;
}

lq_calib *lq__calib_clone(const lq_calib *c)
{
    /* a sums-only set (no Hessian, no sample) stays one */
    lq_calib *d = c->h ? lq__calib_new(c->n, c->max_samples) : lq__calib_new_sums(c->n);
    if (!d || (c->h && !reserve_samples(d))) {
        lq_calib_free(d);
        return NULL;
    }
    const size_t n = (size_t)c->n;
    size_t floats;
    if (c->h && lq__panels_floats(c->n, &floats)) /* (true: d has one) */
        memcpy(d->h, c->h, floats * sizeof *d->h);
    memcpy(d->sum_abs, c->sum_abs, n * sizeof *d->sum_abs);
    memcpy(d->sum_sq, c->sum_sq, n * sizeof *d->sum_sq);
    memcpy(d->max_abs, c->max_abs, n * sizeof *d->max_abs);
    if (c->nsamples) {
        memcpy(d->samples, c->samples, (size_t)c->nsamples * n * sizeof *d->samples);
        memcpy(d->keys, c->keys, (size_t)c->nsamples * sizeof *d->keys);
    }
    d->tokens = c->tokens;
    d->nsamples = c->nsamples;
    d->rng = c->rng;
    return d;
}

static int64_t min_key_slot(const lq_calib *c)
{
    int64_t m = 0;
    for (int64_t i = 1; i < c->nsamples; i++)
        if (c->keys[i] < c->keys[m])
            m = i;
    return m;
}

/* Offer one row with its key: kept when the sample has room or the key beats
 * the smallest kept one. *min_slot caches that smallest slot (-1: unknown). */
static void offer_row(lq_calib *c, const float *row, double key, int64_t *min_slot)
{
    int64_t slot;
    if (c->nsamples < c->max_samples) {
        slot = c->nsamples++;
        *min_slot = -1;
    } else {
        if (*min_slot < 0)
            *min_slot = min_key_slot(c);
        if (key <= c->keys[*min_slot])
            return;
        slot = *min_slot;
        *min_slot = -1;
    }
    memcpy(c->samples + slot * c->n, row, (size_t)c->n * sizeof *row);
    c->keys[slot] = key;
}

/* Keep only the n rows with the largest keys. */
static void shrink_samples(lq_calib *c, int64_t n)
{
    while (c->nsamples > n) {
        int64_t m = min_key_slot(c), last = c->nsamples - 1;
        if (m != last) {
            memcpy(c->samples + m * c->n, c->samples + last * c->n, (size_t)c->n * sizeof(float));
            c->keys[m] = c->keys[last];
        }
        c->nsamples--;
    }
}

lq_status lq_calib_set_max_samples(lq_calib *c, int64_t n)
{
    static const char fn[] = "lq_calib_set_max_samples";
    if (!c)
        return lq__fail(LQ_ERR_INVALID, "%s: set is NULL", fn);
    if (n < 0 || n > LQ__CALIB_MAX_SAMPLES)
        return lq__fail(LQ_ERR_INVALID, "%s: %lld is outside 0..%lld", fn, (long long)n,
                        (long long)LQ__CALIB_MAX_SAMPLES);
    if (n == c->max_samples)
        return LQ_OK;
    size_t cells;
    float *s = NULL;
    double *k = NULL;
    if (n > 0 && (!lq__mul_size((size_t)n, (size_t)c->n, &cells) ||
                  !(s = lq__malloc(cells * sizeof *s)) ||
                  !(k = lq__malloc((size_t)n * sizeof *k)))) {
        lq__free(s);
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot keep %lld rows of %lld floats", fn,
                        (long long)n, (long long)c->n);
    }
    shrink_samples(c, n);
    if (c->nsamples) {
        memcpy(s, c->samples, (size_t)(c->nsamples * c->n) * sizeof *s);
        memcpy(k, c->keys, (size_t)c->nsamples * sizeof *k);
    }
    lq__free(c->samples);
    lq__free(c->keys);
    c->samples = s;
    c->keys = k;
    c->max_samples = n;
    return LQ_OK;
}

/* FNV-1a of the first row, mixed into the key generator so that sets fed
 * different data draw different keys (merged samples stay independent). */
static void mix_rng(lq_calib *c, const float *row)
{
    const unsigned char *p = (const unsigned char *)row;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < (size_t)c->n * sizeof *row; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    c->rng ^= h;
}

lq_status lq_calib_add(lq_calib *c, const float *x, int64_t tokens)
{
    static const char fn[] = "lq_calib_add";
    if (!c || !x)
        return lq__fail(LQ_ERR_INVALID, "%s: %s is NULL", fn, c ? "x" : "set");
    if (tokens < 1)
        return lq__fail(LQ_ERR_INVALID, "%s: tokens must be at least 1, got %lld", fn,
                        (long long)tokens);
    const int64_t n = c->n;
    if (tokens > INT64_MAX / n)
        return lq__fail(LQ_ERR_INVALID, "%s: %lld tokens of %lld floats overflow", fn,
                        (long long)tokens, (long long)n);
    for (int64_t i = 0; i < tokens * n; i++)
        if (!isfinite(x[i]))
            return lq__fail(LQ_ERR_NONFINITE, "%s: %s at token %lld, channel %lld", fn,
                            isnan(x[i]) ? "NaN" : "infinity", (long long)(i / n),
                            (long long)(i % n));
    lq_status st = lq__calib_unpark(c);
    if (st != LQ_OK)
        return st;
    if (!reserve_samples(c))
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate the row sample", fn);
    changing(c);

    if (!c->h) /* a set of sums only (lq__calib_new_sums) */
        c->tokens += tokens;
    for (int64_t t0 = 0; c->h && t0 < tokens; t0 += SYRK_CHUNK) {
        int64_t t = tokens - t0 < SYRK_CHUNK ? tokens - t0 : SYRK_CHUNK;
        double total = (double)c->tokens + (double)t;
        st = lq__hessian_update(c->h, x + t0 * n, n, t, (float)(2.0 / total),
                                (float)((double)c->tokens / total));
        if (st != LQ_OK)
            return st;
        c->tokens += t;
    }
    for (int64_t t = 0; t < tokens; t++) {
        const float *row = x + t * n;
        for (int64_t j = 0; j < n; j++) {
            float a = fabsf(row[j]);
            c->sum_abs[j] += a;
            c->sum_sq[j] += (double)row[j] * row[j];
            if (a > c->max_abs[j])
                c->max_abs[j] = a;
        }
    }
    if (c->max_samples > 0) {
        mix_rng(c, x);
        int64_t min_slot = -1;
        for (int64_t t = 0; t < tokens; t++)
            offer_row(c, x + t * n, next_key(&c->rng), &min_slot);
    }
    return LQ_OK;
}

lq_status lq_calib_merge(lq_calib *dst, const lq_calib *src)
{
    static const char fn[] = "lq_calib_merge";
    if (!dst || !src || dst == src)
        return lq__fail(LQ_ERR_INVALID, "%s: %s", fn,
                        dst == src && dst ? "a set cannot be merged into itself" : "NULL set");
    if (dst->n != src->n)
        return lq__fail(LQ_ERR_SHAPE, "%s: %lld features into %lld", fn, (long long)src->n,
                        (long long)dst->n);
    if (src->tokens == 0)
        return LQ_OK;
    lq_status st = lq__calib_unpark(dst);
    if (st != LQ_OK)
        return st;
    if (!reserve_samples(dst))
        return lq__fail(LQ_ERR_NOMEM, "%s: cannot allocate the row sample", fn);
    changing(dst);
    const int64_t n = dst->n;
    double total = (double)dst->tokens + (double)src->tokens;
    float wd = (float)((double)dst->tokens / total), ws = (float)((double)src->tokens / total);
    for (int64_t i = 0; i < n; i++) {
        float *d = lq__panels_at(dst->h, n, i, i);
        const float *s = lq__panels_at(src->h, n, i, i);
        for (int64_t j = 0; j < n - i; j++)
            d[j] = wd * d[j] + ws * s[j];
    }
    for (int64_t j = 0; j < n; j++) {
        dst->sum_abs[j] += src->sum_abs[j];
        dst->sum_sq[j] += src->sum_sq[j];
        if (src->max_abs[j] > dst->max_abs[j])
            dst->max_abs[j] = src->max_abs[j];
    }
    dst->tokens += src->tokens;
    int64_t min_slot = -1;
    for (int64_t i = 0; i < src->nsamples && dst->max_samples > 0; i++)
        offer_row(dst, src->samples + i * n, src->keys[i], &min_slot);
    return LQ_OK;
}

void lq__calib_hessian(const lq_calib *c, float *out)
{
    const int64_t n = c->n;
    for (int64_t i = 0; i < n; i++) {
        const float *row = lq__panels_at(c->h, n, i, i);
        for (int64_t j = i; j < n; j++)
            out[i * n + j] = out[j * n + i] = row[j - i];
    }
}

void lq__calib_mean_abs(const lq_calib *c, float *out)
{
    for (int64_t j = 0; j < c->n; j++)
        out[j] = c->tokens ? (float)(c->sum_abs[j] / (double)c->tokens) : 0.0f;
}

void lq__calib_mean_sq(const lq_calib *c, float *out)
{
    for (int64_t j = 0; j < c->n; j++)
        out[j] = c->tokens ? (float)(c->sum_sq[j] / (double)c->tokens) : 0.0f;
}

lq_status lq__calib_check(const char *fn, const lq_calib *c, int64_t cols)
{
    if (c->n != cols)
        return lq__fail(LQ_ERR_SHAPE, "%s: the calibration set has %lld features, the weight %lld "
                        "columns", fn, (long long)c->n, (long long)cols);
    if (c->tokens == 0)
        return lq__fail(LQ_ERR_INVALID, "%s: the calibration set has no tokens", fn);
    return LQ_OK;
}

lq_status lq_calib_get(const lq_calib *c, int stat, float *out, int64_t count)
{
    static const char fn[] = "lq_calib_get";
    if (!c || !out)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    const int64_t n = c->n;
    int64_t want = stat == LQ_CALIB_HESSIAN   ? n * n
                   : stat == LQ_CALIB_SAMPLES ? c->nsamples * n
                                              : n;
    if (stat < LQ_CALIB_MEAN_ABS || stat > LQ_CALIB_SAMPLES)
        return lq__fail(LQ_ERR_INVALID, "%s: unknown statistic %d", fn, stat);
    if (count != want)
        return lq__fail(LQ_ERR_SHAPE, "%s: statistic %d has %lld values, the buffer %lld", fn, stat,
                        (long long)want, (long long)count);
    switch (stat) {
    case LQ_CALIB_MEAN_ABS: lq__calib_mean_abs(c, out); break;
    case LQ_CALIB_MEAN_SQ: lq__calib_mean_sq(c, out); break;
    case LQ_CALIB_MAX_ABS: memcpy(out, c->max_abs, (size_t)n * sizeof *out); break;
    case LQ_CALIB_SUM_SQ:
        for (int64_t j = 0; j < n; j++)
            out[j] = (float)c->sum_sq[j];
        break;
    case LQ_CALIB_HESSIAN: lq__calib_hessian(c, out); break;
    default:
        if (count)
            memcpy(out, c->samples, (size_t)count * sizeof *out);
    }
    return LQ_OK;
}

lq_status lq_calib_scale_channels(lq_calib *c, const float *mult)
{
    static const char fn[] = "lq_calib_scale_channels";
    if (!c || !mult)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    const int64_t n = c->n;
    for (int64_t j = 0; j < n; j++)
        if (!isfinite(mult[j]) || mult[j] == 0.0f)
            return lq__fail(LQ_ERR_INVALID, "%s: factor %lld is %g", fn, (long long)j, mult[j]);
    lq_status st = lq__calib_unpark(c);
    if (st != LQ_OK)
        return st;
    changing(c);
    for (int64_t i = 0; i < n; i++) {
        float *row = lq__panels_at(c->h, n, i, i);
        for (int64_t j = i; j < n; j++)
            row[j - i] *= mult[i] * mult[j];
    }
    for (int64_t j = 0; j < n; j++) {
        float a = fabsf(mult[j]);
        c->sum_abs[j] *= a;
        c->sum_sq[j] *= (double)mult[j] * mult[j];
        c->max_abs[j] *= a;
    }
    for (int64_t r = 0; r < c->nsamples; r++)
        for (int64_t j = 0; j < n; j++)
            c->samples[r * n + j] *= mult[j];
    return LQ_OK;
}
