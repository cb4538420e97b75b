/* gguf_internal.h — the data behind lq_gguf, shared by the reader, the
 * metadata and tensor calls, and the writer (internal). */
#ifndef LQ_IO_GGUF_INTERNAL_H
#define LQ_IO_GGUF_INTERNAL_H

#include <pthread.h>

#include <lq/lq_io.h>

#include "buf.h"
#include "file.h"
#include "names.h"

#define LQ__GGUF_MAX_KEY 65535        /* longest key, as the GGUF spec allows */
#define LQ__GGUF_MAX_ARRAY_DEPTH 8    /* arrays of arrays, nested at most this deep */
#define LQ__GGUF_N_TYPES 13

/* One metadata entry. Every value is an owned copy, decoded from the file:
 *   scalars        data = the value's bytes (little-endian), size = 1..8
 *   string         data = the bytes and a NUL, size = length without the NUL
 *   numeric array  data = count packed elements, size = their bytes
 *   string array   data = every string followed by a NUL; str_off[i] is where
 *                  string i starts, str_off[count] = size
 *   nested array   data = the elements exactly as the file stores them
 *                  (each a type, a count and its elements), size = their bytes */
typedef struct lq__gguf_kv {
    char *key;
    size_t key_len;
    int type;        /* enum lq_gguf_type */
    int elem_type;   /* arrays: the element type */
    uint64_t count;  /* arrays: the element count */
    uint8_t *data;
    size_t size;
    uint64_t *str_off;
} lq__gguf_kv;

typedef struct lq__gguf_tensor {
    char name[LQ_GGUF_MAX_NAME + 1];
    size_t name_len;
    int ggml_type;
    int ndim;
    int64_t ne[LQ_MAX_DIMS]; /* GGUF order: ne[0] is the row length */
    uint64_t nbytes;
    uint64_t offset;         /* from the start of the data section */
    const uint8_t *data;     /* NULL for a declared tensor */
    uint8_t *owned;          /* a copy made by LQ_COPY, else NULL */
} lq__gguf_tensor;

struct lq_gguf {
    lq__map map;             /* the opened file; empty for a created handle */
    lq__map *split_maps;     /* a split model: the files after the first */
    int64_t n_split_maps;
    uint64_t data_offset;
    lq__gguf_kv *kv;
    int64_t n_kv, cap_kv;
    lq__names kv_index;
    lq__gguf_tensor *t;
    int64_t n_t, cap_t;
    lq__names t_index;
    /* a view whose tensors are made on demand (gguf_source.c); its declared
     * tensors get their bytes from src, under lock */
    struct lq__gguf_source *src;
};

/* Size in bytes of one scalar of type `type`, 0 for string and array. */
size_t lq__gguf_scalar_size(int type);
const char *lq__gguf_type_name(int type);

lq__name_ref lq__gguf_kv_name(const void *g, int64_t i);
lq__name_ref lq__gguf_tensor_name(const void *g, int64_t i);

void lq__gguf_kv_clear(lq__gguf_kv *kv);
/* Append a slot at the end of g->kv (zeroed). NULL when out of memory. */
lq__gguf_kv *lq__gguf_kv_append(lq_gguf *g);
/* Append a slot at the end of g->t (zeroed). NULL when out of memory. */
lq__gguf_tensor *lq__gguf_tensor_append(lq_gguf *g);

/* general.alignment, or 32. */
uint64_t lq__gguf_alignment(const lq_gguf *g);
/* Give every tensor the offset lq_gguf_save will write it at (after the
 * alignment changed). */
void lq__gguf_relayout(lq_gguf *g);

/* Parse and validate a whole GGUF image (the reader, and the fuzz target
 * without a file). `name` is used in messages. On success *out borrows
 * `data`, which must outlive it. */
lq_status lq__gguf_parse(const char *fn, const char *name, const uint8_t *data, size_t size,
                         lq_gguf **out);

/* lq_gguf_writer_create's work; with `split`, the header of a split file
 * (padded even when no tensor follows, as llama-gguf-split writes it). */
lq_status lq__gguf_writer_open(const char *fn, const lq_gguf *g, const char *path, bool split,
                               lq_gguf_writer **out);

/* lq_gguf_writer_finish in two steps, so that several files can all be
 * complete before any is renamed: _complete checks that every tensor got its
 * bytes and syncs the temporary file; _commit renames it into place. */
lq_status lq__gguf_writer_complete(lq_gguf_writer *w);
lq_status lq__gguf_writer_commit(lq_gguf_writer *w);

/* The header (everything before the data section, padding included). */
lq_status lq__gguf_header(const char *fn, const lq_gguf *g, lq__buf *out);

/* llama-gguf-split pads a split file's metadata to ggml's default alignment
 * even when no tensor follows (lq__gguf_header does not then): add that
 * padding to `header`. */
lq_status lq__gguf_split_pad_header(const char *fn, lq__buf *header);

/* Residency of a tensor's memory (gguf_release.c), for a whole-model pass
 * that reads each tensor once (the quantize pipeline); each is a no-op for a
 * created handle, a tensor in owned memory or a bad index.
 * lq__gguf_map_release drops the pages of bytes [off, off + len) of a
 * file-backed tensor `index` from this process (the pass calls it on what it
 * has consumed); lq__gguf_tensor_release does it for the whole tensor, and
 * for a handle with a source (gguf_source.h) frees the bytes the source made
 * (pointers to them become invalid), so memory stays at about one tensor;
 * lq__gguf_tensor_prefetch starts reading the tensor ahead, into the page
 * cache only, so that it is not yet counted as this process's memory. */
void lq__gguf_map_release(const lq_gguf *g, int64_t index, uint64_t off, uint64_t len);
void lq__gguf_tensor_release(const lq_gguf *g, int64_t index);
void lq__gguf_tensor_prefetch(const lq_gguf *g, int64_t index);
/* Are bytes [p, p + n) inside one of g's read-only file maps? (Then a
 * tensor viewing them may have its pages dropped: lq_tensor.mapped.) */
bool lq__gguf_in_map(const lq_gguf *g, const void *p, uint64_t n);

#endif
