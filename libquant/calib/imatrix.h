/* imatrix.h — the data behind lq_imatrix (internal), shared by the legacy
 * .dat reader/writer (imatrix.c) and the GGUF one (imatrix_gguf.c). */
#ifndef LQ_CALIB_IMATRIX_H
#define LQ_CALIB_IMATRIX_H

#include <stdint.h>

#include <lq/lq_calib.h>

/* One weight's statistics, as llama-imatrix keeps them: sums of x^2 per
 * column and token counts per matrix (nmat > 1 for stacked MoE experts, each
 * owning n / nmat consecutive columns). */
typedef struct lq__imatrix_entry {
    char *name;
    int64_t n, nmat;
    double *sum_sq;  /* n */
    double *counts;  /* nmat */
} lq__imatrix_entry;

struct lq_imatrix {
    int64_t count, cap;
    lq__imatrix_entry *e; /* sorted by name, unique */
    int64_t chunk_size;   /* tokens per llama-imatrix "call"; 0: LQ__IMATRIX_CHUNK */
};

/* Insert (or replace) an entry, taking ownership of its arrays and name; on
 * failure they are freed. Errors: LQ_ERR_NOMEM. */
lq_status lq__imatrix_put(lq_imatrix *im, lq__imatrix_entry *e);
const lq__imatrix_entry *lq__imatrix_find(const lq_imatrix *im, const char *name);
void lq__imatrix_entry_free(lq__imatrix_entry *e);

/* The chunk size used to turn token counts into llama-imatrix "calls" (the
 * .dat form's ncall, the GGUF form's imatrix.chunk_count and .chunk_size)
 * when nothing else is known: llama-imatrix's default context. */
#define LQ__IMATRIX_CHUNK 512

/* The window the statistics were gathered in (lq_model_imatrix_v2) or the
 * chunk size a GGUF file records; n < 1 means LQ__IMATRIX_CHUNK. */
void lq__imatrix_set_chunk_size(lq_imatrix *im, int64_t n);
int64_t lq__imatrix_chunk_size(const lq_imatrix *im);

#endif
