/* states.h — the hidden states of a calibration walk (internal).
 *
 * lq__calibrate keeps one row of n_embd floats per calibration token between
 * layers: samples x seqlen x n_embd, often more than the model's weights.
 * Within a memory limit they stay in memory; beyond it they go to a
 * temporary file and only one window of rows is in memory at a time, read
 * before a layer runs on it and written back after. The file is unlinked as
 * soon as it is made, so nothing is left behind even when the process is
 * killed. The rows are the same floats either way, so every result is too. */
#ifndef LQ_MODEL_STATES_H
#define LQ_MODEL_STATES_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq_core.h>

typedef struct lq__states {
    int64_t rows, width;
    float *mem;       /* all rows, in memory; NULL when spilled */
    int fd;           /* the spill file, -1 in memory */
    float *buf;       /* when spilled: the rows handed out by the last _get */
    int64_t buf_rows; /* ... at most this many at once */
    const char *fn;   /* the public function, for messages */
} lq__states;

/* rows x width floats, zeroed, handed out at most `window` rows at a time;
 * in a temporary file ($TMPDIR, else /tmp) when they take more than
 * `max_memory` bytes (0: no limit). Errors: LQ_ERR_NOMEM, LQ_ERR_IO (no
 * temporary file). On error *s needs no _free. */
lq_status lq__states_init(lq__states *s, const char *fn, int64_t rows, int64_t width,
                          int64_t window, int64_t max_memory);

/* Rows [first, first + n) (n <= window) at *x, to read and change; changes
 * are kept by lq__states_put of the same rows before the next _get.
 * Errors: LQ_ERR_IO (reading the file). */
lq_status lq__states_get(lq__states *s, int64_t first, int64_t n, float **x);
lq_status lq__states_put(lq__states *s, int64_t first, int64_t n);

/* Are the rows in a file? */
bool lq__states_spilled(const lq__states *s);

void lq__states_free(lq__states *s);

#endif
