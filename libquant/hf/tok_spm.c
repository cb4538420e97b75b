/* tok_spm.c — SentencePiece's tokenizer.model: a protobuf ModelProto, of
 * which the GGUF keys need the pieces (field 1: repeated SentencePiece
 * {piece = 1, score = 2, type = 3}). Everything else (trainer_spec,
 * normalizer_spec, ...) is checked as wire format and skipped: the
 * converter writes none of it.
 *
 * The reader is strict: varints of at most 10 bytes, every length inside
 * the enclosing message, the groups of old protobuf (wire types 3 and 4)
 * refused, a known field with the wrong wire type refused. Messages are not
 * descended into unless they are pieces, so nesting costs nothing. */
#include <stdio.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "../io/names.h"
#include "tok.h"

typedef struct pb {
    const uint8_t *base; /* start of the file, for offsets in messages */
    const uint8_t *p, *end;
} pb;

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

static bool pb_varint(pb *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (r->p >= r->end)
            return false;
        uint8_t b = *r->p++;
        if (i == 9 && b > 1) /* bits past the 64th */
            return false;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

typedef struct pb_field {
    uint32_t number;
    int wire;
    uint64_t value;         /* VARINT, I64, I32 */
    const uint8_t *data;    /* LEN */
    size_t len;
    size_t offset;          /* where the field starts in the file */
} pb_field;

/* The next field of the message r holds; false with *why set on bad input. */
static bool pb_next(pb *r, pb_field *f, const char **why)
{
    f->offset = (size_t)(r->p - r->base);
    uint64_t tag;
    if (!pb_varint(r, &tag)) {
        *why = "a field tag runs past its message or is over 10 bytes";
        return false;
    }
    f->number = (uint32_t)(tag >> 3);
    f->wire = (int)(tag & 7);
    if (f->number == 0 || tag >> 3 > 0x1fffffff) {
        *why = "field number out of range";
        return false;
    }
    size_t left;
    switch (f->wire) {
    case WT_VARINT:
        if (!pb_varint(r, &f->value)) {
            *why = "a varint runs past its message or is over 10 bytes";
            return false;
        }
        return true;
    case WT_I64:
    case WT_I32: {
        size_t n = f->wire == WT_I64 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n) {
            *why = "a fixed-size value runs past its message";
            return false;
        }
        f->value = 0;
        for (size_t i = 0; i < n; i++)
            f->value |= (uint64_t)r->p[i] << (8 * i);
        r->p += n;
        return true;
    }
    case WT_LEN:
        if (!pb_varint(r, &f->value)) {
            *why = "a length runs past its message or is over 10 bytes";
            return false;
        }
        left = (size_t)(r->end - r->p);
        if (f->value > left) {
            *why = "a length runs past its message";
            return false;
        }
        f->data = r->p;
        f->len = (size_t)f->value;
        r->p += f->len;
        return true;
    default:
        *why = "wire type 3, 4, 6 or 7 (groups or invalid)";
        return false;
    }
}

static lq_status bad(const char *fn, const char *name, size_t offset, const char *why)
{
    return lq__fail(LQ_ERR_FORMAT, "%s: %s: %s, at byte %zu", fn, name, why, offset);
}

/* One SentencePiece message: text (not NUL-terminated), score, type. */
typedef struct raw_piece {
    const uint8_t *text;
    size_t len;
    float score;
    int type;
} raw_piece;

static lq_status read_piece(const char *fn, const char *name, const pb *file, const pb_field *m,
                            raw_piece *out)
{
    pb r = {file->base, m->data, m->data + m->len};
    const char *why = NULL;
    bool have_text = false;
    out->score = 0.0f;        /* the proto's defaults */
    out->type = LQ__TOK_NORMAL;
    while (r.p < r.end) {
        pb_field f;
        if (!pb_next(&r, &f, &why))
            return bad(fn, name, f.offset, why);
        if (f.number == 1 || f.number == 2 || f.number == 3) {
            static const int want[4] = {0, WT_LEN, WT_I32, WT_VARINT};
            if (f.wire != want[f.number])
                return bad(fn, name, f.offset, "a piece's field has the wrong wire type");
        }
        if (f.number == 1) {
            out->text = f.data;
            out->len = f.len;
            have_text = true;
        } else if (f.number == 2) {
            uint32_t u = (uint32_t)f.value;
            memcpy(&out->score, &u, 4);
        } else if (f.number == 3) {
            /* SentencePiece's types: NORMAL 1 .. BYTE 6 */
            if (f.value < LQ__TOK_NORMAL || f.value > LQ__TOK_BYTE)
                return bad(fn, name, f.offset, "a piece type outside 1..6");
            out->type = (int)f.value;
        }
    }
    if (!have_text || out->len == 0)
        return bad(fn, name, m->offset, "a piece without text");
    if (!lq__utf8_valid((const char *)out->text, out->len))
        return bad(fn, name, m->offset, "a piece that is not valid UTF-8");
    if (memchr(out->text, 0, out->len))
        return lq__fail(LQ_ERR_UNSUPPORTED, "%s: %s: a piece holds a NUL byte, at byte %zu", fn,
                        name, m->offset);
    return LQ_OK;
}

static lq__name_ref piece_name(const void *owner, int64_t i)
{
    const lq__spm_piece *p = (const lq__spm_piece *)owner + i;
    return (lq__name_ref){p->text, strlen(p->text)};
}

/* Walk the ModelProto; with out->pieces NULL only count pieces and bytes. */
static lq_status walk(const char *fn, const char *name, const uint8_t *data, size_t size,
                      lq__spm *out, int64_t *count, size_t *bytes)
{
    pb r = {data, data, data + size};
    const char *why = NULL;
    int64_t n = 0;
    size_t total = 0;
    while (r.p < r.end) {
        pb_field f;
        if (!pb_next(&r, &f, &why))
            return bad(fn, name, f.offset, why);
        if (f.number != 1)
            continue;
        if (f.wire != WT_LEN)
            return bad(fn, name, f.offset, "field 1 (pieces) is not a message");
        raw_piece rp = {0};
        lq_status s = read_piece(fn, name, &r, &f, &rp);
        if (s)
            return s;
        if (out->pieces) {
            char *t = out->text_ + total;
            memcpy(t, rp.text, rp.len);
            t[rp.len] = '\0';
            out->pieces[n] = (lq__spm_piece){t, rp.score, rp.type};
        }
        n++;
        total += rp.len + 1; /* cannot overflow: each piece is inside `size` bytes */
    }
    *count = n;
    *bytes = total;
    return LQ_OK;
}

lq_status lq__spm_read(const char *fn, const char *name, const uint8_t *data, size_t size,
                       lq__spm *out)
{
    memset(out, 0, sizeof *out);
    int64_t n = 0;
    size_t bytes = 0;
    lq_status s = walk(fn, name, data, size, out, &n, &bytes);
    if (s)
        return s;
    if (n == 0)
        return lq__fail(LQ_ERR_FORMAT, "%s: %s: no pieces", fn, name);
    out->pieces = lq__calloc((size_t)n, sizeof *out->pieces);
    out->text_ = lq__malloc(bytes);
    if (!out->pieces || !out->text_) {
        lq__spm_free(out);
        return lq__fail(LQ_ERR_NOMEM, "%s: %s: out of memory for %lld pieces", fn, name,
                        (long long)n);
    }
    s = walk(fn, name, data, size, out, &n, &bytes);
    out->count = n;
    /* SentencePiece refuses a model with a repeated piece, or without
     * exactly one unknown piece, when it loads it. */
    lq__names seen = {0};
    int64_t unknown = -1;
    for (int64_t i = 0; !s && i < n; i++) {
        const char *t = out->pieces[i].text;
        if (lq__names_find(&seen, out->pieces, piece_name, t, strlen(t)) >= 0)
            s = lq__fail(LQ_ERR_FORMAT, "%s: %s: piece %lld '%s' is defined twice", fn, name,
                         (long long)i, t);
        else if (!lq__names_add(&seen, out->pieces, piece_name, i))
            s = lq__fail(LQ_ERR_NOMEM, "%s: %s: out of memory", fn, name);
        else if (out->pieces[i].type == LQ__TOK_UNKNOWN) {
            if (unknown >= 0)
                s = lq__fail(LQ_ERR_FORMAT, "%s: %s: pieces %lld and %lld are both unknown", fn,
                             name, (long long)unknown, (long long)i);
            unknown = i;
        }
    }
    lq__names_free(&seen);
    if (!s && unknown < 0)
        s = lq__fail(LQ_ERR_FORMAT, "%s: %s: no unknown piece", fn, name);
    if (s)
        lq__spm_free(out);
    return s;
}

void lq__spm_free(lq__spm *s)
{
    lq__free(s->pieces);
    lq__free(s->text_);
    memset(s, 0, sizeof *s);
}
