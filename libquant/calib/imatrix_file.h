/* imatrix_file.h — the importance-matrix file formats, each in its own file
 * (imatrix_dat.c, imatrix_gguf.c), for imatrix_file.c to choose from
 * (internal). lq_imatrix_save has checked the arguments before they are
 * called. */
#ifndef LQ_CALIB_IMATRIX_FILE_H
#define LQ_CALIB_IMATRIX_FILE_H

#include <lq/lq_calib.h>

#include "binfile.h"

/* llama.cpp's legacy .dat file. The reader reads from r (already open) and
 * names itself `fn` in messages. */
lq_status lq__imatrix_save_dat(const lq_imatrix *im, const char *path, const char *dataset);
lq_status lq__imatrix_load_dat(const char *fn, lq__br *r, lq_imatrix *im);

/* llama-imatrix's GGUF file. */
lq_status lq__imatrix_save_gguf(const lq_imatrix *im, const char *path, const char *dataset);
lq_status lq__imatrix_load_gguf(const char *fn, const char *path, lq_imatrix *im);

#endif
