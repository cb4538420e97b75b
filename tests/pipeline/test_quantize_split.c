/* test_quantize_split.c — lq_gguf_quantize_split's arguments and shards:
 * planning writes nothing, a shard writes its one file, a shard outside the
 * plan is refused with the plan's count. (Byte equality of the files with a
 * single run and with llama-gguf-split: tests/pipeline/quantize_shards.sh.) */
#include <stdlib.h>
#include <unistd.h>

#include <lq/lq_pipeline.h>

#include "../harness.h"

static const char *fixture(void)
{
    static char p[4096];
    const char *root = getenv("LQ_SOURCE_ROOT");
    snprintf(p, sizeof p, "%s/tests/model/fixture/tiny-llama-f32.gguf", root ? root : ".");
    return p;
}

static char dir[4096];

static const char *prefix(void)
{
    if (!dir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/lqt-qsplit-XXXXXX", base && *base ? base : "/tmp");
        if (!mkdtemp(dir))
            abort();
    }
    static char p[4200];
    snprintf(p, sizeof p, "%s/m", dir);
    return p;
}

/* The fixture's 39 tensors at 10 a file: 4 files. */
static lq_status run(int shard, int *n_files)
{
    lq_qopts *o = NULL;
    lq_status st = lq_qopts_create("Q8_0", &o);
    if (st == LQ_OK)
        st = lq_gguf_quantize_split(NULL, fixture(), prefix(), o, 0, 10, 0, shard, n_files);
    lq_qopts_free(o);
    return st;
}

static int files_present(void)
{
    int n = 0;
    char p[4300];
    for (int i = 1; i <= 4; i++) {
        snprintf(p, sizeof p, "%s-%05d-of-00004.gguf", prefix(), i);
        n += access(p, F_OK) == 0;
    }
    return n;
}

static void arguments(void)
{
    lq_qopts *o = NULL;
    CHECK_OK(lq_qopts_create("Q8_0", &o));
    int n = -1;
    CHECK_STATUS(lq_gguf_quantize_split(NULL, NULL, prefix(), o, 0, 10, 0, LQ_SPLIT_ALL, &n),
                 LQ_ERR_INVALID);
    CHECK(n == 0);
    CHECK_STATUS(lq_gguf_quantize_split(NULL, fixture(), NULL, o, 0, 10, 0, LQ_SPLIT_ALL, &n),
                 LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_quantize_split(NULL, fixture(), prefix(), NULL, 0, 10, 0, 0, &n),
                 LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_quantize_split(NULL, fixture(), prefix(), o, 0, 10, 0, -3, &n),
                 LQ_ERR_INVALID);
    /* exactly one limit, as lq_gguf_save_split */
    CHECK_STATUS(lq_gguf_quantize_split(NULL, fixture(), prefix(), o, 0, 0, 0, 0, &n),
                 LQ_ERR_INVALID);
    CHECK_STATUS(lq_gguf_quantize_split(NULL, fixture(), prefix(), o, 1000000, 10, 0, 0, &n),
                 LQ_ERR_INVALID);
    lq_qopts_free(o);
    CHECK(files_present() == 0);
}

static void plan_and_shards(void)
{
    int n = 0;
    CHECK_OK(run(LQ_SPLIT_PLAN, &n));
    CHECK(n == 4);
    CHECK(files_present() == 0);
    n = 0;
    CHECK_STATUS(run(4, &n), LQ_ERR_INVALID);
    CHECK(n == 4); /* the count comes back with the refusal */
    CHECK(files_present() == 0);
    CHECK_OK(run(2, &n));
    char p[4300];
    snprintf(p, sizeof p, "%s-00003-of-00004.gguf", prefix());
    CHECK(access(p, F_OK) == 0 && files_present() == 1);
    unlink(p);
    rmdir(dir);
}

LQT_MAIN(arguments, plan_and_shards)
