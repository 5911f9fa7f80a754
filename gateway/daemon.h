/*
 * daemon - `ifaxgw run`: every part of the gateway in one process
 *
 * Loads the config (conf/snapshot), opens the spool as its one daemon
 * (recovering what a crash left), then starts a thread per fax line, the
 * scan worker, the delivery workers and the web server, opening devices and
 * the listening port before dropping privileges to gateway.user; before
 * the drop it hands the whole spool tree (every state directory, job and
 * file) to that user, never following a symlink below the top (see
 * docs/architecture.md, "Privileges and paths"). The main
 * thread owns the signals: SIGHUP reloads (a bad config is rejected with
 * its errors and the old one stays), SIGTERM/SIGINT stop gracefully (no new
 * call is answered, calls in progress finish, delivery sessions end, then
 * exit). Housekeeping on the main thread: picking up CLI changes to the
 * spool, purging old jobs. Logs go to stderr (journald-friendly, log.h).
 * Threads: daemon_cmd_main() runs on the process's main thread only.
 */
#ifndef IFAXGW_GATEWAY_DAEMON_H
#define IFAXGW_GATEWAY_DAEMON_H

#include "gateway/commands.h"

#endif
