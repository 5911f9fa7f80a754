/*
 * commands - the ifaxgw subcommands
 *
 * Each subcommand is one function with main()'s signature, living in the
 * module that owns its subject: its file's prefix names it. gateway/main.c
 * dispatches on argv[1]; every command handles --help itself and returns an
 * exit status (0 ok, 1 failure, 2 usage; commands document others).
 */
#ifndef IFAXGW_GATEWAY_COMMANDS_H
#define IFAXGW_GATEWAY_COMMANDS_H

int daemon_cmd_main(int argc, char **argv);       /* run: gateway/daemon.c */
int config_cmd_check(int argc, char **argv);      /* check-config: conf/ */
int config_cmd_route(int argc, char **argv);      /* route: conf/ */
int queue_cmd_main(int argc, char **argv);        /* queue ...: gateway/ */
int negotiate_cmd_main(int argc, char **argv);    /* negotiate: smtp/ */
int probe_cmd_main(int argc, char **argv);        /* probe: smtp/ */
int deliver_cmd_main(int argc, char **argv);      /* deliver: smtp/ (one pass) */
int receive_cmd_main(int argc, char **argv);      /* receive: gateway/ */
int calllog_cmd_main(int argc, char **argv);      /* calls: gateway/ */
int scan_cmd_main(int argc, char **argv);         /* scan: gateway/ */
int page_cmd_main(int argc, char **argv);         /* convert: gateway/ */
int submit_cmd_main(int argc, char **argv);       /* submit: gateway/ */
int announce_cmd_main(int argc, char **argv);     /* announce: gateway/ */
int scanproc_reader_main(int argc, char **argv);  /* scan-reader: scan/ */

#endif
