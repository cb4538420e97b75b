/* safetensors_internal.h — the data behind lq_safetensors, shared by the
 * reader, the handle's calls and the writer (internal). */
#ifndef LQ_IO_SAFETENSORS_INTERNAL_H
#define LQ_IO_SAFETENSORS_INTERNAL_H

#include <lq/lq_io.h>

#include "file.h"
#include "names.h"

#define LQ__ST_MAX_HEADER 100000000u /* the reference parser's limit */

typedef struct lq__st_dtype {
    const char *name; /* as the format spells it */
    int bits;         /* per element */
    lq_type as;       /* the lq_type a tensor of it becomes, -1 for none */
} lq__st_dtype;

/* The dtype called `name` (exact, `len` bytes), or NULL. */
const lq__st_dtype *lq__st_dtype_find(const char *name, size_t len);
/* The dtype of a plain lq_type, or NULL. */
const lq__st_dtype *lq__st_dtype_of(lq_type type);

/* Makes the bytes of a deferred tensor (lq__safetensors_add_deferred) when
 * the writer reaches it: *data, nbytes of them, stays valid until the next
 * call with the same user. */
typedef lq_status (*lq__st_make_fn)(void *user, int64_t arg, const char *name, uint64_t nbytes,
                                    const uint8_t **data);

typedef struct lq__st_tensor {
    char *name;
    size_t name_len;
    const lq__st_dtype *dtype;
    int ndim;
    int64_t shape[LQ_SAFETENSORS_MAX_DIMS];
    uint64_t nbytes;
    const uint8_t *data;
    uint8_t *owned; /* a copy made by LQ_COPY, else NULL */
    int shard;      /* index of the map it came from, -1 if added */
    lq__st_make_fn make; /* a deferred tensor: data is NULL until saved */
    void *make_user;
    int64_t make_arg;
} lq__st_tensor;

typedef struct lq__st_meta {
    char *key, *value;
} lq__st_meta;

struct lq_safetensors {
    lq__map *maps;
    int n_maps;
    lq__st_tensor *t;
    int64_t n_t, cap_t;
    lq__names index;
    lq__st_meta *meta;
    int64_t n_meta, cap_meta;
};

lq__name_ref lq__st_tensor_name(const void *st, int64_t i);

/* Drop the pages of tensor `index`'s bytes in its shard's map from this
 * process's memory (lq__map_advise), for a pass that has consumed them (the
 * Hugging Face model view after converting a tensor); a no-op for an added
 * tensor or a bad index. */
void lq__safetensors_tensor_release(const lq_safetensors *st, int64_t index);

/* Bytes of `ndim` dims of `dtype`; false on overflow or a size that is not
 * a whole number of bytes (sub-byte dtypes), with *why. */
bool lq__st_nbytes(const lq__st_dtype *dtype, int ndim, const int64_t *shape, uint64_t *out,
                   const char **why);

/* Add a tensor whose bytes are made only when lq_safetensors_save writes
 * it, by make(user, arg, name, nbytes, &data): a writer of many large
 * tensors then holds one at a time. Checked as lq_safetensors_add_tensor_raw;
 * the public calls that read bytes refuse a deferred tensor. */
lq_status lq__safetensors_add_deferred(lq_safetensors *st, const char *name, const char *dtype,
                                       int ndim, const int64_t *shape, uint64_t nbytes,
                                       lq__st_make_fn make, void *user, int64_t arg);

/* Append a tensor slot (zeroed) or a metadata entry. NULL when out of memory. */
lq__st_tensor *lq__st_tensor_append(lq_safetensors *st);
lq_status lq__st_meta_put(lq_safetensors *st, const char *key, size_t klen, const char *value,
                          size_t vlen, bool replace);

/* Parse and validate one safetensors image and add its tensors (with shard
 * number `shard`) and metadata (entries already present win) to st. `name`
 * is used in messages; data must outlive st. */
lq_status lq__safetensors_parse(const char *fn, const char *name, const uint8_t *data,
                                size_t size, int shard, lq_safetensors *st);

#endif
