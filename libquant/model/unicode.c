/* unicode.c — looking up the generated class tables, UTF-8, GPT-2's byte
 * alphabet. */
#include "unicode.h"

int lq__uc_class(uint32_t c)
{
    if (c < 0x100)
        return lq__uc_latin1[c];
    if (c >= 0x110000)
        return LQ__UC_OTHER;
    size_t lo = 0, hi = lq__uc_nruns; /* the last run whose first is <= c */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (lq__uc_runs[mid].first <= c)
            lo = mid;
        else
            hi = mid;
    }
    return lq__uc_runs[lo].cls;
}

uint32_t lq__uc_lower_contraction(uint32_t c)
{
    for (size_t i = 0; i < lq__uc_nlower; i++)
        if (lq__uc_lower_from[i] == c)
            return lq__uc_lower_to[i];
    return c;
}

uint32_t lq__utf8_decode(const unsigned char *s, size_t len, size_t *used)
{
    static const uint32_t replacement = 0xFFFD;
    *used = 1;
    unsigned char b = s[0];
    if (b < 0x80)
        return b;
    size_t n = b < 0xC0 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 0;
    if (n == 0 || n > len)
        return replacement;
    uint32_t c = b & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return replacement;
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c >= 0x110000) /* F4 90.. and up */
        return replacement;
    *used = n;
    return c;
}

size_t lq__utf8_encode(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | c >> 18);
    out[1] = (char)(0x80 | (c >> 12 & 0x3F));
    out[2] = (char)(0x80 | (c >> 6 & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* bytes that stand for themselves: '!'..'~', 0xA1..0xAC, 0xAE..0xFF */
static int printable(unsigned b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
}

uint32_t lq__byte_to_cp(unsigned char b)
{
    if (printable(b))
        return b;
    uint32_t n = 0; /* the non-printable bytes below b */
    for (unsigned i = 0; i < b; i++)
        n += !printable(i);
    return 0x100 + n;
}

int lq__cp_to_byte(uint32_t c)
{
    if (c < 0x100)
        return printable(c) ? (int)c : -1;
    for (unsigned b = 0, n = 0; b < 256; b++)
        if (!printable(b) && 0x100 + n++ == c)
            return (int)b;
    return -1;
}
