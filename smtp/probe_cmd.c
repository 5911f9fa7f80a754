/* probe command: not built yet (placeholder until its issue lands) */
#include <stdio.h>

#include "gateway/commands.h"

int
probe_cmd_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ifaxgw probe: not implemented yet\n");
    return 70;
}
