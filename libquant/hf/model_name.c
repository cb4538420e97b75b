/* model_name.c — the naming metadata gguf-py derives for a model (its
 * Metadata heuristics): general.name, organization, basename, finetune,
 * version and size_label from config.json's _name_or_path and from the
 * folder name, and the size label from the parameter count. The regular
 * expressions of gguf-py are spelled out here for ASCII text. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

enum { MAX_PARTS = 64, PART = 128 };
enum { T_VERSION = 1, T_TYPE = 2, T_SIZE = 4, T_FINETUNE = 8, T_BASENAME = 16 };

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return n > 0;
}

/* digits ( '.' digits )* covering s[0, n) */
static bool dotted_number(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t d = i;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
        if (i == d)
            return false;
        if (i == n)
            return true;
        if (s[i++] != '.')
            return false;
    }
}

/* (v|iter)?\d+([.]\d+)*, ignoring case */
static bool is_version(const char *s)
{
    size_t n = strlen(s);
    if (n > 4 && strncasecmp(s, "iter", 4) == 0 && dotted_number(s + 4, n - 4))
        return true;
    if (n > 1 && tolower((unsigned char)s[0]) == 'v' && dotted_number(s + 1, n - 1))
        return true;
    return dotted_number(s, n);
}

/* i?q\d(_\w)*|b?fp?(16|32), ignoring case */
static bool is_quant_type(const char *s)
{
    size_t n = strlen(s), i = 0;
    if (n && tolower((unsigned char)s[0]) == 'i')
        i = 1;
    if (i + 1 < n && tolower((unsigned char)s[i]) == 'q' && isdigit((unsigned char)s[i + 1])) {
        size_t j = i + 2;
        while (j + 1 < n && s[j] == '_' && (isalnum((unsigned char)s[j + 1]) || s[j + 1] == '_'))
            j += 2;
        if (j == n)
            return true;
    }
    i = 0;
    if (i < n && tolower((unsigned char)s[i]) == 'b')
        i++;
    if (i >= n || tolower((unsigned char)s[i]) != 'f')
        return false;
    i++;
    if (i < n && tolower((unsigned char)s[i]) == 'p')
        i++;
    return strcmp(s + i, "16") == 0 || strcmp(s + i, "32") == 0;
}

/* (([A]|\d+[x])?\d+([._]\d+)?[KMBT][\d]?|small|mini|medium|large|x?xl), ignoring case */
static bool is_size(const char *s)
{
    static const char *const words[] = {"small", "mini", "medium", "large", "xl", "xxl"};
    for (size_t w = 0; w < sizeof words / sizeof *words; w++)
        if (strcasecmp(s, words[w]) == 0)
            return true;
    size_t n = strlen(s);
    /* the tail: [KMBT] and an optional digit */
    size_t end = n;
    if (end && isdigit((unsigned char)s[end - 1]))
        end--;
    if (!end || !strchr("kmbtKMBT", s[end - 1]))
        return false;
    end--;
    /* the number before it: \d+([._]\d+)?, with an optional prefix */
    for (size_t start = 0; start < end; start++) {
        /* prefix s[0, start): empty, "a", or \d+x */
        bool prefix = start == 0 || (start == 1 && tolower((unsigned char)s[0]) == 'a') ||
                      (start >= 2 && tolower((unsigned char)s[start - 1]) == 'x' &&
                       all_digits(s, start - 1));
        if (!prefix)
            continue;
        const char *p = s + start;
        size_t len = end - start, i = 0;
        while (i < len && isdigit((unsigned char)p[i]))
            i++;
        if (i == 0)
            continue;
        if (i == len)
            return true;
        if ((p[i] == '.' || p[i] == '_') && i + 1 < len && all_digits(p + i + 1, len - i - 1))
            return true;
    }
    return false;
}

static bool is_finetune_word(const char *s)
{
    return !strcasecmp(s, "chat") || !strcasecmp(s, "instruct") || !strcasecmp(s, "vision") ||
           !strcasecmp(s, "lora");
}

/* A size part as gguf-py normalises it, and whether it is a context length
 * rather than the model's size (then it is a finetune, in lower case). */
static int size_part(char *part, int64_t params)
{
    for (char *c = part; *c; c++)
        if (*c == '_')
            *c = '.';
    size_t n = strlen(part);
    if (n >= 2 && isdigit((unsigned char)part[n - 1])) { /* bloom-7b1 -> 7.1b */
        char last = part[n - 1], unit = part[n - 2];
        if (n + 1 < PART) {
            part[n - 2] = '.';
            part[n - 1] = last;
            part[n] = unit;
            part[n + 1] = 0;
            n++;
        }
    }
    if (n > 1 && isdigit((unsigned char)part[n - 2]) && strchr("kmbt", part[n - 1]))
        part[n - 1] = (char)toupper((unsigned char)part[n - 1]);
    if (params == 0 || n < 2)
        return 0;
    /* float(part[:-1]): a plain decimal number here, or the label is taken as it is */
    char num[PART], *end;
    memcpy(num, part, n - 1);
    num[n - 1] = 0;
    double v = strtod(num, &end);
    if (*end || end == num || !isdigit((unsigned char)num[0]) || strpbrk(num, "xXpP"))
        return 0; /* Python's float() takes no hex ("8x7" stops strtod at the x anyway) */
    const char *units = " KMBT", *u = strchr(units, part[n - 1]);
    double label = v * (u ? pow(1000, (double)(u - units)) : 0.001);
    if (params > 0 && fabs(label - (double)params) > (double)(7 * params / 8)) {
        part[n - 1] = (char)tolower((unsigned char)part[n - 1]);
        return T_FINETUNE;
    }
    return 0;
}

static void join(char *out, size_t size, char parts[][PART], const int *types, int n, int want,
                 int unless, bool dedup)
{
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        if (!(types[i] & want) || (types[i] & unless))
            continue;
        bool seen = false;
        for (int j = 0; dedup && j < i; j++)
            seen |= (types[j] & want) && strcmp(parts[j], parts[i]) == 0;
        if (seen)
            continue;
        int k = snprintf(out + o, size - o, "%s%s", o ? "-" : "", parts[i]);
        o += k > 0 && (size_t)k < size - o ? (size_t)k : 0;
    }
}

/* Metadata.id_to_title: '-' to spaces, words joined by one space, an
 * all-lowercase word that is no version in title case. */
static void id_to_title(const char *s, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 1 < size;) {
        while (i < len && (isspace((unsigned char)s[i]) || s[i] == '-'))
            i++;
        size_t w = i;
        while (i < len && !isspace((unsigned char)s[i]) && s[i] != '-')
            i++;
        if (i == w)
            break;
        bool upper = false, lower = false;
        for (size_t k = w; k < i; k++) {
            upper |= isupper((unsigned char)s[k]) != 0;
            lower |= islower((unsigned char)s[k]) != 0;
        }
        char word[PART];
        snprintf(word, sizeof word, "%.*s", (int)(i - w), s + w);
        /* ^(v\d+(?:\.\d+)*|\d.*)$ */
        bool versionish = isdigit((unsigned char)word[0]) ||
                          (word[0] == 'v' && dotted_number(word + 1, strlen(word + 1)));
        bool titled = lower && !upper && !versionish;
        if (o)
            out[o++] = ' ';
        bool prev_letter = false;
        for (size_t k = w; k < i && o + 1 < size; k++) {
            char c = s[k];
            bool letter = isalpha((unsigned char)c) != 0;
            if (titled && letter && !prev_letter)
                c = (char)toupper((unsigned char)c);
            out[o++] = c;
            prev_letter = letter;
        }
    }
    out[o] = 0;
}

/* Metadata.get_model_id_components, filling the fields of n still empty
 * (the caller's order of sources decides which wins). */
static void from_model_id(const char *id, int64_t params, lq__hf_naming *n)
{
    char full[512], org[256] = "";
    if (strchr(id, ' ')) {
        if (!n->name[0])
            id_to_title(id, strlen(id), n->name, sizeof n->name);
        return;
    }
    const char *slash = strchr(id, '/');
    if (slash) {
        snprintf(org, sizeof org, "%.*s", (int)(slash - id), id);
        snprintf(full, sizeof full, "%s", slash + 1);
        if (org[0] == '.')
            org[0] = 0;
    } else
        snprintf(full, sizeof full, "%s", id);
    if (!n->name[0])
        id_to_title(full, strlen(full), n->name, sizeof n->name);
    if (!n->organization[0] && org[0])
        id_to_title(org, strlen(org), n->organization, sizeof n->organization);

    static char parts[MAX_PARTS][PART];
    int types[MAX_PARTS] = {0}, np = 0;
    for (const char *p = full; *p && np < MAX_PARTS;) {
        size_t len = strcspn(p, "-");
        if (len) {
            snprintf(parts[np], PART, "%.*s", (int)len, p);
            np++;
        }
        p += len + (p[len] == '-');
    }
    for (int i = 0; i < np; i++) {
        char *part = parts[i];
        if (is_version(part))
            types[i] |= T_VERSION;
        else if (is_quant_type(part)) {
            types[i] |= T_TYPE;
            for (char *c = part; *c; c++)
                *c = (char)toupper((unsigned char)*c);
        } else if (i > 0 && is_size(part)) {
            types[i] |= size_part(part, params);
            if (!types[i])
                types[i] |= T_SIZE;
        } else if (i > 0 && is_finetune_word(part))
            types[i] |= T_FINETUNE;
    }
    /* word sizes ("small") give way to a numeric one */
    bool numeric = false;
    for (int i = 0; i < np; i++)
        for (const char *c = parts[i]; (types[i] & T_SIZE) && *c; c++)
            numeric |= isdigit((unsigned char)*c) != 0;
    for (int i = 0; numeric && i < np; i++) {
        bool alpha = true;
        for (const char *c = parts[i]; *c; c++)
            alpha &= isalpha((unsigned char)*c) != 0;
        if ((types[i] & T_SIZE) && alpha)
            types[i] &= ~T_SIZE;
    }
    bool at_start = true;
    for (int i = 0; i < np; i++) {
        if (at_start && ((!types[i] && isalpha((unsigned char)parts[i][0])) || (types[i] & T_VERSION)))
            types[i] |= T_BASENAME;
        else {
            at_start = false;
            if (!types[i])
                types[i] |= T_FINETUNE;
        }
    }
    for (int i = np - 1; i >= 0; i--) { /* a trailing version is no part of the basename */
        if ((types[i] & T_BASENAME) && types[i] != T_BASENAME)
            types[i] &= ~T_BASENAME;
        else
            break;
    }
    char basename[256], finetune[256], version[256], size[64];
    join(basename, sizeof basename, parts, types, np, T_BASENAME, 0, false);
    join(size, sizeof size, parts, types, np, T_SIZE, 0, true);
    join(finetune, sizeof finetune, parts, types, np, T_FINETUNE, 0, false);
    join(version, sizeof version, parts, types, np, T_VERSION, T_BASENAME, false);
    if (!size[0] && !finetune[0] && !version[0])
        basename[0] = 0; /* too ambiguous */
    if (!n->basename[0])
        snprintf(n->basename, sizeof n->basename, "%s", basename);
    if (!n->finetune[0])
        snprintf(n->finetune, sizeof n->finetune, "%s", finetune);
    if (!n->version[0])
        snprintf(n->version, sizeof n->version, "%s", version);
    if (!n->size_label[0])
        snprintf(n->size_label, sizeof n->size_label, "%s", size);
}

/* gguf-py's size_label: the parameter count with a K/M/B/T suffix and two
 * significant digits when the integer part has fewer ("1.7M", "25M"). */
static void count_label(int64_t params, char *out, size_t size)
{
    double n = (double)params, x;
    const char *suffix;
    if (n > 1e12)
        x = n * 1e-12, suffix = "T";
    else if (n > 1e9)
        x = n * 1e-9, suffix = "B";
    else if (n > 1e6)
        x = n * 1e-6, suffix = "M";
    else
        x = n * 1e-3, suffix = "K";
    /* digits of Python's round(x) (half to even, as nearbyint) without leading zeros */
    char digits[32];
    double r = nearbyint(x);
    int len = r == 0 ? 0 : snprintf(digits, sizeof digits, "%.0f", r);
    int fix = 2 - len > 0 ? 2 - len : 0;
    snprintf(out, size, "%.*f%s", fix, x, suffix);
}

void lq__hf_naming_of(const lq__hf_model *m, int64_t params, lq__hf_naming *out)
{
    memset(out, 0, sizeof *out);
    /* config.json's _name_or_path when it looks like a model id, not a path */
    const lq__json *nop = lq__json_get(lq__json_root(m->cfg_doc), "_name_or_path");
    if (nop && nop->kind == LQ__JSON_STRING && !memchr(nop->str, 0, nop->len)) {
        int slashes = 0;
        for (const char *c = nop->str; *c; c++)
            slashes += *c == '/';
        if (slashes <= 1)
            from_model_id(nop->str, params, out);
    }
    /* then the folder name */
    size_t end = strlen(m->dir);
    while (end > 1 && m->dir[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && m->dir[start - 1] != '/')
        start--;
    char folder[512];
    snprintf(folder, sizeof folder, "%.*s", (int)(end - start), m->dir + start);
    from_model_id(folder, params, out);
    if (!out->size_label[0] && params > 0)
        count_label(params, out->size_label, sizeof out->size_label);
}
