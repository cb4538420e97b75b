/* arch.c — the table of architectures the runner runs (arch.h). */
#include <stdio.h>
#include <string.h>

#include "arch.h"

#define ROW(name, rope, tensors) {#name, rope, tensors},
static const lq__arch archs[] = {LQ__ARCH_LIST(ROW)};
#undef ROW

const lq__arch *lq__arch_find(const char *name)
{
    for (size_t i = 0; i < sizeof archs / sizeof *archs; i++)
        if (strcmp(archs[i].name, name) == 0)
            return &archs[i];
    return NULL;
}

const char *lq__arch_names(char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof archs / sizeof *archs && at < size; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? ", " : "", archs[i].name);
    return buf;
}
