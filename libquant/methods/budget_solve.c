/* budget_solve.c — the least total error under a byte budget: a Lagrangian
 * over every tensor's options (its convex hull of cost against error), then
 * the budget left over spent greedily on the best error saved per byte. */
#include <math.h>

#include "../core/error.h"
#include "budget.h"

/* The option of `it` minimising err + lambda * cost (the cheaper on a tie). */
static int best_at(const lq__budget_item *it, double lambda)
{
    int best = 0;
    for (int k = 1; k < it->n; k++) {
        double a = it->err[k] + lambda * (double)it->cost[k];
        double b = it->err[best] + lambda * (double)it->cost[best];
        if (a < b || (a == b && it->cost[k] < it->cost[best]))
            best = k;
    }
    return best;
}

/* Every item's choice at `lambda`; returns their total cost. */
static int64_t choose_at(lq__budget_item *item, int64_t n, double lambda)
{
    int64_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        item[i].choice = best_at(&item[i], lambda);
        total += item[i].cost[item[i].choice];
    }
    return total;
}

static int cheapest(const lq__budget_item *it)
{
    int c = 0;
    for (int k = 1; k < it->n; k++)
        if (it->cost[k] < it->cost[c] || (it->cost[k] == it->cost[c] && it->err[k] < it->err[c]))
            c = k;
    return c;
}

/* Spend `left` bytes: repeatedly make the one change (any item, any option
 * costing more than its current one and fitting in what is left) that saves
 * the most error per extra byte, until none saves any. The Lagrangian's
 * choice lies on the hulls; this fills the gap it leaves below the budget. */
static void fill(lq__budget_item *item, int64_t n, int64_t left)
{
    for (;;) {
        int64_t bi = -1;
        int bk = 0;
        double best = 0;
        for (int64_t i = 0; i < n; i++) {
            const lq__budget_item *it = &item[i];
            int64_t c0 = it->cost[it->choice];
            double e0 = it->err[it->choice];
            for (int k = 0; k < it->n; k++) {
                int64_t dc = it->cost[k] - c0;
                double de = e0 - it->err[k];
                if (dc <= 0 || dc > left || de <= 0)
                    continue;
                double gain = de / (double)dc;
                if (gain > best) {
                    best = gain;
                    bi = i;
                    bk = k;
                }
            }
        }
        if (bi < 0)
            return;
        left -= item[bi].cost[bk] - item[bi].cost[item[bi].choice];
        item[bi].choice = bk;
    }
}

lq_status lq__budget_solve(const char *fn, lq__budget_item *item, int64_t n, int64_t limit)
{
    int64_t least = 0;
    for (int64_t i = 0; i < n; i++) {
        item[i].choice = cheapest(&item[i]);
        least += item[i].cost[item[i].choice];
    }
    if (least > limit)
        return lq__fail(LQ_ERR_INVALID, "%s: the budget is %lld bytes short of the smallest file "
                        "the candidate types make", fn, (long long)(least - limit));
    int64_t total = choose_at(item, n, 0.0);
    if (total > limit) {
        /* the total cost falls as lambda grows; bisect lambda in log space
         * between a value over budget and one within it */
        double lo = 1e-30, hi = 1.0;
        while (choose_at(item, n, hi) > limit && hi < 1e300)
            hi *= 1e3;
        for (int it = 0; it < 200 && hi / lo > 1 + 1e-12; it++) {
            double mid = sqrt(lo * hi);
            if (choose_at(item, n, mid) > limit)
                lo = mid;
            else
                hi = mid;
        }
        total = choose_at(item, n, hi);
        if (total > limit) { /* only when no lambda fits: start from the cheapest choices */
            total = 0;
            for (int64_t i = 0; i < n; i++) {
                item[i].choice = cheapest(&item[i]);
                total += item[i].cost[item[i].choice];
            }
        }
    }
    fill(item, n, limit - total);
    return LQ_OK;
}
