/* crosscheck.c — the C reference for the cross-language check (README.md):
 * quantize the shared input with every case in CASES and write each result's
 * raw bytes to OUTDIR/<case>.bin (OUTDIR/<case>.unsupported when the library
 * lacks the codec). Usage: crosscheck CASES OUTDIR */
#include <lq/lq.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROWS 256
#define COLS 512

static float w[ROWS * COLS];
static float imatrix[COLS];

static void make_input(void)
{
    for (int64_t i = 0; i < ROWS * COLS; i++)
        w[i] = (float)((i * 7919) % 1021 - 510) / 256.0f;
    for (int c = 0; c < COLS; c++)
        imatrix[c] = 1.0f + (float)(c % 7) / 8.0f;
}

static int write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

/* One case: "scheme" or "scheme imatrix". Returns 0 on success. */
static int run_case(const char *outdir, char *line)
{
    char *scheme_text = strtok(line, " \t");
    char *flag = strtok(NULL, " \t");
    int use_imatrix = flag && strcmp(flag, "imatrix") == 0;
    if (flag && !use_imatrix) {
        fprintf(stderr, "crosscheck: unknown flag '%s'\n", flag);
        return 1;
    }
    char file[512];
    int n = snprintf(file, sizeof file, "%s/", outdir);
    for (const char *p = scheme_text; *p && n < (int)sizeof file - 32; p++)
        file[n++] = *p == ':' ? '_' : *p;
    snprintf(file + n, sizeof file - (size_t)n, "%s", use_imatrix ? "+imatrix" : "");
    size_t base = strlen(file);

    int64_t shape[2] = {ROWS, COLS};
    lq_tensor *t = NULL, *q = NULL;
    lq_scheme *s = NULL;
    lq_status st = lq_tensor_wrap(LQ_TYPE_F32, 2, shape, w, sizeof w, LQ_BORROW, "w", &t);
    if (st == LQ_OK)
        st = lq_scheme_parse(scheme_text, &s);
    if (st == LQ_OK)
        st = lq_quantize(NULL, t, s, NULL, use_imatrix ? imatrix : NULL, &q);
    int rc = 0;
    if (st == LQ_OK) {
        snprintf(file + base, sizeof file - base, ".bin");
        rc = write_file(file, lq_tensor_data(q), lq_tensor_nbytes(q));
    } else if (st == LQ_ERR_UNSUPPORTED) {
        snprintf(file + base, sizeof file - base, ".unsupported");
        rc = write_file(file, "", 0);
    } else {
        fprintf(stderr, "crosscheck: %s: %s\n", scheme_text, lq_last_error());
        rc = 1;
    }
    lq_tensor_free(q);
    lq_tensor_free(t);
    lq_scheme_free(s);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: crosscheck CASES OUTDIR\n");
        return 2;
    }
    FILE *cases = fopen(argv[1], "r");
    if (!cases) {
        perror(argv[1]);
        return 2;
    }
    make_input();
    char line[256];
    int failures = 0;
    while (fgets(line, sizeof line, cases)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        failures += run_case(argv[2], line);
    }
    fclose(cases);
    return failures ? 1 : 0;
}
