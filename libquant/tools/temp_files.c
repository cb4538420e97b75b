/* temp_files.c — temporary files removed on Ctrl-C (temp_files.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "temp_files.h"

#define PATH_CAP 1024

/* Written by the main thread only while the slot is unused (the handler
 * skips it), read by the handler. */
static char paths[LQ_TOOL_TEMP_MAX][PATH_CAP];
static volatile sig_atomic_t used[LQ_TOOL_TEMP_MAX];
static volatile sig_atomic_t pending;
static const int caught[] = {SIGINT, SIGTERM, SIGHUP};

static void remove_listed(void)
{
    for (int i = 0; i < LQ_TOOL_TEMP_MAX; i++)
        if (used[i])
            unlink(paths[i]); /* async-signal-safe */
}

static void on_signal(int sig)
{
    remove_listed();
    if (pending) { /* a second signal: no more waiting for the library to stop */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    pending = sig;
}

bool lq_tool_temp_create(const char *prefix, const char *suffix, char *path, size_t cap)
{
    path[0] = 0;
    int slot = 0;
    while (slot < LQ_TOOL_TEMP_MAX && used[slot])
        slot++;
    if (slot == LQ_TOOL_TEMP_MAX)
        return false;
    char *p = paths[slot];
    const char *dir = getenv("TMPDIR");
    int n = snprintf(p, PATH_CAP, "%s/%s-XXXXXX%s", dir && *dir ? dir : "/tmp", prefix, suffix);
    if (n < 0 || n >= PATH_CAP || (size_t)n >= cap)
        return false;
    int fd = mkstemps(p, (int)strlen(suffix));
    if (fd < 0)
        return false;
    close(fd);
    used[slot] = 1; /* listed only once the name is complete */
    memcpy(path, p, (size_t)n + 1);
    return true;
}

void lq_tool_temp_remove(char *path)
{
    for (int i = 0; path[0] && i < LQ_TOOL_TEMP_MAX; i++) {
        if (used[i] && strcmp(paths[i], path) == 0) {
            used[i] = 0;
            unlink(path);
        }
    }
    path[0] = 0;
}

void lq_tool_temp_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof caught / sizeof *caught; i++)
        sigaction(caught[i], &sa, NULL);
}

int lq_tool_temp_signalled(void)
{
    return pending;
}

void lq_tool_temp_reraise(void)
{
    int sig = pending;
    if (!sig)
        return;
    remove_listed();
    signal(sig, SIG_DFL);
    raise(sig);
}
