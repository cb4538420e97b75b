/* ggml_iq2_search.c — the IQ2 and IQ1 quantizers' codebook maps and
 * neighbour lists (ggml_iq2.h), computed from the codebooks. */
#include <float.h>
#include <pthread.h>
#include <stdatomic.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "ggml_blocks.h"
#include "ggml_grids_iq3_iq1.h"
#include "ggml_iq2.h"

typedef struct {
    const uint64_t *grid;
    int size;
    int nwant; /* neighbours: the points at this many smallest distances */
    int32_t map[LQ__IQ2_CODES];
    int8_t odd[2048][8];
    lq__iq2_search pub;
    atomic_int ready;
} table;

/* As in ggml_quantize_init: IQ2_XXS and IQ2_XS try the points at the two
 * smallest distances, IQ2_S only those at the smallest, IQ1_S and IQ1_M
 * (one table) those at the three smallest. */
static table tables[4] = {
    {.grid = lq__iq2xxs_grid, .size = 256, .nwant = 2},
    {.grid = lq__iq2xs_grid, .size = 512, .nwant = 2},
    {.grid = lq__iq2s_grid, .size = 1024, .nwant = 1},
    {.grid = lq__iq1s_grid, .size = 2048, .nwant = 3},
};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* A point's value k as a signed byte, offset to index 0..255. */
static int value_at(const table *t, int p, int k)
{
    return (int8_t)((t->grid[p] >> 8 * k) & 255) + 128;
}

/* The levels of the points: a value's rank among the three distinct values
 * of the codebook (IQ2: magnitudes 8, 25 and 43, as gen_iq2_grids.py
 * checks; IQ1: -1, 0 and 1). */
static void levels(table *t)
{
    int rank[256] = {0}, seen[256] = {0};
    for (int p = 0; p < t->size; p++)
        for (int k = 0; k < 8; k++)
            seen[value_at(t, p, k)] = 1;
    for (int v = 0, r = 0; v < 256; v++)
        if (seen[v])
            rank[v] = r++;
    for (int p = 0; p < t->size; p++)
        for (int k = 0; k < 8; k++)
            t->odd[p][k] = (int8_t)(2 * rank[value_at(t, p, k)] + 1);
}

#define MAX_D2 (8 * 4 * 4) /* 8 levels (2 l + 1) differing by at most 4 */

/* Squared distances of every point to the levels of code c (as 2 l + 1),
 * how many points are at each distance, and the largest of the nwant
 * smallest distances some point is at. */
static int distances(const table *t, int c, int *d2, int *count)
{
    int8_t pos[8];
    for (int k = 0; k < 8; k++, c /= 3)
        pos[k] = (int8_t)(2 * (c % 3) + 1);
    for (int d = 0; d <= MAX_D2; d++)
        count[d] = 0;
    for (int p = 0; p < t->size; p++) {
        int s = 0;
        for (int k = 0; k < 8; k++)
            s += (t->odd[p][k] - pos[k]) * (t->odd[p][k] - pos[k]);
        d2[p] = s;
        count[s]++;
    }
    int limit = -1;
    for (int d = 0, n = 0; d <= MAX_D2 && n < t->nwant; d++)
        if (count[d]) {
            limit = d;
            n++;
        }
    return limit;
}

/* The neighbour list of an off-grid code into nb (NULL: only count): the
 * points by distance, then by index (ggml sorts (distance, index) pairs),
 * placed by counting. */
static int neighbours(const table *t, int c, uint16_t *nb)
{
    int d2[2048], count[MAX_D2 + 1];
    const int limit = distances(t, c, d2, count);
    int n = 0;
    for (int d = 0; d <= limit; d++) {
        const int at = n;
        n += count[d];
        count[d] = at; /* now where the points at distance d go */
    }
    if (nb) {
        nb[0] = (uint16_t)n;
        for (int p = 0; p < t->size; p++)
            if (d2[p] <= limit)
                nb[1 + count[d2[p]]++] = (uint16_t)p;
    }
    return n;
}

static bool build(table *t)
{
    levels(t);
    for (int c = 0; c < LQ__IQ2_CODES; c++)
        t->map[c] = -1;
    for (int p = 0; p < t->size; p++) {
        int8_t L[8];
        for (int k = 0; k < 8; k++)
            L[k] = (int8_t)((t->odd[p][k] - 1) / 2);
        t->map[lq__iq2_code(L)] = p;
    }
    size_t total = 0;
    for (int c = 0; c < LQ__IQ2_CODES; c++)
        if (t->map[c] < 0)
            total += 1 + (size_t)neighbours(t, c, NULL);
    uint16_t *nb = lq__malloc(total * sizeof *nb);
    if (!nb)
        return false;
    for (int c = 0, off = 0; c < LQ__IQ2_CODES; c++)
        if (t->map[c] < 0) {
            t->map[c] = -(1 + off);
            off += 1 + neighbours(t, c, nb + off);
        }
    t->pub = (lq__iq2_search){t->size, &t->odd[0][0], t->map, nb};
    return true;
}

const lq__iq2_search *lq__iq2_search_for(lq_type type)
{
    table *t = type == LQ_TYPE_IQ2_XXS ? &tables[0]
               : type == LQ_TYPE_IQ2_XS ? &tables[1]
               : type == LQ_TYPE_IQ2_S  ? &tables[2]
                                        : &tables[3];
    if (atomic_load_explicit(&t->ready, memory_order_acquire))
        return &t->pub;
    pthread_mutex_lock(&lock);
    bool ok = atomic_load_explicit(&t->ready, memory_order_relaxed) || build(t);
    if (ok)
        atomic_store_explicit(&t->ready, 1, memory_order_release);
    pthread_mutex_unlock(&lock);
    if (!ok)
        lq__fail(LQ_ERR_NOMEM, "%s: out of memory for the codebook search tables",
                 lq_type_name(type));
    return ok ? &t->pub : NULL;
}

int lq__iq2_point(const lq__iq2_search *s, int8_t L[8], const float *x, const float *w,
                  float scale, const float *values, int *on_grid)
{
    const int32_t m = s->map[lq__iq2_code(L)];
    *on_grid = m >= 0;
    if (m >= 0)
        return m;
    const uint16_t *nb = s->neighbours + (-m - 1);
    int best = nb[1];
    float best_d2 = FLT_MAX;
    for (int j = 1; j <= nb[0]; j++) {
        const int8_t *q = s->odd + 8 * nb[j];
        float d2 = 0;
        for (int i = 0; i < 8; i++) {
            const float v = values ? values[(q[i] - 1) / 2] : (float)q[i];
            const float diff = scale * v - x[i];
            d2 += w[i] * diff * diff;
        }
        if (d2 < best_d2) {
            best_d2 = d2;
            best = nb[j];
        }
    }
    for (int i = 0; i < 8; i++)
        L[i] = (int8_t)((s->odd[8 * best + i] - 1) / 2);
    return best;
}
