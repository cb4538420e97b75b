/* file.c — read-only maps and atomic writes (temporary file, fsync, rename). */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "file.h"
#include "out_sync.h"

#define OUT_BUF_BYTES (1u << 20)
/* Writeback of the output is started every this many bytes (see
 * start_writeback). */
#define WRITEBACK_BYTES ((uint64_t)32 << 20)
/* ... and committed (fdatasync on another thread, out_sync.c) every this
 * many: each takes 0.1-0.2 s of waiting there, off the writer's path. */
#define DATASYNC_BYTES ((uint64_t)128 << 20)

char *lq__strndup(const char *s, size_t n)
{
    size_t cap;
    if (!lq__add_size(n, 1, &cap))
        return NULL;
    char *d = lq__malloc(cap);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

char *lq__strdup(const char *s)
{
    return lq__strndup(s, strlen(s));
}

const char *lq__path_base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

char *lq__path_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return lq__strdup(".");
    if (slash == path)
        return lq__strdup("/");
    return lq__strndup(path, (size_t)(slash - path));
}

char *lq__path_join(const char *dir, const char *base)
{
    size_t a = strlen(dir), b = strlen(base), n;
    if (!lq__add_size(a, b, &n) || !lq__add_size(n, 2, &n))
        return NULL;
    char *p = lq__malloc(n);
    if (p) {
        memcpy(p, dir, a);
        p[a] = '/';
        memcpy(p + a + 1, base, b + 1);
    }
    return p;
}

bool lq__is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

lq_status lq__map_open(const char *fn, const char *path, lq__map *out)
{
    out->data = NULL;
    out->size = 0;
    /* O_NONBLOCK: opening a FIFO would otherwise wait for a writer, before
     * the check below could refuse it */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return lq__fail(LQ_ERR_IO, "%s: %s: cannot open: %s", fn, path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return lq__fail(LQ_ERR_IO, "%s: %s: cannot stat: %s", fn, path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return lq__fail(LQ_ERR_IO, "%s: %s: not a regular file", fn, path);
    }
    if ((uint64_t)sb.st_size > SIZE_MAX) {
        close(fd);
        return lq__fail(LQ_ERR_IO, "%s: %s: %lld bytes do not fit in the address space", fn,
                        path, (long long)sb.st_size);
    }
    if (sb.st_size > 0) {
        void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            close(fd);
            return lq__fail(LQ_ERR_IO, "%s: %s: cannot map %lld bytes: %s", fn, path,
                            (long long)sb.st_size, strerror(e));
        }
        out->data = p;
        out->size = (size_t)sb.st_size;
    }
    close(fd); /* the map keeps the file */
    return LQ_OK;
}

void lq__map_close(lq__map *m)
{
    if (m->data)
        munmap((void *)(uintptr_t)m->data, m->size);
    m->data = NULL;
    m->size = 0;
}

void lq__map_advise(const lq__map *m, const void *p, uint64_t len, int advice)
{
    const uint8_t *b = p;
    if (!m->data || !b || len == 0 || b < m->data || (uint64_t)(b - m->data) > m->size ||
        len > m->size - (uint64_t)(b - m->data))
        return;
    lq__pages_advise(b, len, advice);
}

/* Test hook: when above 0, the write call that brings it to 0 fails with
 * ENOSPC, as on a full disk (see file.h). */
static _Atomic int64_t write_fault_countdown;

void lq__out_fail_write_at(int64_t n)
{
    write_fault_countdown = n > 0 ? n : 0;
}

static const char *kind_of(mode_t mode)
{
    return S_ISLNK(mode) ? "symbolic link" : S_ISDIR(mode) ? "directory"
           : S_ISFIFO(mode) ? "FIFO" : S_ISCHR(mode) ? "character device"
           : S_ISBLK(mode) ? "block device" : S_ISSOCK(mode) ? "socket" : "special file";
}

/* The rename at commit replaces whatever has the final name: allow that only
 * for a regular file (or nothing). A symlink would be replaced instead of
 * its target, and a device or FIFO (say /dev/null as root) would be lost. */
static lq_status check_replaceable(const char *fn, const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? LQ_OK
                               : lq__fail(LQ_ERR_IO, "%s: %s: cannot stat: %s", fn, path,
                                          strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return lq__fail(LQ_ERR_IO, "%s: %s exists and is a %s, not a regular file; refusing to "
                        "replace it", fn, path, kind_of(sb.st_mode));
    return LQ_OK;
}

bool lq__same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

lq_status lq__out_open(const char *fn, const char *path, lq__out *o)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->fn = fn;
    const char *base = lq__path_base(path);
    if (!*base)
        return lq__fail(LQ_ERR_INVALID, "%s: '%s' names no file", fn, path);
    lq_status st0 = check_replaceable(fn, path);
    if (st0 != LQ_OK)
        return st0;
    /* everything commit needs is allocated here, so that nothing can fail
     * after the rename */
    o->dir_path = lq__path_dir(path);
    size_t n = strlen(base) + 32;
    char *name = lq__malloc(n);
    o->final_path = lq__strdup(path);
    if (!o->dir_path || !name || !o->final_path) {
        lq__free(name);
        lq__out_abort(o);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    /* hidden, and recognisable as ours if a crash leaves it behind */
    memcpy(name, ".", 2);
    strcat(name, base);
    strcat(name, ".lqtmp-XXXXXX");
    o->tmp_path = lq__path_join(o->dir_path, name);
    lq__free(name);
    if (!o->tmp_path) {
        lq__out_abort(o);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    }
    o->fd = mkostemp(o->tmp_path, O_CLOEXEC);
    if (o->fd < 0) {
        int e = errno;
        lq__free(o->tmp_path);
        o->tmp_path = NULL; /* nothing was created */
        lq__out_abort(o);
        return lq__fail(LQ_ERR_IO, "%s: %s: cannot create a temporary file beside it: %s", fn,
                        path, strerror(e));
    }
    /* mkstemp makes 0600; give the usual mode of a written file */
    if (fchmod(o->fd, 0644) != 0) {
        int e = errno;
        lq__out_abort(o);
        return lq__fail(LQ_ERR_IO, "%s: %s: chmod: %s", fn, path, strerror(e));
    }
    return LQ_OK;
}

/* Start writing what was written so far to the disk, without waiting: the
 * fsync before the rename then finds little left to do. Without this it
 * wrote the whole output at the end while nothing else ran (1.9 s of a
 * whole-model Q8_0 quantization's 750 MB); the syncer commits what the
 * writeback leaves for the fsync (out_sync.c). Advice only: a failure here
 * shows up at the fsync, which is checked. */
static void start_writeback(lq__out *o)
{
#ifdef SYNC_FILE_RANGE_WRITE
    if (o->written - o->wb_started >= WRITEBACK_BYTES) {
        (void)sync_file_range(o->fd, (off_t)o->wb_started, (off_t)(o->written - o->wb_started),
                              SYNC_FILE_RANGE_WRITE);
        o->wb_started = o->written;
    }
#endif
    if (o->written - o->sync_asked < DATASYNC_BYTES)
        return;
    if (!o->syncer) /* first needed: files smaller than this never start one */
        o->syncer = lq__out_syncer_start(o->tmp_path);
    if (o->syncer)
        lq__out_syncer_ask(o->syncer);
    o->sync_asked = o->written;
}

static lq_status write_all(lq__out *o, const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t chunk = n > (1u << 30) ? (1u << 30) : n;
        ssize_t w;
        if (write_fault_countdown > 0 && --write_fault_countdown == 0) {
            w = -1;
            errno = ENOSPC;
        } else {
            w = write(o->fd, p, chunk);
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            lq_status st = lq__fail(LQ_ERR_IO, "%s: %s: write failed after %llu bytes: %s",
                                    o->fn, o->final_path, (unsigned long long)o->written,
                                    strerror(e));
            lq__out_abort(o);
            return st;
        }
        p += w;
        n -= (size_t)w;
        o->written += (uint64_t)w;
    }
    start_writeback(o);
    return LQ_OK;
}

static lq_status flush(lq__out *o)
{
    size_t n = o->buf_used;
    o->buf_used = 0;
    return n ? write_all(o, o->buf, n) : LQ_OK;
}

lq_status lq__out_write(lq__out *o, const void *data, size_t n)
{
    if (o->fd < 0)
        return lq__fail(LQ_ERR_STATE, "%s: the output file is closed", o->fn);
    if (!o->buf && !(o->buf = lq__malloc(OUT_BUF_BYTES))) {
        lq__out_abort(o);
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", o->fn);
    }
    if (n >= OUT_BUF_BYTES) { /* large pieces go straight to the file */
        lq_status st = flush(o);
        return st != LQ_OK ? st : write_all(o, data, n);
    }
    if (o->buf_used + n > OUT_BUF_BYTES) {
        lq_status st = flush(o);
        if (st != LQ_OK)
            return st;
    }
    memcpy(o->buf + o->buf_used, data, n);
    o->buf_used += n;
    return LQ_OK;
}

lq_status lq__out_zeros(lq__out *o, uint64_t n)
{
    static const uint8_t zeros[4096];
    while (n > 0) {
        size_t k = n > sizeof zeros ? sizeof zeros : (size_t)n;
        lq_status st = lq__out_write(o, zeros, k);
        if (st != LQ_OK)
            return st;
        n -= k;
    }
    return LQ_OK;
}

lq_status lq__out_sync(lq__out *o)
{
    if (o->fd < 0)
        return lq__fail(LQ_ERR_STATE, "%s: the output file is closed", o->fn);
    lq_status st = flush(o);
    if (st != LQ_OK)
        return st;
    /* before the syncer is stopped: an fdatasync of its still under way
     * then overlaps this fsync instead of delaying it */
    if (fsync(o->fd) != 0) {
        st = lq__fail(LQ_ERR_IO, "%s: %s: fsync: %s", o->fn, o->final_path, strerror(errno));
        lq__out_abort(o);
        return st;
    }
    lq__out_syncer_stop(o->syncer);
    o->syncer = NULL;
    /* close now: a sharded save may hold many finished files at once */
    int fd = o->fd;
    o->fd = -1;
    lq__free(o->buf);
    o->buf = NULL;
    if (close(fd) != 0) {
        st = lq__fail(LQ_ERR_IO, "%s: %s: close: %s", o->fn, o->final_path, strerror(errno));
        lq__out_abort(o);
        return st;
    }
    return LQ_OK;
}

lq_status lq__out_commit(lq__out *o)
{
    if (!o->tmp_path)
        return lq__fail(LQ_ERR_STATE, "%s: the output file was abandoned", o->fn);
    lq_status st = o->fd >= 0 ? lq__out_sync(o) : LQ_OK;
    if (st != LQ_OK)
        return st;
    /* again: something may have been put there while we wrote */
    if ((st = check_replaceable(o->fn, o->final_path)) != LQ_OK) {
        lq__out_abort(o);
        return st;
    }
    if (rename(o->tmp_path, o->final_path) != 0) {
        st = lq__fail(LQ_ERR_IO, "%s: %s: cannot rename the finished file into place: %s",
                      o->fn, o->final_path, strerror(errno));
        lq__out_abort(o);
        return st;
    }
    lq__free(o->tmp_path);
    o->tmp_path = NULL;
    /* make the rename itself durable; some file systems refuse, which is harmless */
    int dfd = open(o->dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    lq__out_abort(o); /* releases the rest; nothing left to remove */
    return LQ_OK;
}

void lq__out_abort(lq__out *o)
{
    lq__out_syncer_stop(o->syncer);
    o->syncer = NULL;
    if (o->fd >= 0)
        close(o->fd);
    o->fd = -1;
    if (o->tmp_path)
        unlink(o->tmp_path);
    lq__free(o->tmp_path);
    o->tmp_path = NULL;
    lq__free(o->final_path);
    o->final_path = NULL;
    lq__free(o->dir_path);
    o->dir_path = NULL;
    lq__free(o->buf);
    o->buf = NULL;
    o->buf_used = 0;
}
