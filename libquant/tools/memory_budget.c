/* memory_budget.c — the --max-memory the lq tool takes when none is given.
 *
 * Without a limit, a calibrated quantize holds the quantized model and the
 * calibration states in memory, about the model's own size (GPTQ 464 MB,
 * AWQ 581 MB on the 0.73 GB F16 calib_mem model; a 70B model's Q4_K_M alone
 * is 40 GB), so a large model runs out of memory or past its container's
 * limit. Under any limit the peak stays near two of its largest tensors
 * (145 MB there; doc/benchmarks.md) for a little more CPU time and temporary
 * files. So when the model is more than half of what this process may take,
 * the tool sets a limit itself and says so; a small model runs as before. */
#include <dirent.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "memory_budget.h"
#include "tool.h"

bool memory_budget_parse(const char *cmd, const char *text, int64_t *out)
{
    if (lq_tool_parse_i64(text, 0, INT64_MAX, out))
        return true;
    lq_tool_usage_error(cmd, "--max-memory wants bytes (0: no limit), got '%s'", text);
    return false;
}

/* The number after `key` in the first line of file that starts with it
 * ("" for a file of one number), times `unit`; false when there is none
 * ("max", no file, no such line). */
static bool read_number(const char *file, const char *key, uint64_t unit, uint64_t *out)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return false;
    char line[512];
    bool found = false;
    size_t klen = strlen(key);
    while (!found && fgets(line, sizeof line, f)) {
        if (strncmp(line, key, klen) != 0)
            continue;
        char *end;
        unsigned long long v = strtoull(line + klen, &end, 10);
        found = end != line + klen;
        *out = (uint64_t)v * unit;
    }
    fclose(f);
    return found;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* What is left under the tightest limit of the cgroup `group` (a path
 * from its hierarchy's root, mounted at `mount`) and its ancestors (each
 * limit holds its descendants too; where the group's own folder is not
 * visible, as in a container that sees only its own root, the root's limit
 * is the container's), from their `limit` and `usage` files. UINT64_MAX when
 * none has a limit. */
static uint64_t cgroup_left(const char *mount, char *group, const char *limit, const char *usage)
{
    uint64_t left = UINT64_MAX;
    for (;;) {
        char path[4096];
        uint64_t max, used = 0;
        snprintf(path, sizeof path, "%s%s/%s", mount, group, limit);
        /* "max" (v2) reads as no number; v1's "no limit" is a number near
         * 2^63, larger than any MemAvailable */
        if (read_number(path, "", 1, &max)) {
            snprintf(path, sizeof path, "%s%s/%s", mount, group, usage);
            read_number(path, "", 1, &used);
            left = min_u64(left, used < max ? max - used : 0);
        }
        char *slash = strrchr(group, '/');
        if (!slash)
            return left;
        *slash = 0; /* the parent; "" is the root */
    }
}

uint64_t memory_budget_available(const char *root)
{
    char path[4096], line[4096];
    uint64_t left = UINT64_MAX, kib;
    snprintf(path, sizeof path, "%s/proc/meminfo", root);
    if (read_number(path, "MemAvailable:", 1024, &kib))
        left = kib;
    snprintf(path, sizeof path, "%s/proc/self/cgroup", root);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        /* "0::/PATH" (v2) or "N:...memory...:/PATH" (v1) */
        char *controllers = strchr(line, ':'), *group = controllers ? strchr(controllers + 1, ':') : NULL;
        if (!group)
            continue;
        *group++ = 0;
        *controllers++ = 0;
        if (strcmp(line, "0") == 0 && !*controllers) {
            snprintf(path, sizeof path, "%s/sys/fs/cgroup", root);
            left = min_u64(left, cgroup_left(path, group, "memory.max", "memory.current"));
        } else if (strstr(controllers, "memory")) {
            snprintf(path, sizeof path, "%s/sys/fs/cgroup/memory", root);
            left = min_u64(left, cgroup_left(path, group, "memory.limit_in_bytes",
                                             "memory.usage_in_bytes"));
        }
    }
    if (f)
        fclose(f);
    return left;
}

static uint64_t file_bytes(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
}

/* The parts of a split GGUF named as llama-gguf-split names them. */
static uint64_t split_bytes(const char *path)
{
    static const char tail[] = "-00001-of-00000.gguf";
    size_t n = strlen(path), stem = n - (sizeof tail - 1);
    int count;
    char end[8];
    if (n < sizeof tail - 1 || strncmp(path + stem, "-00001-of-", 10) != 0 ||
        sscanf(path + stem + 10, "%5d%7s", &count, end) != 2 || strcmp(end, ".gguf") != 0 ||
        count < 1)
        return file_bytes(path);
    uint64_t sum = 0;
    char part[4096];
    for (int k = 1; k <= count; k++) {
        snprintf(part, sizeof part, "%.*s-%05d-of-%05d.gguf", (int)stem, path, k, count);
        sum += file_bytes(part);
    }
    return sum;
}

uint64_t memory_budget_model_bytes(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return split_bytes(path);
    uint64_t sum = 0;
    char file[4096];
    for (struct dirent *e; (e = readdir(d));) {
        snprintf(file, sizeof file, "%s/%s", path, e->d_name);
        sum += file_bytes(file);
    }
    closedir(d);
    return sum;
}

int64_t memory_budget_pick(uint64_t model_bytes, uint64_t available)
{
    if (model_bytes <= available / 2)
        return 0;
    uint64_t quarter = min_u64(available / 4, INT64_MAX);
    return quarter ? (int64_t)quarter : 1;
}

int64_t memory_budget_for(const char *cmd, const char *model_path, int64_t given)
{
    if (given != MEMORY_BUDGET_AUTO)
        return given;
    uint64_t model = memory_budget_model_bytes(model_path), available = memory_budget_available("");
    int64_t limit = memory_budget_pick(model, available);
    if (limit)
        fprintf(stderr, "lq %s: the model (%.2f GB) is more than half of the memory this process "
                "may take (%.2f GB): working within --max-memory %" PRId64 " (give --max-memory "
                "to choose, 0 for no limit)\n", cmd, model / 1e9, available / 1e9, limit);
    return limit;
}
