/* calib.h — the data behind lq_calib, for the methods (internal).
 *
 * The Hessian is accumulated in the UPPER triangle only, kept in row panels
 * (panels.h: about n^2 / 2 floats, element (i, j >= i) at lq__panels_at, the
 * entries below the diagonal in the diagonal blocks zero); lq__calib_hessian
 * gives the full symmetric matrix. Sums are kept in double so that long runs do not lose
 * small tokens. */
#ifndef LQ_CALIB_CALIB_H
#define LQ_CALIB_CALIB_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq_calib.h>

#define LQ__CALIB_MAX_FEATURES 65536
#define LQ__CALIB_DEFAULT_SAMPLES 512
#define LQ__CALIB_MAX_SAMPLES ((int64_t)1 << 20)

/* What GPTQ derives from the set alone, kept for the next weight that reads
 * the same input (q, k and v share one set, gate and up another): the upper
 * Cholesky factor of the damped H^-1 in processing order and that order.
 * They depend on H and on the two values of the key only (methods/gptq.c says
 * why), so a weight that finds a matching key uses them and gets the same
 * bytes as if it had made them itself. */
typedef struct {
    float *u;      /* n x n in row panels (panels.h), or NULL: nothing kept */
    int32_t *perm; /* n: processing position -> column */
    float *hdiag;  /* n: H's diagonal (0 marks a dead column), for when H is in the file only */
    int64_t unit;  /* key: columns per unit act_order moves, 0 without act_order */
    double damp;   /* key: the scheme's relative damping */
} lq__calib_factor;

struct lq_calib {
    int64_t n;       /* in_features */
    int64_t tokens;  /* N */
    float *h;        /* row panels, upper triangle: running average of 2 x x^T */
    double *sum_abs; /* n */
    double *sum_sq;  /* n */
    float *max_abs;  /* n */
    /* A uniform sample of rows: each kept row has a random key, and the set
     * keeps the max_samples rows with the largest keys, so that two samples
     * merge exactly (the top keys of the union). */
    int64_t max_samples, nsamples;
    float *samples;  /* nsamples * n */
    double *keys;    /* nsamples, in [0, 1) */
    uint64_t rng;
    /* Off unless the set's owner turns it on (lq__calib_share): a set handed
     * to the public calls may be read by many threads at once, so nothing
     * may be written into it then. */
    bool share;
    lq__calib_factor factor;
    /* Where the owner lets h wait outside memory (lq__calib_spill_to): a
     * temporary file and the byte of this set's panels in it; file
     * -1 without one. in_file: the file holds h's current values. h is NULL
     * while it waits there (parked, or taken by a method). */
    int file;
    uint64_t file_at;
    bool in_file;
};

/* A new empty set (no error message set on failure: the caller reports). */
lq_calib *lq__calib_new(int64_t n, int64_t max_samples);

/* A set that keeps only the per-channel sums and maxima: no Hessian (h is
 * NULL) and no sample, so adding rows costs O(n) per token instead of the
 * O(n^2) of the Hessian. Only for the library's own walks that need no more
 * (the importance matrix); never handed to a caller, since lq_calib_get,
 * _merge, _save and the methods expect the Hessian. NULL when out of memory. */
lq_calib *lq__calib_new_sums(int64_t n);

/* An independent copy of c (sums-only when c is), or NULL when out of memory. */
lq_calib *lq__calib_clone(const lq_calib *c);

/* Let the methods keep what they derive from c for the next weight on it
 * (on), or stop and free what is kept (off). The caller promises that while
 * it is on, c is used by one thread at a time. */
void lq__calib_share(lq_calib *c, bool on);

/* Forget the kept factor. */
void lq__calib_drop_factor(lq_calib *c);

/* ---- the Hessian in the owner's temporary file (calib_spill.c) ----
 *
 * An owner holding several sets at once (the calibration walk: four per
 * layer) gives each a place in a temporary file (core/tempfile.h), so that
 * only the Hessian being used is in memory. The owner parks the others and
 * unparks a set before handing it to anything that reads H but GPTQ, which
 * unparks what it needs itself; lq_calib_add, _merge (into dst) and
 * _scale_channels load it back before they change it. */

/* Let c's Hessian wait in fd at byte `at`, with room for
 * lq__calib_spill_bytes(n) bytes. */
void lq__calib_spill_to(lq_calib *c, int fd, uint64_t at);

/* The bytes a Hessian of n features takes in the file (its panels). */
uint64_t lq__calib_spill_bytes(int64_t n);

/* Has c a place in a file? */
bool lq__calib_spillable(const lq_calib *c);

/* H into the file (unless it holds it already) and out of memory; nothing
 * without a file. Errors: LQ_ERR_IO. */
lq_status lq__calib_park(lq_calib *c);

/* H back into memory when it is in the file only. Errors: LQ_ERR_NOMEM,
 * LQ_ERR_IO. */
lq_status lq__calib_unpark(lq_calib *c);

/* H's memory handed to the caller (who frees it with lq__free) to use as
 * its own, after H is written to the file (unless it is there already), so
 * that the set has H in the file only; loaded first if it was parked. Needs
 * a file. Errors: LQ_ERR_NOMEM, LQ_ERR_IO. */
lq_status lq__calib_take_hessian(lq_calib *c, float **h);

/* Floats [first, first + count) of the file's H (its panels) into out.
 * Errors: LQ_ERR_IO. */
lq_status lq__calib_read_hessian(const lq_calib *c, size_t first, size_t count, float *out);

/* The full symmetric Hessian into out[n*n]. */
void lq__calib_hessian(const lq_calib *c, float *out);

/* Per-channel mean |x| and mean x^2 (zero before any token). */
void lq__calib_mean_abs(const lq_calib *c, float *out);
void lq__calib_mean_sq(const lq_calib *c, float *out);

/* Check that a set fits a weight of `cols` columns and has tokens; `fn`
 * names the public function for the message. */
lq_status lq__calib_check(const char *fn, const lq_calib *c, int64_t cols);

#endif
