/* tempfile.c — unlinked temporary files (tempfile.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "error.h"
#include "tempfile.h"

lq_status lq__temp_file(const char *fn, const char *what, int *fd)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    /* mkstemp(3)'s template: it replaces the six X with a unique name */
    size_t len = strlen(dir) + sizeof "/libquant-XXXXXX";
    char *path = lq__malloc(len);
    if (!path)
        return lq__fail(LQ_ERR_NOMEM, "%s: out of memory", fn);
    snprintf(path, len, "%s/libquant-XXXXXX", dir);
    *fd = mkstemp(path);
    int err = errno;
    if (*fd >= 0)
        unlink(path); /* gone from the folder at once: the open descriptor keeps the data */
    lq__free(path);
    if (*fd < 0)
        return lq__fail(LQ_ERR_IO, "%s: no temporary file for %s could be made in %s: %s", fn,
                        what, dir, strerror(err));
    return LQ_OK;
}

lq_status lq__temp_io(const char *fn, const char *what, int fd, void *p, size_t len,
                      uint64_t at, bool write)
{
    char *c = p;
    while (len > 0) {
        ssize_t got = write ? pwrite(fd, c, len, (off_t)at) : pread(fd, c, len, (off_t)at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return lq__fail(LQ_ERR_IO, "%s: %s the temporary file of %s: %s", fn,
                            write ? "writing" : "reading", what,
                            got < 0 ? strerror(errno) : "it ended early");
        c += got;
        at += (uint64_t)got;
        len -= (size_t)got;
    }
    return LQ_OK;
}
