/*
 * cli - what every subcommand does the same way
 *
 * cli_config_load(): the -c FILE rule of every command: the file given;
 * else /etc/ifaxgw/ifaxgw.conf when it exists; else the embedded default
 * (conf/config.h config_default()), saying so on stderr. Problems are
 * printed to stderr as "file:line: problem", one per line, and NULL is
 * returned. Also: open the spool of a config as a queue client.
 * Threads: main thread of a command (prints to stderr).
 */
#ifndef IFAXGW_GATEWAY_CLI_H
#define IFAXGW_GATEWAY_CLI_H

#include <stdbool.h>

#include "conf/config.h"
#include "gateway/spool/queue.h"

/* Caller frees with config_free(). path may be NULL. */
struct config *cli_config_load(const char *path);

/* A queue on cf's spool (or spool_override) with cf's retry policy and the
 * routes as its router (gateway/spool/router.h reads the snapshot: put cf
 * in force with snapshot_swap() first); daemon false = a client of a
 * running daemon's spool. Prints the error. */
struct queue *cli_queue_open(const struct config *cf, const char *spool_override,
                             bool daemon);

#endif
