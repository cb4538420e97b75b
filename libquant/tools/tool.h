/* tool.h — what the lq subcommands share: argument helpers, table output,
 * the progress bar. The tool uses only the public API. */
#ifndef LQ_TOOLS_TOOL_H
#define LQ_TOOLS_TOOL_H

#include <stdbool.h>
#include <stdint.h>

#include <lq/lq.h>

#define LQ_TOOL_USAGE 2 /* exit status for bad arguments */

/* One subcommand: `lq NAME ...`. run() gets argv after the subcommand name
 * (argv[0] is the subcommand) and returns the exit status. */
typedef struct lq_tool_cmd {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} lq_tool_cmd;

/* Print "lq NAME: message" to stderr (printf-style) and return LQ_TOOL_USAGE. */
int lq_tool_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print "lq NAME: what: <lq_last_error()>" and return 1. */
int lq_tool_lib_error(const char *cmd, const char *what, lq_status st);

/* Parse a whole-string number; false on junk or range errors. Accepts
 * scientific notation for doubles ("70e9"). */
bool lq_tool_parse_double(const char *s, double *out);
bool lq_tool_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out);

/* Fetch the value of option argv[*i] ("--opt VALUE" or "--opt=VALUE"):
 * returns it and advances *i, or NULL when `opt` does not match. Sets
 * *missing when the option matched but has no value. */
const char *lq_tool_option(int argc, char **argv, int *i, const char *opt, bool *missing);

/* Accept options anywhere among the positionals, as llama.cpp's tools and
 * getopt do: reorder argv[1..argc) so that the options (each followed by its
 * value when it is one of `valued`, a NULL-terminated list, and written
 * without "=") come first and the positionals after, each group in its own
 * order; "--" ends the options and is dropped (*argc shrinks by one). Returns
 * the index of the first positional (*argc when there is none). */
int lq_tool_options_first(int *argc, char **argv, const char *const *valued);

/* A progress bar on stderr when it is a terminal, silent otherwise. */
typedef struct lq_tool_progress {
    const char *label; /* what is being worked on; NULL: the callback's stage is the label */
    double total_bytes; /* when known (> 0), the bar shows a rate in MiB/s */
    double started;    /* seconds, lq_tool_now() */
    bool tty;
    int last_permille;
} lq_tool_progress;

void lq_tool_progress_init(lq_tool_progress *p, const char *label);
/* An lq_progress_fn; user is an lq_tool_progress. */
int lq_tool_progress_cb(void *user, const char *stage, double fraction);
/* Clear the bar line (call when the step ends). */
void lq_tool_progress_done(lq_tool_progress *p);

/* When OpenBLAS fell back to kernels far older than the CPU (it does not know
 * the model) and OPENBLAS_CORETYPE is unset, set it to the family libquant's
 * SIMD level implies and exec the program again with argv; otherwise, or if
 * exec fails, return (blas_setup.c says why). */
void lq_tool_blas_setup(char **argv);

/* Buffers of 4 MiB and more returned to the system when freed, under glibc
 * (malloc_setup.c says why). */
void lq_tool_malloc_setup(void);
/* OpenBLAS's kernel family ("Haswell", "SkylakeX", ...) or "unknown". */
const char *lq_tool_blas_core(void);

double lq_tool_now(void);

/* The whole file at path (malloc'd, free with free; NULL when it cannot be
 * read), its length in *len. */
char *lq_tool_read_file(const char *path, size_t *len);
/* Human-readable byte count ("1.50 GiB"). */
const char *lq_tool_bytes(double bytes, char *buf, int cap);

#endif
