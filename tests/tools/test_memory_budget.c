/* test_memory_budget.c — the --max-memory the lq tool takes by itself
 * (libquant/tools/memory_budget.c): what a process may take, read from
 * made-up /proc and cgroup files (v2 and v1, with and without limits), the
 * bytes of a model (a file, the parts of a split GGUF, a folder), the
 * choice, and the option's text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../libquant/tools/memory_budget.h"
#include "../harness.h"

static char root[256];

/* root/rel holds text, its folders made */
static void put(const char *rel, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
        *p = 0;
        mkdir(path, 0700);
        *p = '/';
    }
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void remove_root(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (root[0] && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

/* a fresh made-up system under root (a new folder, the last removed) */
static void fresh(void)
{
    if (!root[0])
        atexit(remove_root);
    remove_root();
    const char *t = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/lq-budget-XXXXXX", t && *t ? t : "/tmp");
    CHECK(mkdtemp(root) != NULL);
}

static const char meminfo[] = "MemTotal:       24000000 kB\nMemFree:  1000 kB\n"
                              "MemAvailable:    8000000 kB\nBuffers: 10 kB\n";

static void available_from_meminfo(void)
{
    fresh();
    CHECK(memory_budget_available(root) == UINT64_MAX); /* nothing says */
    put("proc/meminfo", meminfo);
    CHECK(memory_budget_available(root) == 8000000ull * 1024);
    put("proc/self/cgroup", "0::/user.slice\n"); /* a group without its files */
    CHECK(memory_budget_available(root) == 8000000ull * 1024);
}

static void available_under_cgroup_v2(void)
{
    fresh();
    put("proc/meminfo", meminfo);
    put("proc/self/cgroup", "0::/job/step\n");
    put("sys/fs/cgroup/job/step/memory.max", "2147483648\n");
    put("sys/fs/cgroup/job/step/memory.current", "536870912\n");
    CHECK(memory_budget_available(root) == 2147483648ull - 536870912ull);
    put("sys/fs/cgroup/job/step/memory.max", "max\n"); /* no limit: MemAvailable */
    CHECK(memory_budget_available(root) == 8000000ull * 1024);
    put("sys/fs/cgroup/job/memory.max", "1073741824\n"); /* the parent's, tighter, holds too */
    put("sys/fs/cgroup/job/memory.current", "536870912\n");
    CHECK(memory_budget_available(root) == 536870912ull);
    put("sys/fs/cgroup/job/step/memory.max", "100\n"); /* over its limit already */
    CHECK(memory_budget_available(root) == 0);
}

static void available_under_cgroup_v1(void)
{
    fresh();
    put("proc/meminfo", meminfo);
    put("proc/self/cgroup", "7:cpu,cpuacct:/slurm/job1\n5:memory:/slurm/job1\n1:name=systemd:/x\n");
    put("sys/fs/cgroup/memory/slurm/job1/memory.limit_in_bytes", "4294967296\n");
    put("sys/fs/cgroup/memory/slurm/job1/memory.usage_in_bytes", "1073741824\n");
    CHECK(memory_budget_available(root) == 3221225472ull);
    /* a group this process cannot see (a container shown its own root as the
     * hierarchy's): the root's limit is the container's */
    put("proc/self/cgroup", "4:memory:/process_api/c33f\n");
    put("sys/fs/cgroup/memory/memory.limit_in_bytes", "2147483648\n");
    put("sys/fs/cgroup/memory/memory.usage_in_bytes", "0\n");
    CHECK(memory_budget_available(root) == 2147483648ull);
    /* v1's "no limit" is a number near 2^63: MemAvailable is smaller */
    put("sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
    put("sys/fs/cgroup/memory/slurm/job1/memory.limit_in_bytes", "9223372036854771712\n");
    CHECK(memory_budget_available(root) == 8000000ull * 1024);
}

static void model_bytes(void)
{
    char path[512];
    fresh();
    put("m.gguf", "12345");
    snprintf(path, sizeof path, "%s/m.gguf", root);
    CHECK(memory_budget_model_bytes(path) == 5);
    put("s-00001-of-00003.gguf", "1");
    put("s-00002-of-00003.gguf", "22");
    put("s-00003-of-00003.gguf", "333");
    put("s-00001-of-00002.gguf", "4444"); /* another split's: not counted */
    snprintf(path, sizeof path, "%s/s-00001-of-00003.gguf", root);
    CHECK(memory_budget_model_bytes(path) == 6);
    snprintf(path, sizeof path, "%s/s-00002-of-00003.gguf", root); /* not the first: itself */
    CHECK(memory_budget_model_bytes(path) == 2);
    put("hf/config.json", "{}");
    put("hf/model-00001-of-00002.safetensors", "abcdefgh");
    put("hf/model-00002-of-00002.safetensors", "ij");
    snprintf(path, sizeof path, "%s/hf", root);
    CHECK(memory_budget_model_bytes(path) == 12);
    snprintf(path, sizeof path, "%s/none.gguf", root);
    CHECK(memory_budget_model_bytes(path) == 0);
}

static void pick(void)
{
    CHECK(memory_budget_pick(0, UINT64_MAX) == 0);
    CHECK(memory_budget_pick(500, 1000) == 0); /* half: as before, no limit */
    CHECK(memory_budget_pick(501, 1000) == 250);
    CHECK(memory_budget_pick(10, 3) == 1); /* nothing left: the smallest limit */
    CHECK(memory_budget_pick(UINT64_MAX, UINT64_MAX - 1) == INT64_MAX / 2);
}

static void parse(void)
{
    int64_t v = -7;
    CHECK(memory_budget_parse("test", "0", &v) && v == 0);
    CHECK(memory_budget_parse("test", "1000000", &v) && v == 1000000);
    CHECK(!memory_budget_parse("test", "-1", &v));
    CHECK(!memory_budget_parse("test", "lots", &v));
    CHECK(memory_budget_for("test", "/nonexistent", 123) == 123); /* given: kept */
    CHECK(memory_budget_for("test", "/nonexistent", 0) == 0);
}

LQT_MAIN(available_from_meminfo, available_under_cgroup_v2, available_under_cgroup_v1,
         model_bytes, pick, parse)
