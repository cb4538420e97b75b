/* gguf_quantize_writer.h — whole-model quantization's writes on a thread of
 * their own (internal): a quantized slice is copied into the page cache while
 * the next one is computed, instead of between slices on the calling thread
 * while the pool's workers wait (a sixth of a Q8_0 run's time). One write is
 * in flight at a time, so two slice buffers suffice. The thread also gives
 * back the input pages the slice was computed from, which is otherwise
 * serial work between two slices while the workers wait. */
#ifndef LQ_PIPELINE_GGUF_QUANTIZE_WRITER_H
#define LQ_PIPELINE_GGUF_QUANTIZE_WRITER_H

#include <stddef.h>

#include <lq/lq_io.h>

typedef struct lq__bg_writer lq__bg_writer;

/* Bytes [off, off + len) of input tensor `index` of `in`, to release with
 * lq__gguf_map_release when a write is handed over (in NULL: none). */
typedef struct {
    const lq_gguf *in;
    int64_t index;
    uint64_t off, len;
} lq__bg_release;

/* A thread that writes into w. Errors: LQ_ERR_NOMEM, LQ_ERR_INTERNAL (no
 * thread). `fn` names the caller in messages. */
lq_status lq__bg_writer_start(const char *fn, lq_gguf_writer *w, lq__bg_writer **out);

/* Wait for the write in flight, then hand `bytes` of `data` to the thread,
 * and `rel` (NULL: nothing) to release before writing; data must not change until
 * the next put or wait. Returns the status of the write waited for (its
 * message on this thread). */
lq_status lq__bg_writer_put(lq__bg_writer *b, const void *data, size_t bytes,
                            const lq__bg_release *rel);

/* Wait for the write in flight; its status, as put. After it, the caller may
 * write into w itself until the next put. */
lq_status lq__bg_writer_wait(lq__bg_writer *b);

/* Wait and end the thread (NULL: nothing). */
void lq__bg_writer_stop(lq__bg_writer *b);

#endif
