/* file.h — reading files through a read-only map, and writing them
 * atomically (internal).
 *
 * A map is the whole file, read-only and private; an empty file maps to
 * (NULL, 0). An out file is a temporary made with mkstemp beside the final
 * path; lq__out_commit flushes, fsyncs and renames it into place, and
 * lq__out_abort (also called on every failure inside these functions)
 * removes it, so the final name only ever holds a complete file. */
#ifndef LQ_IO_FILE_H
#define LQ_IO_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lq/lq_core.h>

#include "../core/pages.h"

typedef struct lq__map {
    const uint8_t *data;
    size_t size;
} lq__map;

/* Map `path`. Errors: LQ_ERR_IO (not a regular file, cannot open or map),
 * with "fn: path: reason" messages. */
lq_status lq__map_open(const char *fn, const char *path, lq__map *out);
void lq__map_close(lq__map *m);

/* Residency advice for bytes [p, p + len) of map m (lq__pages_advise):
 * a whole-model pass drops what it has consumed, so that the input does not
 * stay resident and count against a memory limit, and reads ahead what it
 * will read next. Contents never change; a range outside m changes nothing. */
void lq__map_advise(const lq__map *m, const void *p, uint64_t len, int advice);

typedef struct lq__out {
    int fd;             /* -1 once closed (by lq__out_sync, commit or abort) */
    char *tmp_path;     /* NULL once renamed or removed */
    char *final_path;
    char *dir_path;     /* final_path's folder, fsynced after the rename */
    uint64_t written;
    uint64_t wb_started; /* bytes whose writeback to disk has been started */
    uint64_t sync_asked; /* bytes written when the syncer was last asked */
    struct lq__out_syncer *syncer; /* background fdatasync (out_sync.h), or NULL */
    uint8_t *buf;       /* write buffer, made on the first write */
    size_t buf_used;
    const char *fn;     /* public function, for messages */
} lq__out;

/* Errors: LQ_ERR_IO also when `path` exists and is not a regular file (a
 * symlink, FIFO, device, directory): the rename would replace it. Checked
 * again just before the rename. */
lq_status lq__out_open(const char *fn, const char *path, lq__out *out);
/* Buffered writes; on failure the file is aborted. */
lq_status lq__out_write(lq__out *o, const void *data, size_t n);
lq_status lq__out_zeros(lq__out *o, uint64_t n);
/* Flush, fsync and close, without renaming (for sets of files renamed
 * together); only lq__out_commit or lq__out_abort may follow. */
lq_status lq__out_sync(lq__out *o);
/* Sync (if not yet) and rename into place; on failure the file is aborted. */
lq_status lq__out_commit(lq__out *o);
/* Remove the temporary (if any) and release everything. Safe to call twice,
 * and on any lq__out that lq__out_open has seen (opened, failed or committed)
 * or that was zeroed with fd set to -1. */
void lq__out_abort(lq__out *o);

/* For fault-injection tests: the n-th write(2) of any lq__out from now on
 * (n >= 1) fails with ENOSPC, as on a full disk; 0 turns it off. Counts
 * across threads; not for use outside tests. */
void lq__out_fail_write_at(int64_t n);

/* Do a and b name the same existing file (same device and inode, following
 * symlinks, so hard links and links to it count)? */
bool lq__same_file(const char *a, const char *b);

/* Is `path` a directory? */
bool lq__is_dir(const char *path);

/* "dir/base" joined; NULL when out of memory. Free with lq__free. */
char *lq__path_join(const char *dir, const char *base);
/* The folder part of path ("." when there is none); NULL when out of memory. */
char *lq__path_dir(const char *path);
/* The file-name part of path (a pointer into path). */
const char *lq__path_base(const char *path);

/* A copy of s (NULL when out of memory). Free with lq__free. */
char *lq__strdup(const char *s);
char *lq__strndup(const char *s, size_t n);

#endif
