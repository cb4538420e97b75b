/* test_file_faults.c — the atomic writer under faults: a full disk at every
 * write call, a read-only folder, special files and links as the output, and
 * SIGKILL at random points. After each, the final name holds nothing or a
 * complete file, and no temporary is left behind (except after SIGKILL, when
 * nobody can clean up). White-box: uses the writer's fault hook. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lq/lq_io.h>

#include "../harness.h"
#include "io_util.h"
#include "libquant/io/file.h"

#define N_TENSORS 6
#define ROWS 64
#define COLS 1024 /* 256 KiB per tensor: several writes of the 1 MiB buffer */

/* A GGUF with N_TENSORS f32 tensors whose values say where they are. */
static lq_gguf *make_gguf(float *data)
{
    lq_gguf *g = NULL;
    if (lq_gguf_create(&g) != LQ_OK)
        return NULL;
    lq_gguf_set_string(g, "general.name", "faults");
    for (int t = 0; t < N_TENSORS; t++) {
        float *d = data + (size_t)t * ROWS * COLS;
        for (int i = 0; i < ROWS * COLS; i++)
            d[i] = (float)(t * 1000003 + i);
        char name[32];
        snprintf(name, sizeof name, "t%d", t);
        int64_t shape[2] = {ROWS, COLS};
        if (lq_gguf_add_tensor_raw(g, name, 0 /* f32 */, 2, shape, d, sizeof(float) * ROWS * COLS,
                                   LQ_BORROW) != LQ_OK) {
            lq_gguf_free(g);
            return NULL;
        }
    }
    return g;
}

/* Is `path` a complete copy of what make_gguf builds? */
static bool complete(const char *path, const float *data)
{
    lq_gguf *g = NULL;
    if (lq_gguf_open(path, &g) != LQ_OK)
        return false;
    bool ok = lq_gguf_tensor_count(g) == N_TENSORS;
    for (int t = 0; ok && t < N_TENSORS; t++) {
        const void *p;
        uint64_t n;
        ok = lq_gguf_tensor_raw(g, t, &p, &n) == LQ_OK && n == sizeof(float) * ROWS * COLS &&
             memcmp(p, data + (size_t)t * ROWS * COLS, n) == 0;
    }
    lq_gguf_free(g);
    return ok;
}

/* Entries of `dir` other than `keep` (NULL: count them all). */
static int others_in(const char *dir, const char *keep)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && (!keep || strcmp(e->d_name, keep)))
            n++;
    if (d)
        closedir(d);
    return n;
}

static float *data_alloc(void)
{
    return malloc(sizeof(float) * N_TENSORS * ROWS * COLS);
}

/* A full disk at the n-th write, for every n until the save gets through:
 * every failure is an I/O error from the call that wrote (not the one that
 * opened), and leaves neither the final file nor a temporary. */
static void full_disk_at_every_write(void)
{
    char *dir = iot_mkdtemp();
    float *data = data_alloc();
    lq_gguf *g = make_gguf(data);
    CHECK(dir && g);
    if (!dir || !g)
        goto out;
    const char *path = iot_path(dir, "out.gguf");
    int64_t n = 1;
    for (;; n++) {
        lq__out_fail_write_at(n);
        lq_status st = lq_gguf_save(NULL, g, path);
        lq__out_fail_write_at(0);
        if (st == LQ_OK)
            break;
        CHECKF(st == LQ_ERR_IO, "write %lld: status %d: %s", (long long)n, st, lq_last_error());
        CHECKF(strstr(lq_last_error(), "No space left") != NULL, "write %lld: %s", (long long)n,
               lq_last_error());
        /* the header goes out with the first tensor's bytes, so no write
         * happens inside lq_gguf_writer_create */
        CHECKF(strstr(lq_last_error(), "lq_gguf_writer_create") == NULL, "write %lld: %s",
               (long long)n, lq_last_error());
        CHECKF(others_in(dir, NULL) == 0, "write %lld left %d files", (long long)n,
               others_in(dir, NULL));
        if (n > 1000)
            break; /* the hook is not firing: the checks above have failed */
    }
    CHECKF(n > 2, "the save took %lld writes; the test wants several", (long long)n);
    CHECK(complete(path, data));
    CHECK(others_in(dir, "out.gguf") == 0);
    /* and a failure over an existing file leaves that file as it was */
    lq__out_fail_write_at(2);
    CHECK_STATUS(lq_gguf_save(NULL, g, path), LQ_ERR_IO);
    lq__out_fail_write_at(0);
    CHECK(complete(path, data));
    CHECK(others_in(dir, "out.gguf") == 0);
out:
    lq_gguf_free(g);
    free(data);
    iot_rmdir(dir);
}

static void read_only_folder(void)
{
    char *dir = iot_mkdtemp();
    float *data = data_alloc();
    lq_gguf *g = make_gguf(data);
    CHECK(dir && g);
    if (!dir || !g)
        goto out;
    chmod(dir, 0555);
    /* root ignores permissions: then try as an unprivileged user, in a child */
    pid_t pid = access(dir, W_OK) == 0 && geteuid() == 0 ? fork() : -1;
    if (pid == 0) {
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(2);
        lq_status st = lq_gguf_save(NULL, g, iot_path(dir, "out.gguf"));
        _exit(st == LQ_ERR_IO && strstr(lq_last_error(), "temporary") ? 0 : 1);
    }
    if (pid > 0) {
        int status = 0;
        waitpid(pid, &status, 0);
        CHECKF(WIFEXITED(status) && WEXITSTATUS(status) != 1, "status %d", status);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
            SKIP_CASE("cannot drop root privileges to test a read-only folder");
    } else if (access(dir, W_OK) == 0) {
        SKIP_CASE("the folder stays writable for this user");
    } else {
        CHECK_STATUS(lq_gguf_save(NULL, g, iot_path(dir, "out.gguf")), LQ_ERR_IO);
        CHECK(strstr(lq_last_error(), "temporary") != NULL);
    }
    CHECK(others_in(dir, NULL) == 0);
    chmod(dir, 0755);
out:
    lq_gguf_free(g);
    free(data);
    iot_rmdir(dir);
}

/* A FIFO, a directory, and links (to a file, to a FIFO, dangling) as the
 * output: refused, and left as they were. */
static void special_files_as_output(void)
{
    char *dir = iot_mkdtemp();
    float *data = data_alloc();
    lq_gguf *g = make_gguf(data);
    CHECK(dir && g);
    if (!dir || !g)
        goto out;
    char fifo[4096], sub[4096], target[4096], link_file[4096], link_fifo[4096], dangling[4096];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(sub, sizeof sub, "%s/sub", dir);
    snprintf(target, sizeof target, "%s/target", dir);
    snprintf(link_file, sizeof link_file, "%s/link_file", dir);
    snprintf(link_fifo, sizeof link_fifo, "%s/link_fifo", dir);
    snprintf(dangling, sizeof dangling, "%s/dangling", dir);
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK(mkdir(sub, 0700) == 0);
    FILE *f = fopen(target, "w");
    CHECK(f && fputs("keep me", f) >= 0);
    if (f)
        fclose(f);
    CHECK(symlink(target, link_file) == 0);
    CHECK(symlink(fifo, link_fifo) == 0);
    CHECK(symlink("nowhere", dangling) == 0);
    struct { const char *path, *kind; mode_t mode; } cases[] = {
        {fifo, "FIFO", S_IFIFO},
        {sub, "directory", S_IFDIR},
        {link_file, "symbolic link", S_IFLNK},
        {link_fifo, "symbolic link", S_IFLNK},
        {dangling, "symbolic link", S_IFLNK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        CHECK_STATUS(lq_gguf_save(NULL, g, cases[i].path), LQ_ERR_IO);
        CHECKF(strstr(lq_last_error(), cases[i].kind) != NULL, "%s: %s", cases[i].path,
               lq_last_error());
        struct stat sb;
        CHECK(lstat(cases[i].path, &sb) == 0 && (sb.st_mode & S_IFMT) == cases[i].mode);
    }
    size_t n;
    unsigned char *kept = iot_read(target, &n);
    CHECK(kept && n == 7 && memcmp(kept, "keep me", 7) == 0);
    free(kept);
    CHECK(others_in(dir, NULL) == 6); /* no temporaries */
out:
    lq_gguf_free(g);
    free(data);
    iot_rmdir(dir);
}

/* A device node like /dev/null as the output, made in a temporary folder
 * (never the real one: a writer without the check would replace it). */
static void device_node_as_output(void)
{
    char *dir = iot_mkdtemp();
    float *data = data_alloc();
    lq_gguf *g = make_gguf(data);
    CHECK(dir && g);
    if (!dir || !g)
        goto out;
    char dev[4096];
    snprintf(dev, sizeof dev, "%s/null", dir);
    if (mknod(dev, S_IFCHR | 0600, makedev(1, 3)) != 0) {
        SKIP_CASE("cannot make a device node here (%s)", strerror(errno));
        goto out;
    }
    CHECK_STATUS(lq_gguf_save(NULL, g, dev), LQ_ERR_IO);
    CHECK(strstr(lq_last_error(), "character device") != NULL);
    struct stat sb;
    CHECK(lstat(dev, &sb) == 0 && S_ISCHR(sb.st_mode));
    CHECK(others_in(dir, NULL) == 1); /* no temporaries */
out:
    lq_gguf_free(g);
    free(data);
    iot_rmdir(dir);
}

/* A child saves over the same name again and again; SIGKILL at a random
 * moment; the final name then holds nothing or a complete file. */
static void sigkill_at_random_points(void)
{
    char *dir = iot_mkdtemp();
    float *data = data_alloc();
    lq_gguf *g = make_gguf(data);
    CHECK(dir && g);
    if (!dir || !g)
        goto out;
    const char *path = iot_path(dir, "out.gguf");
    lqt_rng rng = {0x5eed1234u};
    for (int round = 0; round < 12; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            for (;;)
                if (lq_gguf_save(NULL, g, path) != LQ_OK)
                    _exit(3);
        }
        CHECK(pid > 0);
        if (pid <= 0)
            break;
        /* 0..20 ms: a save of 1.5 MiB takes a few ms, so kills land in
         * every phase (open, writes, fsync, rename) */
        struct timespec ts = {0, (long)(lqt_uniform(&rng) * 20e6)};
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        CHECKF(WIFSIGNALED(status), "round %d: the child ended by itself (status %d)", round,
               status);
        CHECKF(access(path, F_OK) != 0 || complete(path, data), "round %d: %s is incomplete",
               round, path);
    }
out:
    lq_gguf_free(g);
    free(data);
    iot_rmdir(dir);
}

/* An output past the step at which the writer starts its background
 * fdatasync (128 MiB, io/file.c): the syncer is there while the file is
 * written and gone after the commit, which leaves the whole file; a full
 * disk after it started stops it too and leaves nothing. */
#define BIG_PIECE ((size_t)1 << 20)
#define BIG_PIECES 130 /* MiB: past 128 */
static void large_output_with_the_syncer(void)
{
    char *dir = iot_mkdtemp();
    unsigned char *piece = malloc(BIG_PIECE);
    CHECK(dir && piece);
    if (!dir || !piece)
        goto out;
    const char *path = iot_path(dir, "big.bin");
    for (int fail_at = 0; fail_at <= BIG_PIECES; fail_at += BIG_PIECES) {
        lq__out o;
        CHECK_STATUS(lq__out_open("test", path, &o), LQ_OK);
        lq__out_fail_write_at(fail_at); /* 0: none; else the last piece's write */
        lq_status st = LQ_OK;
        for (int k = 0; st == LQ_OK && k < BIG_PIECES; k++) {
            memset(piece, k, BIG_PIECE); /* each MiB says which it is */
            st = lq__out_write(&o, piece, BIG_PIECE); /* a whole buffer: one write(2) */
            if (k == BIG_PIECES - 2)
                CHECKF(o.syncer != NULL, "no syncer after %d MiB", k + 1);
        }
        lq__out_fail_write_at(0);
        if (fail_at) {
            CHECK_STATUS(st, LQ_ERR_IO);
            CHECK(o.syncer == NULL && o.fd < 0);
            CHECK(others_in(dir, NULL) == 0);
            continue;
        }
        CHECK_STATUS(st, LQ_OK);
        CHECK_STATUS(lq__out_commit(&o), LQ_OK);
        CHECK(o.syncer == NULL);
        struct stat sb;
        CHECK(stat(path, &sb) == 0 && (size_t)sb.st_size == BIG_PIECES * BIG_PIECE);
        FILE *f = fopen(path, "rb");
        for (int k = 0; f && k < BIG_PIECES; k += 43) { /* a few pieces' first and last bytes */
            unsigned char a = 0, b = 0;
            CHECK(fseek(f, (long)((size_t)k * BIG_PIECE), SEEK_SET) == 0 && fread(&a, 1, 1, f) == 1);
            CHECK(fseek(f, (long)((size_t)(k + 1) * BIG_PIECE - 1), SEEK_SET) == 0 &&
                  fread(&b, 1, 1, f) == 1);
            CHECKF(a == (unsigned char)k && b == (unsigned char)k, "MiB %d: %d %d", k, a, b);
        }
        CHECK(f != NULL);
        if (f)
            fclose(f);
        CHECK(others_in(dir, "big.bin") == 0);
        unlink(path);
    }
out:
    free(piece);
    iot_rmdir(dir);
}

LQT_MAIN(full_disk_at_every_write, read_only_folder, special_files_as_output, device_node_as_output,
         sigkill_at_random_points, large_output_with_the_syncer)
