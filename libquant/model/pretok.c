/* pretok.c — the pre-tokenizer table and the word splitters, written from
 * the regexes' definitions (no regex engine), giving the words llama.cpp's
 * hand-written splitters give, quirks included (each is marked). */
#include <string.h>

#include "pretok.h"
#include "unicode.h"

/* name, split kind, digits, ignore_merges, add_bos, clean_spaces: llama.cpp's
 * settings for these names (llama-vocab.cpp) */
#define LQ__PRETOK_LIST(X)                             \
    X("llama-bpe", LQ__SPLIT_LLAMA3, 3, 1, 1, 1)       \
    X("llama3", LQ__SPLIT_LLAMA3, 3, 1, 1, 1)          \
    X("llama-v3", LQ__SPLIT_LLAMA3, 3, 1, 1, 1)        \
    X("qwen2", LQ__SPLIT_LLAMA3, 1, 0, 0, 0)           \
    X("deepseek-r1-qwen", LQ__SPLIT_LLAMA3, 1, 0, 0, 0) \
    X("gpt-2", LQ__SPLIT_GPT2, 0, 0, 0, 1)

static const lq__pretok pretoks[] = {
#define X(name, split, digits, ignore, bos, clean) {name, split, digits, ignore, bos, clean},
    LQ__PRETOK_LIST(X)
#undef X
};

const lq__pretok *lq__pretok_find(const char *name)
{
    for (size_t i = 0; i < sizeof pretoks / sizeof pretoks[0]; i++)
        if (strcmp(pretoks[i].name, name) == 0)
            return &pretoks[i];
    return NULL;
}

/* The text being cut. Positions past the end have no class (`in` is false):
 * the regexes' lookahead sees nothing there. */
typedef struct {
    const uint32_t *cp;
    const uint8_t *cls;
    size_t n;
    size_t done;       /* where the next word starts */
    lq__word_fn word;
    void *ctx;
} cutter;

static int in(const cutter *c, size_t i) { return i < c->n; }
static int letter(const cutter *c, size_t i) { return i < c->n && c->cls[i] == LQ__UC_LETTER; }
static int number(const cutter *c, size_t i) { return i < c->n && c->cls[i] == LQ__UC_NUMBER; }
static int space(const cutter *c, size_t i) { return i < c->n && c->cls[i] == LQ__UC_SPACE; }
static int other(const cutter *c, size_t i) { return i < c->n && c->cls[i] == LQ__UC_OTHER; }
static int newline(const cutter *c, size_t i)
{
    return i < c->n && (c->cp[i] == '\r' || c->cp[i] == '\n');
}

/* End the word at `end` (nothing when empty). */
static lq_status cut(cutter *c, size_t end)
{
    size_t start = c->done;
    c->done = end;
    return end > start ? c->word(c->ctx, start, end) : LQ_OK;
}

/* The length of the contraction at i ('s 't 'm 'd 're 've 'll), 0 if none;
 * case-insensitive when `fold`. */
static size_t contraction(const cutter *c, size_t i, int fold)
{
    if (c->cp[i] != '\'' || !in(c, i + 1))
        return 0;
    uint32_t a = fold ? lq__uc_lower_contraction(c->cp[i + 1]) : c->cp[i + 1];
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
    if (!in(c, i + 2))
        return 0;
    uint32_t b = fold ? lq__uc_lower_contraction(c->cp[i + 2]) : c->cp[i + 2];
    return (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l') ? 3 : 0;
}

/* The whitespace alternatives shared by both regexes, at a run of `ws`
 * whitespace code points starting at pos: \s+(?!\S) leaves the last one to
 * the next word when something follows, \s+ takes them all. */
static size_t spaces_end(const cutter *c, size_t pos, size_t ws)
{
    return ws > 1 && in(c, pos + ws) ? pos + ws - 1 : pos + ws;
}

static lq_status split_llama3(cutter *c, size_t digits)
{
    lq_status st = LQ_OK;
    for (size_t pos = 0; st == LQ_OK && pos < c->n; pos = c->done) {
        uint32_t cp = c->cp[pos];
        size_t k = contraction(c, pos, 1);
        if (k) {
            st = cut(c, pos + k);
            continue;
        }
        /* [^\r\n\p{L}\p{N}]?\p{L}+ */
        if (!newline(c, pos) && !number(c, pos) && (letter(c, pos) || letter(c, pos + 1))) {
            for (pos++; letter(c, pos); pos++) {
            }
            st = cut(c, pos);
            continue;
        }
        /* \p{N}{1,D}: runs of digits in words of D */
        if (number(c, pos)) {
            for (size_t start = pos; st == LQ_OK && number(c, pos);)
                if (++pos - start >= digits) {
                    st = cut(c, pos);
                    start = pos;
                }
            if (st == LQ_OK)
                st = cut(c, pos);
            continue;
        }
        /*  ?[^\s\p{L}\p{N}]+[\r\n]* — llama.cpp's quirk kept: a space at the
         * very end takes this branch too (the word is the same) */
        size_t next = cp == ' ' ? pos + 1 : pos;
        if (!space(c, next) && !letter(c, next) && !number(c, next)) {
            for (pos = next; other(c, pos); pos++) {
            }
            while (newline(c, pos))
                pos++;
            st = cut(c, pos);
            continue;
        }
        /* \s*[\r\n]+ up to the last newline of the run, else \s+(?!\S) | \s+ */
        size_t ws = 0, last_newline = 0;
        for (; space(c, pos + ws); ws++)
            if (newline(c, pos + ws))
                last_newline = pos + ws + 1;
        if (last_newline)
            st = cut(c, last_newline);
        else
            st = cut(c, ws ? spaces_end(c, pos, ws) : pos + 1); /* or one unmatched code point */
    }
    return st;
}

static lq_status split_gpt2(cutter *c)
{
    lq_status st = LQ_OK;
    for (size_t pos = 0; st == LQ_OK && pos < c->n; pos = c->done) {
        size_t k = contraction(c, pos, 0);
        if (k) {
            st = cut(c, pos + k);
            continue;
        }
        /*  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+ */
        size_t next = c->cp[pos] == ' ' ? pos + 1 : pos;
        int (*run)(const cutter *, size_t) =
            letter(c, next) ? letter : number(c, next) ? number : other(c, next) ? other : NULL;
        if (run) {
            for (pos = next; run(c, pos); pos++) {
            }
            st = cut(c, pos);
            continue;
        }
        size_t ws = 0;
        while (space(c, pos + ws))
            ws++;
        st = cut(c, ws ? spaces_end(c, pos, ws) : pos + 1);
    }
    return st;
}

lq_status lq__pretok_split(const lq__pretok *p, const uint32_t *cp, const uint8_t *cls, size_t n,
                           lq__word_fn word, void *ctx)
{
    cutter c = {cp, cls, n, 0, word, ctx};
    return p->split == LQ__SPLIT_GPT2 ? split_gpt2(&c) : split_llama3(&c, (size_t)p->digits);
}
