/* main - ifaxgw's entry point: dispatch to a subcommand (gateway/commands.h) */
#include <stdio.h>
#include <string.h>

#include "gateway/commands.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"run", daemon_cmd_main, "run the gateway daemon (lines, scanner, delivery, web)"},
    {"check-config", config_cmd_check, "validate a config file and list every problem"},
    {"route", config_cmd_route, "show which route a call would take, and why"},
    {"queue", queue_cmd_main, "list, show, retry or delete jobs in the spool"},
    {"calls", calllog_cmd_main, "the call log: every call, answered or not, and its T.30 ladder"},
    {"receive", receive_cmd_main, "receive one fax from 8 kHz audio into the spool"},
    {"scan", scan_cmd_main, "scan pages with a scan profile into the spool"},
    {"submit", submit_cmd_main, "queue TIFF, PDF, PostScript, PBM or PNG documents as a fax job"},
    {"announce", announce_cmd_main, "tell an AudioSocket line who calls (UUID, caller, called)"},
    {"negotiate", negotiate_cmd_main, "parse a CONNEG capability and show the chosen output"},
    {"probe", probe_cmd_main, "ask a recipient for its capabilities; send nothing"},
    {"deliver", deliver_cmd_main, "run one delivery pass over the queue and exit"},
    {"convert", page_cmd_main, "convert a TIFF to another coding, PDF or PNG"},
    {"scan-reader", scanproc_reader_main, "(internal) one SANE scan for `scan` and `run`"},
};

static void
usage(FILE *out)
{
    fprintf(out, "usage: ifaxgw COMMAND [OPTIONS]   (ifaxgw COMMAND --help for each)\n\n"
                 "Internet-fax gateway: fax line, scanner and documents in, SMTP with CONNEG out.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ifaxgw 0.1.0\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ifaxgw: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
