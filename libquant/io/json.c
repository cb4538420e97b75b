/* json.c — the strict JSON reader (iterative, bounded) and the writer. */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/alloc.h"
#include "../core/error.h"
#include "json.h"

struct lq__json_doc {
    lq__json *nodes; /* every node; children of a container are contiguous */
    size_t root;
    char *strings;   /* every string and key, unescaped, each NUL-terminated */
};

typedef struct frame {
    int kind;          /* LQ__JSON_ARRAY or LQ__JSON_OBJECT */
    size_t base;       /* its first child's position on the value stack */
    size_t offset;
    const char *key;   /* the key this container sits under in its parent */
    size_t key_len;
} frame;

typedef struct parser {
    const char *fn, *what;
    const uint8_t *s;
    size_t n, pos;
    lq__json *pool;    /* finished nodes */
    size_t pool_len, pool_cap;
    lq__json *stack;   /* values waiting for their container to close */
    size_t stack_len, stack_cap;
    char *strings;     /* sized so that it never moves: see lq__json_parse */
    size_t strings_len;
    frame *frames;
    int depth, max_depth;
    size_t values, max_values;
    lq_status status;  /* first failure */
} parser;

static lq_status fail_at(parser *p, size_t at, const char *what)
{
    if (p->status == LQ_OK)
        p->status = lq__fail(LQ_ERR_FORMAT, "%s: %s: JSON %s at byte %zu", p->fn, p->what, what, at);
    return p->status;
}

static lq_status nomem(parser *p)
{
    if (p->status == LQ_OK)
        p->status = lq__fail(LQ_ERR_NOMEM, "%s: %s: out of memory parsing JSON", p->fn, p->what);
    return p->status;
}

static bool grow_nodes(lq__json **v, size_t len, size_t *cap, size_t extra)
{
    size_t need;
    if (!lq__add_size(len, extra, &need))
        return false;
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 64, bytes;
    while (c < need)
        c *= 2;
    lq__json *d;
    if (!lq__mul_size(c, sizeof *d, &bytes) || !(d = lq__malloc(bytes)))
        return false;
    if (len)
        memcpy(d, *v, len * sizeof *d);
    lq__free(*v);
    *v = d;
    *cap = c;
    return true;
}

static void skip_ws(parser *p)
{
    while (p->pos < p->n) {
        uint8_t c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        p->pos++;
    }
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p->pos; -1 if malformed. */
static long hex4(parser *p)
{
    if (p->n - p->pos < 4)
        return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p->s[p->pos + (size_t)i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    p->pos += 4;
    return v;
}

static void put_utf8(parser *p, unsigned long cp)
{
    char *d = p->strings + p->strings_len;
    if (cp < 0x80) {
        d[0] = (char)cp;
        p->strings_len += 1;
    } else if (cp < 0x800) {
        d[0] = (char)(0xC0 | (cp >> 6));
        d[1] = (char)(0x80 | (cp & 0x3F));
        p->strings_len += 2;
    } else if (cp < 0x10000) {
        d[0] = (char)(0xE0 | (cp >> 12));
        d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[2] = (char)(0x80 | (cp & 0x3F));
        p->strings_len += 3;
    } else {
        d[0] = (char)(0xF0 | (cp >> 18));
        d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        d[3] = (char)(0x80 | (cp & 0x3F));
        p->strings_len += 4;
    }
}

/* Length of the valid UTF-8 sequence starting at s[0] (a byte >= 0x80), or 0. */
static size_t utf8_len(const uint8_t *s, size_t avail)
{
    uint8_t c = s[0];
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0; /* no overlong forms */
        if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

bool lq__utf8_valid(const char *s, size_t n)
{
    const uint8_t *u = (const uint8_t *)s;
    for (size_t i = 0; i < n;) {
        size_t k = u[i] < 0x80 ? 1 : utf8_len(u + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* A string at p->pos (the opening quote), unescaped into p->strings. The bytes
 * written never exceed the bytes read, plus one NUL. */
static lq_status parse_string(parser *p, const char **out, size_t *len)
{
    size_t start = p->pos;
    p->pos++; /* '"' */
    char *begin = p->strings + p->strings_len;
    for (;;) {
        if (p->pos >= p->n)
            return fail_at(p, start, "string is not terminated");
        uint8_t c = p->s[p->pos];
        if (c == '"') {
            p->pos++;
            break;
        }
        if (c < 0x20)
            return fail_at(p, p->pos, "string holds a raw control character");
        if (c >= 0x80) {
            size_t k = utf8_len(p->s + p->pos, p->n - p->pos);
            if (!k)
                return fail_at(p, p->pos, "string is not valid UTF-8");
            memcpy(p->strings + p->strings_len, p->s + p->pos, k);
            p->strings_len += k;
            p->pos += k;
            continue;
        }
        if (c != '\\') {
            p->strings[p->strings_len++] = (char)c;
            p->pos++;
            continue;
        }
        size_t esc = p->pos;
        if (++p->pos >= p->n)
            return fail_at(p, esc, "string ends inside an escape");
        c = p->s[p->pos++];
        const char *simple = strchr("\"\\/bfnrt", c);
        if (c && simple) {
            static const char to[] = "\"\\/\b\f\n\r\t";
            p->strings[p->strings_len++] = to[simple - "\"\\/bfnrt"];
            continue;
        }
        if (c != 'u')
            return fail_at(p, esc, "string has an unknown escape");
        long cp = hex4(p);
        if (cp < 0)
            return fail_at(p, esc, "string has a bad \\u escape");
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return fail_at(p, esc, "string has a lone low surrogate");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (p->n - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
                return fail_at(p, esc, "string has a lone high surrogate");
            p->pos += 2;
            long lo = hex4(p);
            if (lo < 0xDC00 || lo > 0xDFFF)
                return fail_at(p, esc, "string has a high surrogate without its low half");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        put_utf8(p, (unsigned long)cp);
    }
    *len = (size_t)(p->strings + p->strings_len - begin);
    p->strings[p->strings_len++] = 0;
    *out = begin;
    return LQ_OK;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

static lq_status parse_number(parser *p, lq__json *v)
{
    size_t start = p->pos;
    const uint8_t *s = p->s;
    size_t i = p->pos, n = p->n;
    bool neg = i < n && s[i] == '-';
    if (neg)
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return fail_at(p, start, "number has no digits");
    bool integral = true, overflow = false;
    uint64_t mag = 0;
    if (s[i] == '0') {
        i++;
        if (i < n && s[i] >= '0' && s[i] <= '9')
            return fail_at(p, start, "number has a leading zero");
    } else {
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            uint64_t d = (uint64_t)(s[i] - '0');
            if (mag > (UINT64_MAX - d) / 10)
                overflow = true;
            else
                mag = mag * 10 + d;
        }
    }
    if (i < n && s[i] == '.') {
        integral = false;
        size_t d0 = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d0)
            return fail_at(p, start, "number has no digits after the point");
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        integral = false;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t d0 = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d0)
            return fail_at(p, start, "number has no digits in its exponent");
    }
    p->pos = i;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (integral && !overflow && mag <= limit) {
        v->kind = LQ__JSON_INT;
        v->integer = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        v->real = (double)v->integer;
        if (neg && mag == 0)
            v->real = -0.0;
        return LQ_OK;
    }
    char small[64], *text = small;
    size_t len = i - start;
    if (len >= sizeof small && !(text = lq__malloc(len + 1)))
        return nomem(p);
    memcpy(text, s + start, len);
    text[len] = 0;
    pthread_once(&c_locale_once, make_c_locale);
    v->kind = LQ__JSON_REAL;
    v->real = c_locale ? strtod_l(text, NULL, c_locale) : strtod(text, NULL);
    if (text != small)
        lq__free(text);
    return LQ_OK;
}

static lq_status push_value(parser *p, const lq__json *v)
{
    if (++p->values > p->max_values)
        return fail_at(p, v->offset, "holds too many values");
    if (!grow_nodes(&p->stack, p->stack_len, &p->stack_cap, 1))
        return nomem(p);
    p->stack[p->stack_len++] = *v;
    return LQ_OK;
}

static int cmp_keys(const void *a, const void *b)
{
    const lq__json *x = *(const lq__json *const *)a, *y = *(const lq__json *const *)b;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static lq_status check_unique_keys(parser *p, const lq__json *members, size_t count)
{
    if (count < 2)
        return LQ_OK;
    const lq__json **order = lq__calloc(count, sizeof *order);
    if (!order)
        return nomem(p);
    for (size_t i = 0; i < count; i++)
        order[i] = &members[i];
    qsort(order, count, sizeof *order, cmp_keys);
    lq_status st = LQ_OK;
    for (size_t i = 1; i < count && st == LQ_OK; i++) {
        if (cmp_keys(&order[i - 1], &order[i]) == 0) {
            const lq__json *later = order[i]->offset > order[i - 1]->offset ? order[i] : order[i - 1];
            char msg[160];
            snprintf(msg, sizeof msg, "object has the key \"%.64s\" twice", later->key);
            st = fail_at(p, later->offset, msg);
        }
    }
    lq__free(order);
    return st;
}

/* Close the innermost container: move its children from the stack to the
 * pool and put the container itself on the stack. */
static lq_status close_container(parser *p)
{
    frame *f = &p->frames[--p->depth];
    size_t count = p->stack_len - f->base;
    if (f->kind == LQ__JSON_OBJECT && count && check_unique_keys(p, p->stack + f->base, count) != LQ_OK)
        return p->status;
    if (!grow_nodes(&p->pool, p->pool_len, &p->pool_cap, count))
        return nomem(p);
    lq__json c = {0};
    c.kind = f->kind;
    c.offset = f->offset;
    c.key = f->key;
    c.key_len = f->key_len;
    c.first_ = p->pool_len;
    c.count = count;
    if (count)
        memcpy(p->pool + p->pool_len, p->stack + f->base, count * sizeof *p->pool);
    p->pool_len += count;
    p->stack_len = f->base;
    return push_value(p, &c);
}

static bool literal(parser *p, const char *word)
{
    size_t k = strlen(word);
    if (p->n - p->pos < k || memcmp(p->s + p->pos, word, k) != 0)
        return false;
    p->pos += k;
    return true;
}

/* The whole grammar as a loop: after each value, the innermost frame decides
 * what may follow. */
static lq_status parse(parser *p)
{
    const char *key = NULL;
    size_t key_len = 0;
    for (;;) {
        /* a value */
        skip_ws(p);
        if (p->pos >= p->n)
            return fail_at(p, p->pos, "text ends where a value should be");
        lq__json v = {0};
        v.offset = p->pos;
        v.key = key;
        v.key_len = key_len;
        uint8_t c = p->s[p->pos];
        if (c == '{' || c == '[') {
            if (p->depth >= p->max_depth)
                return fail_at(p, p->pos, "nesting is too deep");
            frame *f = &p->frames[p->depth++];
            f->kind = c == '{' ? LQ__JSON_OBJECT : LQ__JSON_ARRAY;
            f->base = p->stack_len;
            f->offset = p->pos;
            f->key = key;
            f->key_len = key_len;
            p->pos++;
            skip_ws(p);
            if (p->pos < p->n && p->s[p->pos] == (c == '{' ? '}' : ']')) {
                p->pos++;
                if (close_container(p) != LQ_OK)
                    return p->status;
            } else if (c == '[') {
                key = NULL;
                key_len = 0;
                continue;
            } else
                goto member_key;
        } else {
            if (c == '"') {
                v.kind = LQ__JSON_STRING;
                if (parse_string(p, &v.str, &v.len) != LQ_OK)
                    return p->status;
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                if (parse_number(p, &v) != LQ_OK)
                    return p->status;
            } else if (literal(p, "true") || literal(p, "false")) {
                v.kind = LQ__JSON_BOOL;
                v.boolean = c == 't';
            } else if (literal(p, "null")) {
                v.kind = LQ__JSON_NULL;
            } else
                return fail_at(p, p->pos, "has an unexpected character where a value should be");
            if (push_value(p, &v) != LQ_OK)
                return p->status;
        }
        /* what follows a value */
        for (;;) {
            skip_ws(p);
            if (p->depth == 0) {
                if (p->pos != p->n)
                    return fail_at(p, p->pos, "has text after the end of the value");
                return LQ_OK;
            }
            frame *f = &p->frames[p->depth - 1];
            char close = f->kind == LQ__JSON_OBJECT ? '}' : ']';
            if (p->pos < p->n && p->s[p->pos] == close) {
                p->pos++;
                if (close_container(p) != LQ_OK)
                    return p->status;
                continue;
            }
            if (p->pos >= p->n || p->s[p->pos] != ',')
                return fail_at(p, p->pos, f->kind == LQ__JSON_OBJECT ? "object needs ',' or '}'"
                                                                     : "array needs ',' or ']'");
            p->pos++;
            break;
        }
        key = NULL;
        key_len = 0;
        if (p->frames[p->depth - 1].kind == LQ__JSON_ARRAY)
            continue;
    member_key:
        skip_ws(p);
        if (p->pos >= p->n || p->s[p->pos] != '"')
            return fail_at(p, p->pos, "object member needs a string key");
        if (parse_string(p, &key, &key_len) != LQ_OK)
            return p->status;
        skip_ws(p);
        if (p->pos >= p->n || p->s[p->pos] != ':')
            return fail_at(p, p->pos, "object member needs ':' after its key");
        p->pos++;
    }
}

lq_status lq__json_parse(const char *fn, const char *what, const char *text, size_t len,
                         int max_depth, lq__json_doc **out)
{
    return lq__json_parse_capped(fn, what, text, len, max_depth, LQ__JSON_MAX_VALUES, out);
}

lq_status lq__json_parse_capped(const char *fn, const char *what, const char *text, size_t len,
                                int max_depth, size_t max_values, lq__json_doc **out)
{
    *out = NULL;
    parser p = {0};
    p.fn = fn;
    p.what = what;
    p.s = (const uint8_t *)text;
    p.n = len;
    p.max_depth = max_depth < 1 ? 1 : max_depth;
    p.max_values = max_values;
    /* Unescaping never lengthens a string, and every string costs at least two
     * quote bytes in the text, which pays for its NUL: len + 1 bytes always
     * suffice, so string pointers never move. */
    size_t strings_cap;
    lq__json_doc *d = lq__calloc(1, sizeof *d);
    if (!d || !lq__add_size(len, 1, &strings_cap) || !(p.strings = lq__malloc(strings_cap)) ||
        !(p.frames = lq__calloc((size_t)p.max_depth, sizeof *p.frames))) {
        lq__free(d);
        lq__free(p.strings);
        return lq__fail(LQ_ERR_NOMEM, "%s: %s: out of memory parsing JSON", fn, what);
    }
    if (!text && len)
        fail_at(&p, 0, "text is missing");
    else
        parse(&p);
    if (p.status == LQ_OK) {
        /* the root goes last into the pool; then children offsets become pointers */
        if (!grow_nodes(&p.pool, p.pool_len, &p.pool_cap, 1))
            nomem(&p);
        else {
            p.pool[p.pool_len++] = p.stack[0];
            for (size_t i = 0; i < p.pool_len; i++)
                p.pool[i].items = p.pool[i].count ? p.pool + p.pool[i].first_ : NULL;
        }
    }
    lq__free(p.stack);
    lq__free(p.frames);
    if (p.status != LQ_OK) {
        lq__free(p.pool);
        lq__free(p.strings);
        lq__free(d);
        return p.status;
    }
    d->nodes = p.pool;
    d->root = p.pool_len - 1;
    d->strings = p.strings;
    *out = d;
    return LQ_OK;
}

const lq__json *lq__json_root(const lq__json_doc *d)
{
    return &d->nodes[d->root];
}

void lq__json_free(lq__json_doc *d)
{
    if (!d)
        return;
    lq__free(d->nodes);
    lq__free(d->strings);
    lq__free(d);
}

const lq__json *lq__json_get(const lq__json *obj, const char *key)
{
    if (!obj || obj->kind != LQ__JSON_OBJECT)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->count; i++)
        if (obj->items[i].key_len == n && memcmp(obj->items[i].key, key, n) == 0)
            return &obj->items[i];
    return NULL;
}

bool lq__json_is_str(const lq__json *v, const char *s)
{
    return v && v->kind == LQ__JSON_STRING && v->len == strlen(s) && memcmp(v->str, s, v->len) == 0;
}

const char *lq__json_kind_name(int kind)
{
    static const char *const names[] = {"null", "a boolean", "an integer", "a number",
                                        "a string", "an array", "an object"};
    return kind >= 0 && kind <= LQ__JSON_OBJECT ? names[kind] : "?";
}

/* ---- writer ---- */

void lq__jw_init(lq__jw *w, lq__buf *b, int indent)
{
    memset(w, 0, sizeof *w);
    w->b = b;
    w->indent = indent;
}

static void newline(lq__jw *w)
{
    if (w->indent <= 0)
        return;
    lq__buf_putc(w->b, '\n');
    for (int i = 0; i < w->depth * w->indent; i++)
        lq__buf_putc(w->b, ' ');
}

/* Separator before a value (or key) at the current level. */
static void before_item(lq__jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    if (w->has_items[w->depth - 1])
        lq__buf_putc(w->b, ',');
    w->has_items[w->depth - 1] = true;
    newline(w);
}

static void open_level(lq__jw *w, char open, char close)
{
    before_item(w);
    lq__buf_putc(w->b, open);
    if (w->depth >= LQ__JW_MAX_DEPTH) {
        w->b->failed = true; /* a writer bug, reported like a failed allocation */
        return;
    }
    w->closer[w->depth] = close;
    w->has_items[w->depth++] = false;
}

void lq__jw_object(lq__jw *w) { open_level(w, '{', '}'); }
void lq__jw_array(lq__jw *w) { open_level(w, '[', ']'); }

void lq__jw_end(lq__jw *w)
{
    if (w->depth == 0) {
        w->b->failed = true;
        return;
    }
    w->depth--;
    if (w->has_items[w->depth])
        newline(w);
    lq__buf_putc(w->b, w->closer[w->depth]);
}

static void put_escaped(lq__buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    lq__buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': lq__buf_puts(b, "\\\""); break;
        case '\\': lq__buf_puts(b, "\\\\"); break;
        case '\n': lq__buf_puts(b, "\\n"); break;
        case '\r': lq__buf_puts(b, "\\r"); break;
        case '\t': lq__buf_puts(b, "\\t"); break;
        case '\b': lq__buf_puts(b, "\\b"); break;
        case '\f': lq__buf_puts(b, "\\f"); break;
        default:
            if (c < 0x20) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                lq__buf_put(b, e, 6);
            } else
                lq__buf_putc(b, (char)c);
        }
    }
    lq__buf_putc(b, '"');
}

void lq__jw_key(lq__jw *w, const char *key, size_t len)
{
    before_item(w);
    put_escaped(w->b, key, len);
    lq__buf_puts(w->b, w->indent > 0 ? ": " : ":");
    w->after_key = true;
}

void lq__jw_string(lq__jw *w, const char *s, size_t len)
{
    before_item(w);
    put_escaped(w->b, s, len);
}

void lq__jw_int(lq__jw *w, int64_t v)
{
    char t[24];
    before_item(w);
    lq__buf_put(w->b, t, (size_t)snprintf(t, sizeof t, "%lld", (long long)v));
}

void lq__jw_uint(lq__jw *w, uint64_t v)
{
    char t[24];
    before_item(w);
    lq__buf_put(w->b, t, (size_t)snprintf(t, sizeof t, "%llu", (unsigned long long)v));
}

void lq__jw_real(lq__jw *w, double v)
{
    before_item(w);
    if (!isfinite(v)) {
        lq__buf_puts(w->b, "null");
        return;
    }
    pthread_once(&c_locale_once, make_c_locale);
    locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
    char t[40];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v)
            break;
    }
    if (old)
        uselocale(old);
    /* keep it a JSON number that reads back as a real, not an integer */
    if (!strpbrk(t, ".eEn"))
        n += snprintf(t + n, sizeof t - (size_t)n, ".0");
    lq__buf_put(w->b, t, (size_t)n);
}

void lq__jw_bool(lq__jw *w, bool v)
{
    before_item(w);
    lq__buf_puts(w->b, v ? "true" : "false");
}

void lq__jw_null(lq__jw *w)
{
    before_item(w);
    lq__buf_puts(w->b, "null");
}
