/* ggml_iq3_lattice.c — the IQ3 search tables (ggml_iq3_lattice.h), made
 * from the grids of ggml_grids_iq3_iq1.c. */
#include <pthread.h>
#include <string.h>

#include "ggml_grids_iq3_iq1.h"
#include "ggml_iq3_lattice.h"

#define MAX_D2 (4 * 14 * 14) /* the farthest two codes can be: 1 and 15 in all four */

static lq__iq3_lattice lattices[2];
static pthread_once_t once[2] = {PTHREAD_ONCE_INIT, PTHREAD_ONCE_INIT};

/* The points of a grid of magnitudes as levels 2l + 1, l being the
 * magnitude's rank among the grid's eight (IQ3_XXS stores 4, 12, ..., 52,
 * 62 and IQ3_S 1, 3, ..., 15 for the same levels). */
static void grid_points(lq__iq3_lattice *lat, const uint32_t *grid)
{
    int seen[256] = {0};
    for (int k = 0; k < lat->size; k++)
        for (int i = 0; i < 4; i++)
            seen[(grid[k] >> (8 * i)) & 0xFF] = 1;
    int rank[256], n = 0;
    for (int v = 0; v < 256; v++)
        rank[v] = n += seen[v];
    for (int k = 0; k < lat->size; k++)
        for (int i = 0; i < 4; i++)
            lat->point[k][i] = (int8_t)(2 * (rank[(grid[k] >> (8 * i)) & 0xFF] - 1) + 1);
}

static int code_of(const int8_t *p)
{
    int code = 0;
    for (int i = 0; i < 4; i++)
        code |= ((p[i] - 1) / 2) << (3 * i);
    return code;
}

/* Append the list of the off-grid `code`: the points at the `rings`
 * smallest distances, nearest first, lower indices first at one distance. */
static void add_list(lq__iq3_lattice *lat, int code, int rings)
{
    int d2[512], count[MAX_D2 + 1] = {0};
    for (int k = 0; k < lat->size; k++) {
        d2[k] = 0;
        for (int i = 0; i < 4; i++) {
            const int diff = lat->point[k][i] - (2 * ((code >> (3 * i)) & 7) + 1);
            d2[k] += diff * diff;
        }
        count[d2[k]]++;
    }
    int n = 0, last = 0;
    for (int d = 0, found = 0; d <= MAX_D2 && found < rings; d++)
        if (count[d]) {
            n += count[d];
            last = d;
            found++;
        }
    if (lat->list_len + 1 + n > LQ__IQ3_LIST_CAP) {
        lat->cut = 1;
        lat->map[code] = 0; /* some point, so that lookups stay in bounds */
        return;
    }
    const int start = lat->list_len;
    lat->map[code] = -1 - start;
    lat->lists[lat->list_len++] = (uint16_t)n;
    for (int d = 0; d <= last; d++)
        for (int k = 0; k < lat->size && count[d]; k++)
            if (d2[k] == d)
                lat->lists[lat->list_len++] = (uint16_t)k;
}

static void build(lq__iq3_lattice *lat, const uint32_t *grid, int size, int rings)
{
    lat->size = size;
    grid_points(lat, grid);
    for (int c = 0; c < LQ__IQ3_CODES; c++)
        lat->map[c] = -1; /* off the grid until a point says otherwise */
    for (int k = 0; k < size; k++)
        lat->map[code_of(lat->point[k])] = k;
    for (int c = 0; c < LQ__IQ3_CODES; c++)
        if (lat->map[c] < 0)
            add_list(lat, c, rings);
}

static void build_xxs(void) { build(&lattices[0], lq__iq3xxs_grid, 256, 2); }
static void build_s(void) { build(&lattices[1], lq__iq3s_grid, 512, 3); }

const lq__iq3_lattice *lq__iq3_lattice_for(int grid_size)
{
    const int g = grid_size == 512;
    pthread_once(&once[g], g ? build_s : build_xxs);
    return &lattices[g];
}
