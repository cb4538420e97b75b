/* io_util.h — temporary folders and whole-file helpers for the io tests. */
#ifndef LQ_TESTS_IO_UTIL_H
#define LQ_TESTS_IO_UTIL_H

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh folder under $TMPDIR (or /tmp); removed by iot_rmdir. */
static inline char *iot_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    static char path[4096];
    snprintf(path, sizeof path, "%s/lqt-io-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(path) ? strdup(path) : NULL;
}

static int iot_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

static inline void iot_rmdir(char *dir)
{
    if (dir)
        nftw(dir, iot_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

/* "dir/name" in a static rotating buffer (4 live at a time). */
static inline const char *iot_path(const char *dir, const char *name)
{
    static char bufs[4][4096];
    static int k;
    char *b = bufs[k++ & 3];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

static inline unsigned char *iot_read(const char *path, size_t *size)
{
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc(n > 0 ? (size_t)n : 1);
    if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return d;
}

static inline int iot_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static inline int iot_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Number of entries in a folder, "." and ".." aside. */
static inline int iot_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

#endif
