/* model_file.h — GGUF or safetensors, behind one small interface, for the
 * subcommands that read any model file (inspect, compare); and the one rule
 * by which every subcommand takes a Hugging Face model folder where it takes
 * a GGUF file. */
#ifndef LQ_TOOLS_MODEL_FILE_H
#define LQ_TOOLS_MODEL_FILE_H

#include <stdbool.h>

#include <lq/lq.h>
#include <lq/lq_hf.h>
#include <lq/lq_io.h>

typedef struct model_file {
    lq_gguf *gguf;        /* exactly one of the two is set */
    lq_safetensors *st;
} model_file;

/* Is path a Hugging Face model folder (a folder with config.json)? */
bool model_is_hf_folder(const char *path);

/* A GGUF file, or a Hugging Face model folder as the GGUF convert_hf_to_gguf.py
 * makes of it with `hf_outtype` (lq_hf_model_open: LQ_TYPE_F32 where the
 * model is computed with or quantized, as lq_gguf_quantize reads folders). */
lq_status model_gguf_open(const char *path, int hf_outtype, lq_gguf **out);

/* Open by content: a Hugging Face model folder (as its --outtype auto
 * conversion), "GGUF" magic, otherwise safetensors (a file, an index or a
 * folder without config.json). */
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
