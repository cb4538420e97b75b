/* gguf_split.h — llama.cpp's split GGUF models (internal): what the reader
 * and the writer share. doc/split-gguf.md gives the format and its rules.
 *
 * A model split in n files is written as <prefix>-00001-of-0000n.gguf, ...;
 * every file carries split.no (u16, 0-based), split.count (u16, n) and
 * split.tensors.count (i32, the tensors of the whole model); only the first
 * carries the model's metadata. */
#ifndef LQ_IO_GGUF_SPLIT_H
#define LQ_IO_GGUF_SPLIT_H

#include <lq/lq_io.h>

#define LQ__SPLIT_NO "split.no"
#define LQ__SPLIT_COUNT "split.count"
#define LQ__SPLIT_TENSORS "split.tensors.count"

/* The most files a split model can have: split.count is a u16. */
#define LQ__SPLIT_MAX_FILES 65535

/* The file name of split `no` (0-based) of `count`: "<prefix>-%05d-of-%05d.gguf"
 * (llama_split_path). NULL when out of memory. Free with lq__free. */
char *lq__split_path(const char *prefix, int no, int count);

#endif
