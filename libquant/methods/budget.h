/* budget.h — per-tensor ggml types chosen under a file-size budget
 * (internal): each quantizable tensor's error in every candidate type that
 * mainline llama.cpp loads, then the choice of types with the least total
 * error whose bytes fit the budget.
 *
 * The error of a tensor in a type is its relative imatrix-weighted squared
 * error, sum_ij imatrix_j (w_ij - q_ij)^2 / sum_ij imatrix_j w_ij^2. With
 * imatrix_j the mean of x_j^2 over the calibration tokens, numerator and
 * denominator are the expected energies of the error the type adds to the
 * tensor's outputs and of the outputs themselves (under a diagonal
 * covariance of the inputs), so the ratio is the noise-to-signal ratio the
 * tensor passes on, and the budget minimises the sum of those ratios, the
 * output head's counted 2 * layers + 1 times (budget_plan.c: its noise
 * reaches the logits undiluted; without that weight it went to Q3_K at
 * Q3_K_S's size and the KLD rose by half). The
 * absolute error (the numerator alone, the diagonal-Hessian estimate of
 * the loss increase) was tried first and chose much worse: it cannot
 * compare tensors whose outputs differ in scale (the token embedding went
 * to Q2_K, and the mean KLD was 4x Q4_K_M's at its size on the trained
 * fixture; doc/size-budget.md). Without an importance matrix (or for a
 * tensor it has no entry for: llama-imatrix skips output.weight, and the
 * token embedding is a lookup) every imatrix_j is 1. */
#ifndef LQ_METHODS_BUDGET_H
#define LQ_METHODS_BUDGET_H

#include <stdint.h>

#include <lq/lq_calib.h>
#include <lq/lq_io.h>

#include "mixture.h"
#include "plan.h"

/* What the budget bounds. Pinned: lq_qopts_set_target_* map onto them. */
typedef enum lq__budget_kind {
    LQ__BUDGET_NONE = 0,
    LQ__BUDGET_BYTES = 1, /* the whole file, header and padding included */
    LQ__BUDGET_BPW = 2,   /* 8 * tensor bytes / all tensor elements, as llama.cpp prints it */
    LQ__BUDGET_FTYPE = 3  /* the size of the file the same options give for a file type
                           * (value: that size, found by the caller with lq__plan_make) */
} lq__budget_kind;

typedef struct lq__budget {
    lq__budget_kind kind;
    double value;             /* bytes or bits per weight */
    int ftype;                /* LQ__BUDGET_FTYPE: the llama_ftype to match */
    const lq_imatrix *imatrix; /* may be NULL */
    int threads;              /* for the trial quantizations; 0: all cores */
} lq__budget;

/* The candidate types, in order of size (one list: the solver, the
 * metadata and the tests see the same). Mainline llama.cpp loads and
 * computes with every one of them, without an importance matrix too. */
#define LQ__BUDGET_TYPES(X) \
    X(Q2_K) X(Q3_K) X(IQ4_XS) X(Q4_0) X(IQ4_NL) X(Q4_K) X(Q4_1) X(Q5_0) X(Q5_K) X(Q5_1) \
    X(Q6_K) X(Q8_0) X(F16)

/* The metadata keys a budgeted file carries (llama.cpp ignores them): the
 * budget as given ("4.85 bpw", "5000000 bytes", "Q4_K_M: 5000000 bytes"),
 * the error measure, and per tensor of the file, in its order, the ggml
 * type id chosen (u32) and its estimated error (f32; -1 for a tensor the
 * budget did not choose). Arrays of numbers have the same length whatever
 * the choice, so the header's size is known before the choice is made. */
#define LQ__BUDGET_KEY_TARGET "quantize.budget.target"
#define LQ__BUDGET_KEY_ERROR "quantize.budget.error"
#define LQ__BUDGET_KEY_TYPES "quantize.budget.types"
#define LQ__BUDGET_KEY_ERRORS "quantize.budget.errors"

/* One tensor's options for the solver: cost[k] (bytes) and err[k] for
 * k < n, with err decreasing as cost grows after lq__budget_hull. */
typedef struct lq__budget_item {
    int n;
    int64_t cost[16];
    double err[16];
    int choice; /* the solver's answer: an index below n */
} lq__budget_item;

/* Choose item[i].choice for every item so that the sum of the chosen costs
 * is at most `limit` and the sum of the errors is as small as a Lagrangian
 * over the items' convex hulls and a greedy fill of what is left can make
 * it. LQ_ERR_INVALID (message starting with `fn`) when even the cheapest
 * choices cost more than `limit`. */
lq_status lq__budget_solve(const char *fn, lq__budget_item *item, int64_t n, int64_t limit);

/* Measure the error of tensor `index` of `in` in each candidate type whose
 * block fits its rows: fills item->cost with the tensor's bytes padded to
 * `align` and item->err, and types[k] with the type of option k. Rows are
 * sampled evenly when there are many (see budget_error.c). */
lq_status lq__budget_measure(const char *fn, const lq_gguf *in, int64_t index, const lq__budget *b,
                             uint64_t align, lq__budget_item *item, lq_type *types);

/* Replace the rules' types in p->target (chosen by lq__plan_make, nothing
 * declared yet) by the budget's choice, and add the budget's keys to
 * p->out (budget_plan.c). `rules` are the options (lq__plan_make's). */
lq_status lq__budget_plan(const char *fn, const lq_gguf *in, const lq__mixture *rules,
                          const lq__budget *budget, lq__plan *p);

#endif
