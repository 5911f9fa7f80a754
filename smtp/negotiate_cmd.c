/* negotiate command: not built yet (placeholder until its issue lands) */
#include <stdio.h>

#include "gateway/commands.h"

int
negotiate_cmd_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ifaxgw negotiate: not implemented yet\n");
    return 70;
}
