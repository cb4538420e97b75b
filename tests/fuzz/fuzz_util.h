/* fuzz_util.h — what the fuzz targets share: a private scratch folder and
 * whole-file comparison. A broken invariant calls fuzz_fail, which aborts so
 * that libFuzzer reports the input. */
#ifndef LQ_FUZZ_UTIL_H
#define LQ_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lq/lq.h>

static inline void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz invariant broken: %s (last error: %s)\n", what, lq_last_error());
    abort();
}

static char fuzz_dir[256];
static volatile uint8_t fuzz_sink; /* reads the compiler must not drop */

static void fuzz_cleanup(void)
{
    char p[300];
    static const char *const names[] = {"a", "b"};
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", fuzz_dir, names[i]);
        unlink(p);
    }
    rmdir(fuzz_dir);
}

/* "scratch/name", the scratch folder made on first use (on tmpfs when there is one). */
static inline const char *fuzz_path(const char *name)
{
    static char p[2][300];
    static int k;
    if (!fuzz_dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/lq-fuzz-XXXXXX", base);
        if (!mkdtemp(fuzz_dir))
            fuzz_fail("cannot make a scratch folder");
        atexit(fuzz_cleanup);
    }
    char *out = p[k++ & 1];
    snprintf(out, sizeof p[0], "%s/%s", fuzz_dir, name);
    return out;
}

static inline int fuzz_same_files(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    int same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        if (ca != cb)
            same = 0;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

#endif
