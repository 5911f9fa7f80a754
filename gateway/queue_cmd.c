/* queue command: not built yet (placeholder until its issue lands) */
#include <stdio.h>

#include "gateway/commands.h"

int
queue_cmd_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ifaxgw queue: not implemented yet\n");
    return 70;
}
