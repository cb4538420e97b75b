/* imatrix_file.c — lq_imatrix_save and lq_imatrix_load: the checks both
 * file formats share, and which format a file is. */
#include <string.h>

#include "../core/error.h"
#include "binfile.h"
#include "imatrix.h"
#include "imatrix_file.h"

lq_status lq_imatrix_save(const lq_imatrix *im, const char *path, int format, const char *dataset)
{
    static const char fn[] = "lq_imatrix_save";
    if (!im || !path)
        return lq__fail(LQ_ERR_INVALID, "%s: NULL argument", fn);
    if (im->count == 0)
        return lq__fail(LQ_ERR_INVALID, "%s: the importance matrix has no entries", fn);
    if (dataset && strlen(dataset) > INT32_MAX)
        return lq__fail(LQ_ERR_INVALID, "%s: dataset name too long", fn);
    for (int64_t k = 0; k < im->count; k++)
        if (im->e[k].n > INT32_MAX)
            return lq__fail(LQ_ERR_INVALID, "%s: '%s' is too long for the file", fn, im->e[k].name);
    switch (format) {
    case LQ_IMATRIX_DAT: return lq__imatrix_save_dat(im, path, dataset);
    case LQ_IMATRIX_GGUF: return lq__imatrix_save_gguf(im, path, dataset);
    default: return lq__fail(LQ_ERR_INVALID, "%s: unknown format %d", fn, format);
    }
}

lq_status lq_imatrix_load(const char *path, lq_imatrix **out)
{
    static const char fn[] = "lq_imatrix_load";
    if (!out)
        return lq__fail(LQ_ERR_INVALID, "%s: out is NULL", fn);
    *out = NULL;
    if (!path)
        return lq__fail(LQ_ERR_INVALID, "%s: path is NULL", fn);
    lq_imatrix *im = NULL;
    lq_status st = lq_imatrix_create(&im);
    if (st != LQ_OK)
        return st;
    lq__br r;
    st = lq__br_open(&r, fn, path);
    if (st == LQ_OK) {
        if (r.size >= 4 && memcmp(r.data, "GGUF", 4) == 0) {
            lq__br_close(&r);
            st = lq__imatrix_load_gguf(fn, path, im);
        } else {
            st = lq__imatrix_load_dat(fn, &r, im);
            lq__br_close(&r);
        }
    }
    if (st != LQ_OK) {
        lq_imatrix_free(im);
        return st;
    }
    *out = im;
    return LQ_OK;
}
