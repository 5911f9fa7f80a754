/* scan command: not built yet (placeholder until its issue lands) */
#include <stdio.h>

#include "gateway/commands.h"

int
scan_cmd_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ifaxgw scan: not implemented yet\n");
    return 70;
}
