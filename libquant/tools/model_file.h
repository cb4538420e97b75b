/* model_file.h — GGUF or safetensors, behind one small interface, for the
 * subcommands that read any model file (inspect, compare). */
#ifndef LQ_TOOLS_MODEL_FILE_H
#define LQ_TOOLS_MODEL_FILE_H

#include <lq/lq.h>
#include <lq/lq_io.h>

typedef struct model_file {
    lq_gguf *gguf;        /* exactly one of the two is set */
    lq_safetensors *st;
} model_file;

/* Open by content: "GGUF" magic, otherwise safetensors (a file, an index or a folder). */
lq_status model_file_open(const char *path, model_file *m);
void model_file_close(model_file *m);

int64_t model_file_count(const model_file *m);
const char *model_file_name(const model_file *m, int64_t i);
int64_t model_file_find(const model_file *m, const char *name);
/* The element type's name ("q4_k", "F16", ...). */
const char *model_file_type(const model_file *m, int64_t i);
int model_file_ndim(const model_file *m, int64_t i);
int64_t model_file_dim(const model_file *m, int64_t i, int d);
uint64_t model_file_nbytes(const model_file *m, int64_t i);
/* Tensor i as an lq_tensor borrowing the file (free it before closing). */
lq_status model_file_tensor(const model_file *m, int64_t i, lq_tensor **out);

#endif
