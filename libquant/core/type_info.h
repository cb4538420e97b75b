/* type_info.h — what each lq_type is: its name, GGUF id, and sizes (internal).
 * One row per type in type_list.h, expanded in type_info.c; the codecs that
 * encode and decode a type are in libquant/formats/, keyed by the same enum. */
#ifndef LQ_CORE_TYPE_INFO_H
#define LQ_CORE_TYPE_INFO_H

#include <lq/lq_types.h>

enum {
    LQ__T_QUANT = 1u << 0,    /* quantized: codes plus scales */
    LQ__T_GGML = 1u << 1,     /* a ggml block format (fixed block_elems/block_bytes) */
    LQ__T_ACT_ONLY = 1u << 2, /* activation-side format: no weight quantizer for files */
    LQ__T_FLOAT = 1u << 3,    /* a plain floating-point type */
    LQ__T_PARAM = 1u << 4,    /* layout depends on scheme parameters (group, block, ...) */
    LQ__T_IMATRIX = 1u << 5   /* quantized only with an importance matrix */
};

typedef struct lq__type_info {
    const char *name;
    int ggml_id;       /* GGUF tensor type id, -1 if GGUF has none */
    int elem_bytes;    /* plain types: bytes per element; 0 for quantized */
    int block_elems;   /* ggml block formats: elements per block */
    int block_bytes;   /* ggml block formats: bytes per block */
    int code_bits;     /* bits of one code (plain: element bits) */
    unsigned flags;
} lq__type_info;

/* The row for `type`, or NULL when it is not a type. */
const lq__type_info *lq__type(lq_type type);

#endif
