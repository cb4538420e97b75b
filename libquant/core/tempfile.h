/* tempfile.h — unlinked temporary files for what does not fit a memory
 * limit: the calibration states, the Hessians of calibration sets, the
 * quantized weights waiting to be written (internal). */
#ifndef LQ_CORE_TEMPFILE_H
#define LQ_CORE_TEMPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lq/lq_core.h>

/* An unlinked temporary file in $TMPDIR (else /tmp), open for reading and
 * writing, for `what` (in messages). Errors: LQ_ERR_IO, LQ_ERR_NOMEM. */
lq_status lq__temp_file(const char *fn, const char *what, int *fd);

/* Write or read len bytes at offset `at` of such a file. Errors: LQ_ERR_IO. */
lq_status lq__temp_io(const char *fn, const char *what, int fd, void *p, size_t len,
                      uint64_t at, bool write);

#endif
