/* receive command: not built yet (placeholder until its issue lands) */
#include <stdio.h>

#include "gateway/commands.h"

int
receive_cmd_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ifaxgw receive: not implemented yet\n");
    return 70;
}
