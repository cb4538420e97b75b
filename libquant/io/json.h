/* json.h — a small, strict JSON reader and writer (internal).
 *
 * For safetensors headers and index files, and later config.json and
 * quantize_config.json. The reader takes untrusted text: RFC 8259 exactly
 * (no comments, no trailing commas, no NaN), valid UTF-8 only, escapes
 * including \u surrogate pairs, nesting bounded by max_depth and parsed
 * without recursion, and no duplicate keys in an object. Numbers that are
 * integers in int64 range come as LQ__JSON_INT (with `real` set too); any
 * other number as LQ__JSON_REAL. Parsing is independent of the C locale.
 *
 * The result is a tree of lq__json nodes owned by one lq__json_doc. */
#ifndef LQ_IO_JSON_H
#define LQ_IO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lq/lq_core.h>

#include "buf.h"

enum lq__json_kind {
    LQ__JSON_NULL = 0,
    LQ__JSON_BOOL,
    LQ__JSON_INT,
    LQ__JSON_REAL,
    LQ__JSON_STRING,
    LQ__JSON_ARRAY,
    LQ__JSON_OBJECT
};

typedef struct lq__json lq__json;
struct lq__json {
    int kind;
    bool boolean;          /* BOOL */
    int64_t integer;       /* INT */
    double real;           /* INT and REAL */
    const char *str;       /* STRING: NUL-terminated; may hold NUL bytes, see len */
    size_t len;
    const char *key;       /* a member of an object: its key (NUL-terminated), else NULL */
    size_t key_len;
    const lq__json *items; /* ARRAY, OBJECT: `count` elements or members, in text order */
    size_t count;
    size_t offset;         /* where the value starts in the text, for messages */
    size_t first_;         /* parser bookkeeping */
};

typedef struct lq__json_doc lq__json_doc;

/* At most this many values (keys aside) in one text: each value costs a node
 * of ~100 bytes, so a hostile text cannot make the reader use more than
 * ~400 MB, whatever its length. Over half a million safetensors tensors. */
#define LQ__JSON_MAX_VALUES ((size_t)1 << 22)

/* Parse text[0, len), nested at most max_depth deep. On error the message is
 * "fn: what: JSON ... at byte N" (N counted from the start of text) and the
 * status LQ_ERR_FORMAT, or LQ_ERR_NOMEM. */
lq_status lq__json_parse(const char *fn, const char *what, const char *text, size_t len,
                         int max_depth, lq__json_doc **out);
/* The same with a cap on values other than LQ__JSON_MAX_VALUES. */
lq_status lq__json_parse_capped(const char *fn, const char *what, const char *text, size_t len,
                                int max_depth, size_t max_values, lq__json_doc **out);
const lq__json *lq__json_root(const lq__json_doc *d);
void lq__json_free(lq__json_doc *d);

/* Member `key` of an object; NULL when absent or when obj is not an object. */
const lq__json *lq__json_get(const lq__json *obj, const char *key);
/* Is v a string equal to s? */
bool lq__json_is_str(const lq__json *v, const char *s);
/* Is s[0, n) valid UTF-8 (what the reader accepts inside strings)? */
bool lq__utf8_valid(const char *s, size_t n);
/* Human name of a kind ("an object", ...), for messages. */
const char *lq__json_kind_name(int kind);

/* Writer: appends to a buffer; separators are placed for the caller. With
 * indent > 0 the output is pretty-printed with that many spaces per level. */
#define LQ__JW_MAX_DEPTH 32
typedef struct lq__jw {
    lq__buf *b;
    int indent;
    int depth;
    bool has_items[LQ__JW_MAX_DEPTH];
    char closer[LQ__JW_MAX_DEPTH];
    bool after_key;
} lq__jw;

void lq__jw_init(lq__jw *w, lq__buf *b, int indent);
void lq__jw_object(lq__jw *w);
void lq__jw_array(lq__jw *w);
void lq__jw_end(lq__jw *w); /* closes the innermost object or array */
void lq__jw_key(lq__jw *w, const char *key, size_t len);
void lq__jw_string(lq__jw *w, const char *s, size_t len);
void lq__jw_int(lq__jw *w, int64_t v);
void lq__jw_uint(lq__jw *w, uint64_t v);
/* Shortest text that reads back to v; JSON has no NaN or infinity: those
 * are written as null. */
void lq__jw_real(lq__jw *w, double v);
void lq__jw_bool(lq__jw *w, bool v);
void lq__jw_null(lq__jw *w);

#endif
