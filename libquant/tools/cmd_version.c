/* cmd_version.c — lq version: versions of the tool's header and the library. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tool.h"

int lq_cmd_version(int argc, char **argv)
{
    if (argc > 1) {
        if (strcmp(argv[1], "--help") == 0) {
            printf("usage: lq version\n\nPrints the library version and build information.\n");
            return 0;
        }
        return lq_tool_usage_error("version", "unexpected argument '%s'", argv[1]);
    }
    printf("lq %s (library %s)\n%s\n", LQ_VERSION_STRING, lq_version_string(), lq_build_info());
    return 0;
}
