/* harness.h — the small test harness every C test uses.
 *
 * A test program lists its cases with LQT_MAIN(case_a, case_b, ...); each case
 * is a void function that makes CHECKs. Output is TAP ("ok 1 - case_a"), which
 * meson reads (protocol: 'tap'); the program exits non-zero if any check
 * failed. A failed check prints file, line, the expression and, for library
 * calls, the status and lq_last_error().
 *
 * A case that cannot check anything here calls SKIP_CASE("why") and returns:
 * it is reported "ok N - case # SKIP why", which meson and tests/run-all.sh
 * count as skipped, not passed. A program with nothing to run calls
 * lqt_skip_all("why") before its plan ("1..0 # SKIP why"). A case that
 * skips and also failed a check is reported failed. */
#ifndef LQ_TESTS_HARNESS_H
#define LQ_TESTS_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lq/lq.h>

static int lqt_case_failures;
static char lqt_case_skip[256]; /* why the running case skipped; "" when it did not */

#define LQT_FAIL_(...)                                       \
    do {                                                     \
        lqt_case_failures++;                                 \
        fprintf(stdout, "# %s:%d: ", __FILE__, __LINE__);    \
        fprintf(stdout, __VA_ARGS__);                        \
        fputc('\n', stdout);                                 \
    } while (0)

#define CHECK(cond)                                          \
    do {                                                     \
        if (!(cond))                                         \
            LQT_FAIL_("CHECK(%s) failed", #cond);            \
    } while (0)

#define CHECKF(cond, ...)                                    \
    do {                                                     \
        if (!(cond)) {                                       \
            LQT_FAIL_("CHECK(%s) failed", #cond);            \
            fprintf(stdout, "#   ");                         \
            fprintf(stdout, __VA_ARGS__);                    \
            fputc('\n', stdout);                             \
        }                                                    \
    } while (0)

/* A library call that must return `want`. */
#define CHECK_STATUS(expr, want)                                                    \
    do {                                                                            \
        lq_status lqt_st_ = (expr);                                                 \
        if (lqt_st_ != (want))                                                      \
            LQT_FAIL_("%s returned %d (%s), wanted %d; last error: %s", #expr,      \
                      lqt_st_, lq_status_str(lqt_st_), (int)(want), lq_last_error()); \
    } while (0)

#define CHECK_OK(expr) CHECK_STATUS(expr, LQ_OK)

/* Mark the running case skipped (printf-style reason); the case then returns. */
#define SKIP_CASE(...) snprintf(lqt_case_skip, sizeof lqt_case_skip, __VA_ARGS__)

/* The whole program skips: a TAP plan of no tests with the reason, exit 0.
 * Call before anything else is printed. */
#define lqt_skip_all(...)                                    \
    do {                                                     \
        printf("1..0 # SKIP ");                              \
        printf(__VA_ARGS__);                                 \
        putchar('\n');                                       \
        exit(0);                                             \
    } while (0)

typedef void (*lqt_case_fn)(void);

/* LQ_ARCH names a level this CPU or build lacks (or no level at all):
 * libquant then runs its best level and says so in lq_build_info's note, so
 * the program would test another level than the one asked for. It skips. */
static inline void lqt_skip_unavailable_arch(void)
{
    const char *want = getenv("LQ_ARCH");
    const char *note = strstr(lq_build_info(), "note=\"LQ_ARCH=");
    if (want && *want && note) {
        note += 6;
        lqt_skip_all("%.*s", (int)strcspn(note, "\""), note);
    }
}

static inline int lqt_run(const char *names, lqt_case_fn *cases, int n)
{
    lqt_skip_unavailable_arch();
    printf("1..%d\n", n);
    int failed = 0;
    const char *p = names;
    for (int i = 0; i < n; i++) {
        while (*p == ' ' || *p == ',')
            p++;
        int len = (int)strcspn(p, ",");
        lqt_case_failures = 0;
        lqt_case_skip[0] = '\0';
        cases[i]();
        if (lqt_case_failures)
            failed++;
        printf("%s %d - %.*s", lqt_case_failures ? "not ok" : "ok", i + 1, len, p);
        if (lqt_case_skip[0] && !lqt_case_failures)
            printf(" # SKIP %s", lqt_case_skip);
        putchar('\n');
        fflush(stdout);
        p += len;
    }
    return failed ? 1 : 0;
}

#define LQT_MAIN(...)                                                      \
    int main(void)                                                         \
    {                                                                      \
        lqt_case_fn cases[] = {__VA_ARGS__};                               \
        return lqt_run(#__VA_ARGS__, cases, (int)(sizeof cases / sizeof *cases)); \
    }

/* Deterministic random numbers for tests (xorshift64*, Box-Muller). */
typedef struct { unsigned long long s; } lqt_rng;

static inline unsigned long long lqt_next(lqt_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 2685821657736338717ULL;
}

static inline double lqt_uniform(lqt_rng *r) /* [0, 1) */
{
    return (double)(lqt_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline float lqt_normal(lqt_rng *r)
{
    double u1 = lqt_uniform(r), u2 = lqt_uniform(r);
    if (u1 < 1e-300)
        u1 = 1e-300;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

#endif
