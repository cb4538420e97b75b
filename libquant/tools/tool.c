/* tool.c — helpers shared by the lq subcommands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tool.h"

int lq_tool_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "lq %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'lq %s --help')\n", cmd);
    return LQ_TOOL_USAGE;
}

int lq_tool_lib_error(const char *cmd, const char *what, lq_status st)
{
    fprintf(stderr, "lq %s: %s: %s (%s)\n", cmd, what, lq_last_error(), lq_status_str(st));
    return 1;
}

bool lq_tool_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool lq_tool_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    double v;
    if (!lq_tool_parse_double(s, &v) || v != floor(v) || v < (double)lo || v > (double)hi)
        return false;
    *out = (int64_t)v;
    return true;
}

const char *lq_tool_option(int argc, char **argv, int *i, const char *opt, bool *missing)
{
    size_t n = strlen(opt);
    const char *a = argv[*i];
    if (strncmp(a, opt, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != 0)
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* Does argv[i] name an option of `valued` without "=VALUE", so that the next
 * argument is its value? */
static bool takes_next(const char *a, const char *const *valued)
{
    for (; valued && *valued; valued++)
        if (strcmp(a, *valued) == 0)
            return true;
    return false;
}

int lq_tool_options_first(int *argcp, char **argv, const char *const *valued)
{
    int argc = *argcp;
    /* stable: options keep their order, and positionals theirs */
    char **pos = malloc(sizeof *pos * (size_t)(argc > 0 ? argc : 1));
    if (!pos)
        return argc; /* no room to sort: no positionals, which the caller reports */
    int n_opt = 1, n_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0) { /* everything after it is positional */
            for (i++; i < argc; i++)
                pos[n_pos++] = argv[i];
            break;
        }
        if (a[0] != '-' || a[1] == 0) { /* "-" alone is a positional (stdin, by convention) */
            pos[n_pos++] = a;
            continue;
        }
        argv[n_opt++] = a;
        if (takes_next(a, valued) && i + 1 < argc)
            argv[n_opt++] = argv[++i];
    }
    memcpy(argv + n_opt, pos, sizeof *pos * (size_t)n_pos);
    free(pos);
    *argcp = n_opt + n_pos;
    return n_opt;
}

double lq_tool_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *lq_tool_bytes(double bytes, char *buf, int cap)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    while (bytes >= 1024 && u < 4) {
        bytes /= 1024;
        u++;
    }
    snprintf(buf, (size_t)cap, u ? "%.2f %s" : "%.0f %s", bytes, units[u]);
    return buf;
}

void lq_tool_progress_init(lq_tool_progress *p, const char *label)
{
    p->label = label;
    p->total_bytes = 0;
    p->started = lq_tool_now();
    p->tty = isatty(STDERR_FILENO) != 0;
    p->last_permille = -1;
}

int lq_tool_progress_cb(void *user, const char *stage, double fraction)
{
    lq_tool_progress *p = user;
    int permille = (int)(fraction * 1000);
    if (!p->tty || permille == p->last_permille)
        return 0;
    p->last_permille = permille;
    double elapsed = lq_tool_now() - p->started;
    double eta = fraction > 0.01 ? elapsed * (1 - fraction) / fraction : 0;
    int filled = (int)(fraction * 30);
    char bar[31];
    for (int i = 0; i < 30; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[30] = 0;
    char rate[32] = "";
    if (p->total_bytes > 0 && elapsed > 0)
        snprintf(rate, sizeof rate, "  %7.1f MiB/s", fraction * p->total_bytes / elapsed / 1048576);
    fprintf(stderr, "\r\033[K%-36.36s [%s] %5.1f%%%s  %5.1fs  ETA %5.1fs",
            p->label ? p->label : stage, bar, 100 * fraction, rate, elapsed, eta);
    fflush(stderr);
    return 0;
}

void lq_tool_progress_done(lq_tool_progress *p)
{
    if (p->tty && p->last_permille >= 0)
        fprintf(stderr, "\r\033[K");
}

char *lq_tool_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}
