/* out_sync.h — a background fdatasync of a file being written, so that the
 * fsync before its rename finds little left to do (out_sync.c says why). */
#ifndef LQ_IO_OUT_SYNC_H
#define LQ_IO_OUT_SYNC_H

typedef struct lq__out_syncer lq__out_syncer;

/* A thread that fdatasyncs `path` (the file being written, still under its
 * temporary name) whenever asked, through a descriptor of its own. NULL when
 * it cannot be had (no memory, no thread, the file not openable): the
 * syncing is advice, and the caller's own fsync still does all of it. */
lq__out_syncer *lq__out_syncer_start(const char *path);
/* Ask for an fdatasync of everything written so far; returns at once. One
 * asked for while another runs is done after it (several become one). */
void lq__out_syncer_ask(lq__out_syncer *s);
/* Wait for the fdatasync under way, if any, and end the thread. NULL is
 * allowed. */
void lq__out_syncer_stop(lq__out_syncer *s);

#endif
