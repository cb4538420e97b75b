/* pages.h — residency advice on whole pages of a read-only file map
 * (internal). */
#ifndef LQ_CORE_PAGES_H
#define LQ_CORE_PAGES_H

#include <stdint.h>

/* LQ__MAP_DROP takes pages out of this process's memory (they come back from
 * the page cache or the file when read again), LQ__MAP_WILLNEED starts
 * reading them ahead into the page cache. */
enum { LQ__MAP_DROP = 0, LQ__MAP_WILLNEED = 1 };

/* `advice` on bytes [p, p + len), widened to whole pages (a page shared with
 * a neighbour is only read again if needed). Only for bytes inside a
 * read-only private map of a file, which mmap starts on a page and covers to
 * the end of its last page, so the widened range stays inside it: on any
 * other memory LQ__MAP_DROP would zero it. A failed advice changes nothing. */
void lq__pages_advise(const void *p, uint64_t len, int advice);

#endif
