/* memory_budget.h — the --max-memory the lq tool takes when none is given. */
#ifndef LQ_TOOLS_MEMORY_BUDGET_H
#define LQ_TOOLS_MEMORY_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

/* The end of --max-memory's help in the commands that take it. */
#define MEMORY_BUDGET_USAGE                                                               \
    "Without --max-memory, a model of more than half the memory this process may\n"     \
    "take (MemAvailable, or its cgroup's limit when lower) runs with a quarter of\n"    \
    "that memory as the limit; --max-memory 0 is no limit.\n"

/* --max-memory's value when the option is not given: chosen by
 * memory_budget_pick. */
#define MEMORY_BUDGET_AUTO (-1)

/* --max-memory's text into *out: bytes, 0 for no limit; false (the usage
 * error said) when it is not that. */
bool memory_budget_parse(const char *cmd, const char *text, int64_t *out);

/* The bytes this process may still take: MemAvailable of <root>/proc/meminfo,
 * or what is left under its cgroup's or an ancestor's memory limit when that
 * is smaller (v2 memory.max less memory.current, v1 memory.limit_in_bytes
 * less memory.usage_in_bytes; the groups named by <root>/proc/self/cgroup,
 * under <root>/sys/fs/cgroup). root is "" on a real system; tests give a folder of
 * made-up files. UINT64_MAX when nothing says. */
uint64_t memory_budget_available(const char *root);

/* The bytes of the model at path: a file's size (with the other parts of a
 * split GGUF, NAME-00001-of-0000N.gguf), or the sum of a folder's files. 0
 * when it cannot be read (the load that follows will say why). */
uint64_t memory_budget_model_bytes(const char *path);

/* The limit for lq_model_set_max_memory when a run over a model of
 * model_bytes may take `available` bytes: 0 (no limit) when the model is at
 * most half of them, else a quarter of them (at least 1). */
int64_t memory_budget_pick(uint64_t model_bytes, uint64_t available);

/* The limit a command runs with: `given` unless it is MEMORY_BUDGET_AUTO,
 * then memory_budget_pick on this system, said on stderr when it sets one. */
int64_t memory_budget_for(const char *cmd, const char *model_path, int64_t given);

#endif
