/* hf_checkpoint.h — the folder side of lq_hf_save_quantized (internal):
 * a temporary folder beside the final one, the small files (config.json
 * with its quantization_config, quantize_config.json, the tokenizer and
 * generation files copied), and the rename that makes it the final folder. */
#ifndef LQ_PIPELINE_HF_CHECKPOINT_H
#define LQ_PIPELINE_HF_CHECKPOINT_H

#include <stdbool.h>

#include <lq/lq_core.h>

typedef struct lq__ckpt_dir {
    const char *fn;
    char *final; /* out_dir without trailing slashes */
    char *parent; /* the folder holding it, synced after the rename */
    char *tmp;   /* the folder being written, beside final; NULL once renamed or removed */
    bool replace;
} lq__ckpt_dir;

/* Check out_dir (absent, or with `replace` a folder) and make the temporary
 * folder. Errors: LQ_ERR_IO (out_dir exists and replace is false, or it is
 * not a folder; the temporary folder cannot be made), LQ_ERR_NOMEM. */
lq_status lq__ckpt_dir_open(const char *fn, const char *out_dir, bool replace, lq__ckpt_dir *d);

/* "tmp/name", or NULL (a message set) when out of memory. Free with lq__free. */
char *lq__ckpt_dir_path(const lq__ckpt_dir *d, const char *name);

/* Write config.json: source_dir's, with "quantization_config": qc added as
 * its last key; with also_quantize_config, qc as quantize_config.json too.
 * Errors: LQ_ERR_IO, LQ_ERR_FORMAT (config.json is not a JSON object, or
 * has a quantization_config already), LQ_ERR_NOMEM. */
lq_status lq__ckpt_dir_config(lq__ckpt_dir *d, const char *source_dir, const char *qc,
                              bool also_quantize_config);

/* Copy the tokenizer and generation files source_dir has. Errors: LQ_ERR_IO,
 * LQ_ERR_NOMEM. */
lq_status lq__ckpt_dir_copy_side_files(lq__ckpt_dir *d, const char *source_dir);

/* Rename the temporary folder to out_dir (an old out_dir is renamed away
 * first and removed after). Errors: LQ_ERR_IO; then out_dir is as before
 * and the temporary folder is removed. */
lq_status lq__ckpt_dir_commit(lq__ckpt_dir *d);

/* Remove the temporary folder if it is still there; release d. Safe after
 * commit and twice. */
void lq__ckpt_dir_close(lq__ckpt_dir *d);

#endif
