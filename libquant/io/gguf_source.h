/* gguf_source.h — lq_gguf handles whose tensor bytes are produced on demand
 * (internal): a model read from another format (a Hugging Face folder) is
 * shown as a GGUF without converting it up front. */
#ifndef LQ_IO_GGUF_SOURCE_H
#define LQ_IO_GGUF_SOURCE_H

#include <stdint.h>

#include <lq/lq_io.h>

/* What produces the bytes. read fills dst with exactly the bytes of rows
 * [r0, r1) of tensor `index` (as declared; its rows are all dimensions but
 * the row length ne[0]: one for a vector); it may be called from several
 * threads at once for different or equal indexes, and must only read
 * `user`. Its messages name the tensor; the calls here put the public
 * function's name before them. free releases `user` (may be NULL). */
typedef struct lq__gguf_source_ops {
    lq_status (*read)(void *user, int64_t index, int64_t r0, int64_t r1, void *dst);
    void (*free)(void *user);
} lq__gguf_source_ops;

/* Give g, whose tensors were all declared (lq_gguf_declare_tensor), a source.
 * From then on lq_gguf_tensor_raw / lq_gguf_get_tensor make a tensor's bytes
 * on first use (held by g until lq__gguf_tensor_release or lq_gguf_free), and
 * lq_gguf_save pulls each tensor through the source into one reused buffer.
 * `user` is owned by g from this call on, also when it fails (it is then
 * freed at once). Errors: LQ_ERR_STATE (g has a source already, or a tensor
 * with bytes), LQ_ERR_NOMEM. */
lq_status lq__gguf_set_source(lq_gguf *g, const lq__gguf_source_ops *ops, void *user);

/* The bytes of tensor i: for a handle with a source, made on first use
 * (thread-safe); otherwise the tensor's own bytes, or NULL when declared
 * without any. Errors: those of the source's read, LQ_ERR_NOMEM. */
lq_status lq__gguf_tensor_bytes(const char *fn, const lq_gguf *g, int64_t i,
                                const uint8_t **data);

/* Fill dst (the tensor's nbytes) with tensor i without keeping a copy in g:
 * the source's read, or a copy of bytes g holds. LQ_ERR_STATE for a declared
 * tensor of a handle without source. */
lq_status lq__gguf_tensor_read(const char *fn, const lq_gguf *g, int64_t i, void *dst);

/* The same for rows [r0, r1) of tensor i, into dst (their bytes): a piece of
 * a weight made without making the rest (a calibration walk's FFN product,
 * model/forward.c). */
lq_status lq__gguf_tensor_read_rows(const char *fn, const lq_gguf *g, int64_t i, int64_t r0,
                                    int64_t r1, void *dst);

/* Drop the bytes of tensor i that the source made (pointers from
 * lq_gguf_tensor_raw / lq_gguf_get_tensor for it become invalid); false,
 * doing nothing, when g has no source (lq__gguf_tensor_release in
 * gguf_internal.h is the call for any handle). */
bool lq__gguf_source_release(const lq_gguf *g, int64_t i);

/* The `user` of g's source when it was set with these ops (the same
 * functions), else NULL: how the maker of a handle finds its own state. */
void *lq__gguf_source_user(const lq_gguf *g, const lq__gguf_source_ops *ops);

/* Free the source (lq_gguf_free). */
void lq__gguf_source_free(lq_gguf *g);

#endif
