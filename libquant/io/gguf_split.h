/* gguf_split.h — llama.cpp's split GGUF models (internal): what the reader
 * and the writer share. doc/split-gguf.md gives the format and its rules.
 *
 * A model split in n files is written as <prefix>-00001-of-0000n.gguf, ...;
 * every file carries split.no (u16, 0-based), split.count (u16, n) and
 * split.tensors.count (i32, the tensors of the whole model); only the first
 * carries the model's metadata. */
#ifndef LQ_IO_GGUF_SPLIT_H
#define LQ_IO_GGUF_SPLIT_H

#include <stdbool.h>

#include <lq/lq_io.h>


#define LQ__SPLIT_NO "split.no"
#define LQ__SPLIT_COUNT "split.count"
#define LQ__SPLIT_TENSORS "split.tensors.count"

/* The most files a split model can have: split.count is a u16. */
#define LQ__SPLIT_MAX_FILES 65535

/* The file name of split `no` (0-based) of `count`: "<prefix>-%05d-of-%05d.gguf"
 * (llama_split_path). NULL when out of memory. Free with lq__free. */
char *lq__split_path(const char *prefix, int no, int count);

/* What lq_gguf_save_split refuses of its limits and flags, for a model `g`
 * (not NULL) before planning (its message starts with fn). */
lq_status lq__gguf_split_check(const char *fn, const lq_gguf *g, uint64_t max_bytes,
                               int64_t max_tensors, unsigned flags);

/* Which file each tensor of `g` goes to (split_of[i], 0-based, g->n_t
 * entries) and how many files there are (*n_files), as llama-gguf-split
 * plans it; from the tensors' sizes alone, so a model whose tensors are only
 * declared is planned exactly as its written file would be. With
 * empty_first (LQ_GGUF_SPLIT_NO_TENSOR_FIRST) the first file holds metadata
 * only. Errors: LQ_ERR_INVALID (a file left without tensors, too many). */
lq_status lq__gguf_split_plan(const char *fn, const lq_gguf *g, uint64_t max_bytes,
                             int64_t max_tensors, bool empty_first, int *split_of, int *n_files);

/* CONSTRUCTOR. The handle of file `no` of a plan: the model's metadata
 * (first file only; any split keys it has are replaced), then split.no,
 * split.tensors.count and split.count; then its tensors, borrowing g's bytes
 * (declared when g's are). Free with lq_gguf_free before g. */
lq_status lq__gguf_split_header(const char *fn, const lq_gguf *g, const int *split_of, int no,
                                int count, lq_gguf **out);

#endif
