/* temp_files.h — the tool's temporary files, removed on exit and on Ctrl-C.
 *
 * A file is made as $TMPDIR/PREFIX-XXXXXXSUFFIX (recognisable as ours) and
 * entered in a fixed list. After lq_tool_temp_catch_signals, the first SIGINT,
 * SIGTERM or SIGHUP removes the listed files (the handler does only that and
 * records the signal: async-signal-safe) and asks for a stop: the progress
 * callbacks return non-zero, so the library cancels and removes its own
 * temporary output, and the command then calls lq_tool_temp_reraise, which
 * dies of the signal as the shell expects. A second signal dies at once. */
#ifndef LQ_TOOLS_TEMP_FILES_H
#define LQ_TOOLS_TEMP_FILES_H

#include <stdbool.h>
#include <stddef.h>

#define LQ_TOOL_TEMP_MAX 8 /* files listed at once */

/* Create an empty temporary file and list it; path gets its name. False (and
 * path "") when it cannot be made or the list is full. */
bool lq_tool_temp_create(const char *prefix, const char *suffix, char *path, size_t cap);
/* Remove a file made by lq_tool_temp_create and unlist it; path becomes "". */
void lq_tool_temp_remove(char *path);

void lq_tool_temp_catch_signals(void);
/* The signal that asked for a stop, or 0. */
int lq_tool_temp_signalled(void);
/* When a signal asked for a stop: remove what is listed and die of it. */
void lq_tool_temp_reraise(void);

#endif
