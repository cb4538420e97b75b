/* split_options.c — parsing the split options. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "split_options.h"
#include "tool.h"

/* "N(M|G)": a whole number of megabytes or gigabytes (decimal, as
 * llama-gguf-split counts them; it takes no other unit). */
static bool parse_size(const char *s, uint64_t *out)
{
    size_t len = strlen(s);
    if (len < 2 || (s[len - 1] != 'M' && s[len - 1] != 'G'))
        return false;
    uint64_t unit = s[len - 1] == 'M' ? 1000000u : 1000000000u;
    char digits[24];
    if (len - 1 >= sizeof digits)
        return false;
    memcpy(digits, s, len - 1);
    digits[len - 1] = '\0';
    int64_t n;
    if (!lq_tool_parse_i64(digits, 1, INT64_MAX / 1000000000, &n))
        return false;
    *out = (uint64_t)n * unit;
    return true;
}

/* The message, and -1. */
static int bad(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(const char *cmd, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lq_tool_usage_error(cmd, "%s", msg);
    return -1;
}

int split_option(const char *cmd, int argc, char **argv, int *i, split_options *o)
{
    bool missing = false;
    const char *v;
    if ((v = lq_tool_option(argc, argv, i, "--split-max-size", &missing))) {
        if (!parse_size(v, &o->max_bytes))
            return bad(cmd, "--split-max-size wants a positive whole number and M or G (e.g. "
                       "500M, 4G), got '%s'", v);
    } else if ((v = lq_tool_option(argc, argv, i, "--split-max-tensors", &missing))) {
        if (!lq_tool_parse_i64(v, 1, INT32_MAX, &o->max_tensors))
            return bad(cmd, "--split-max-tensors wants 1..%d, got '%s'", INT32_MAX, v);
    } else if (missing) {
        return bad(cmd, "%s needs a value", argv[*i]);
    } else if (strcmp(argv[*i], "--no-tensor-first-split") == 0) {
        o->flags |= LQ_GGUF_SPLIT_NO_TENSOR_FIRST;
    } else {
        return 0;
    }
    if (o->max_bytes && o->max_tensors)
        return bad(cmd, "give --split-max-size or --split-max-tensors, not both");
    o->set = true;
    return 1;
}

void split_limits(const split_options *o, uint64_t *max_bytes, int64_t *max_tensors)
{
    *max_bytes = o->max_bytes;
    *max_tensors = o->max_bytes || o->max_tensors ? o->max_tensors : 128; /* llama-gguf-split's default */
}

/* "I/N" with 1 <= I <= N <= the most split files. */
static bool parse_shard(const char *s, int64_t *shard, int64_t *count)
{
    const char *slash = strchr(s, '/');
    char first[24];
    if (!slash || (size_t)(slash - s) >= sizeof first)
        return false;
    memcpy(first, s, (size_t)(slash - s));
    first[slash - s] = '\0';
    return lq_tool_parse_i64(slash + 1, 1, 65535, count) &&
           lq_tool_parse_i64(first, 1, *count, shard);
}

int split_option_sharded(const char *cmd, int argc, char **argv, int *i, split_options *o)
{
    bool missing = false;
    const char *v;
    if ((v = lq_tool_option(argc, argv, i, "--shard", &missing))) {
        if (!parse_shard(v, &o->shard, &o->shard_count))
            return bad(cmd, "--shard wants I/N with 1 <= I <= N <= 65535, got '%s'", v);
    } else if (!missing && strcmp(argv[*i], "--print-split-count") == 0) {
        o->print_count = true;
    } else {
        return split_option(cmd, argc, argv, i, o);
    }
    o->set = true;
    return 1;
}
