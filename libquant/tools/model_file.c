/* model_file.c — one interface over lq_gguf and lq_safetensors. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_file.h"

/* GGUF when the file starts with its magic or the name ends in .gguf (so
 * that a truncated or empty .gguf gets the GGUF reader's message); the
 * safetensors reader otherwise. Opened without blocking and read only when
 * it is a regular file: a FIFO would hang here, and the readers refuse it. */
static int is_gguf(const char *path)
{
    size_t len = strlen(path);
    if (len >= 5 && strcmp(path + len - 5, ".gguf") == 0)
        return 1;
    char magic[4] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat sb;
    ssize_t n = fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? read(fd, magic, 4) : 0;
    if (fd >= 0)
        close(fd);
    return n == 4 && memcmp(magic, "GGUF", 4) == 0;
}

bool model_is_hf_folder(const char *path)
{
    struct stat sb;
    char config[4096];
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return false;
    snprintf(config, sizeof config, "%s/config.json", path);
    return access(config, F_OK) == 0;
}

lq_status model_gguf_open(const char *path, int hf_outtype, lq_gguf **out)
{
    return model_is_hf_folder(path) ? lq_hf_model_open(path, hf_outtype, out)
                                    : lq_gguf_open(path, out);
}

lq_status model_file_open(const char *path, model_file *m)
{
    memset(m, 0, sizeof *m);
    if (model_is_hf_folder(path))
        return lq_hf_model_open(path, LQ_HF_OUTTYPE_AUTO, &m->gguf);
    return is_gguf(path) ? lq_gguf_open(path, &m->gguf) : lq_safetensors_open(path, &m->st);
}

void model_file_close(model_file *m)
{
    lq_gguf_free(m->gguf);
    lq_safetensors_free(m->st);
    memset(m, 0, sizeof *m);
}

int64_t model_file_count(const model_file *m)
{
    return m->gguf ? lq_gguf_tensor_count(m->gguf) : lq_safetensors_tensor_count(m->st);
}

const char *model_file_name(const model_file *m, int64_t i)
{
    return m->gguf ? lq_gguf_tensor_name(m->gguf, i) : lq_safetensors_tensor_name(m->st, i);
}

int64_t model_file_find(const model_file *m, const char *name)
{
    return m->gguf ? lq_gguf_find_tensor(m->gguf, name) : lq_safetensors_find_tensor(m->st, name);
}

const char *model_file_type(const model_file *m, int64_t i)
{
    if (!m->gguf)
        return lq_safetensors_tensor_dtype(m->st, i);
    int id = lq_gguf_tensor_ggml_type(m->gguf, i);
    for (lq_type t = 0; t < LQ_TYPE_COUNT_; t++)
        if (lq_type_name(t) && lq_type_ggml_id(t) == id)
            return lq_type_name(t);
    static _Thread_local char unknown[32];
    snprintf(unknown, sizeof unknown, "ggml:%d", id);
    return unknown;
}

int model_file_ndim(const model_file *m, int64_t i)
{
    return m->gguf ? lq_gguf_tensor_ndim(m->gguf, i) : lq_safetensors_tensor_ndim(m->st, i);
}

int64_t model_file_dim(const model_file *m, int64_t i, int d)
{
    return m->gguf ? lq_gguf_tensor_dim(m->gguf, i, d) : lq_safetensors_tensor_dim(m->st, i, d);
}

uint64_t model_file_nbytes(const model_file *m, int64_t i)
{
    return m->gguf ? lq_gguf_tensor_nbytes(m->gguf, i) : lq_safetensors_tensor_nbytes(m->st, i);
}

lq_status model_file_tensor(const model_file *m, int64_t i, lq_tensor **out)
{
    return m->gguf ? lq_gguf_get_tensor(m->gguf, i, out) : lq_safetensors_get_tensor(m->st, i, out);
}
