/* pages.c — residency advice on whole pages of a read-only file map. */
#include <sys/mman.h>
#include <unistd.h>

#include "pages.h"

void lq__pages_advise(const void *p, uint64_t len, int advice)
{
    long page = sysconf(_SC_PAGESIZE);
    if (!p || len == 0 || page <= 0 || len > UINTPTR_MAX - (uintptr_t)p)
        return;
    uintptr_t lo = (uintptr_t)p, hi = lo + (uintptr_t)len, size = (uintptr_t)page;
    lo -= lo % size;
    hi += (size - hi % size) % size;
    (void)madvise((void *)lo, hi - lo, advice == LQ__MAP_DROP ? MADV_DONTNEED : MADV_WILLNEED);
}
