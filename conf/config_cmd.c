/* check-config and route commands: not built yet (placeholder) */
#include <stdio.h>

#include "gateway/commands.h"

int
config_cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ifaxgw check-config: not implemented yet\n");
    return 70;
}

int
config_cmd_route(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ifaxgw route: not implemented yet\n");
    return 70;
}
