/* test_gguf_release.c — the residency calls of gguf_release.c: releasing a
 * file-backed tensor (or part of one) takes its pages out of this process's
 * resident memory and leaves its contents as they were; tensors in owned
 * memory and bad indices are left alone. White-box: the calls are internal. */
#include <unistd.h>

#include <lq/lq_io.h>

#include "../harness.h"
#include "io_util.h"
#include "libquant/io/gguf_internal.h"

/* 32 MiB per tensor: well above the noise in the resident count, which the
 * kernel keeps per CPU and sums only roughly (a few MiB off at times) */
#define BIG_FLOATS (8 << 20)

static float *make_values(int salt)
{
    float *d = malloc(sizeof(float) * BIG_FLOATS);
    for (int i = 0; d && i < BIG_FLOATS; i++)
        d[i] = (float)(i % 65521) + (float)salt;
    return d;
}

/* This process's resident memory in MiB (mapped file pages included). */
static double resident_mib(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2)
            resident = 0;
        fclose(f);
    }
    return (double)resident * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

/* Touch every page of tensor i (so that it is resident); its byte sum. */
static unsigned long touch(const lq_gguf *g, int64_t i)
{
    const void *p = NULL;
    uint64_t n = 0;
    unsigned long sum = 0;
    if (lq_gguf_tensor_raw(g, i, &p, &n) == LQ_OK)
        for (uint64_t k = 0; k < n; k++)
            sum += ((const volatile unsigned char *)p)[k];
    return sum;
}

static void file_pages_released_contents_kept(void)
{
    if (access("/proc/self/statm", R_OK) != 0) {
        SKIP_CASE("no /proc/self/statm to read resident memory from");
        return;
    }
    char *dir = iot_mkdtemp();
    float *a = make_values(1), *b = make_values(2);
    lq_gguf *w = NULL, *g = NULL;
    int64_t shape[1] = {BIG_FLOATS}, one[1] = {1};
    float tiny = 3;
    CHECK_OK(lq_gguf_create(&w));
    CHECK_OK(lq_gguf_add_tensor_raw(w, "a", 0, 1, shape, a, sizeof(float) * BIG_FLOATS, LQ_BORROW));
    CHECK_OK(lq_gguf_add_tensor_raw(w, "tiny", 0, 1, one, &tiny, sizeof tiny, LQ_BORROW));
    CHECK_OK(lq_gguf_add_tensor_raw(w, "b", 0, 1, shape, b, sizeof(float) * BIG_FLOATS, LQ_BORROW));
    CHECK_OK(lq_gguf_save(NULL, w, iot_path(dir, "m.gguf")));
    CHECK_OK(lq_gguf_open(iot_path(dir, "m.gguf"), &g));
    if (g) {
        unsigned long sa = touch(g, 0), st = touch(g, 1), sb = touch(g, 2);
        double before = resident_mib();
        lq__gguf_tensor_release(g, 0);
        double after_a = resident_mib();
        /* 32 MiB less, give or take the count's slack (above) */
        CHECKF(before - after_a > 28, "resident %.1f MiB before, %.1f after releasing 32 MiB",
               before, after_a);
        lq__gguf_map_release(g, 2, 0, sizeof(float) * BIG_FLOATS / 2);
        double after_half = resident_mib();
        /* half of it: the range is kept to (the same slack) */
        CHECKF(after_a - after_half > 12 && after_a - after_half < 20,
               "resident %.1f MiB before, %.1f after releasing the first 16 MiB of 32", after_a,
               after_half);
        /* released pages read back as they were: the map is of the file */
        CHECK(touch(g, 0) == sa && touch(g, 1) == st && touch(g, 2) == sb);
        const void *p = NULL;
        uint64_t n = 0;
        CHECK_OK(lq_gguf_tensor_raw(g, 2, &p, &n));
        CHECK(p && memcmp(p, b, sizeof(float) * BIG_FLOATS) == 0);
        /* out of range: nothing happens */
        lq__gguf_tensor_release(g, -1);
        lq__gguf_tensor_release(g, 3);
        lq__gguf_tensor_prefetch(g, 99);
        lq__gguf_map_release(g, 1, 8, 4);
        lq__gguf_tensor_release(NULL, 0);
    }
    lq_gguf_free(g);
    lq_gguf_free(w);
    free(a);
    free(b);
    iot_rmdir(dir);
}

/* A copied tensor lives in owned (anonymous) memory, whose released pages
 * would come back as zeros: release must not touch it. */
static void owned_memory_left_alone(void)
{
    float *a = make_values(5);
    lq_gguf *g = NULL;
    int64_t shape[1] = {BIG_FLOATS};
    CHECK_OK(lq_gguf_create(&g));
    CHECK_OK(lq_gguf_add_tensor_raw(g, "a", 0, 1, shape, a, sizeof(float) * BIG_FLOATS, LQ_COPY));
    lq__gguf_tensor_release(g, 0);
    lq__gguf_tensor_prefetch(g, 0);
    const void *p = NULL;
    uint64_t n = 0;
    CHECK_OK(lq_gguf_tensor_raw(g, 0, &p, &n));
    CHECK(p && n == sizeof(float) * BIG_FLOATS && memcmp(p, a, n) == 0);
    lq_gguf_free(g);
    free(a);
}

LQT_MAIN(file_pages_released_contents_kept, owned_memory_left_alone)
