/* submit command: `ifaxgw submit [--to ADDR]... FILE...` (submit.h) */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "conf/snapshot.h"
#include "gateway/cli.h"
#include "gateway/commands.h"
#include "gateway/intake/docimport.h"
#include "gateway/intake/submit.h"
#include "gateway/util/log.h"

static void
submit_cmd_usage(FILE *out)
{
    fprintf(out,
            "usage: ifaxgw submit [-c FILE] [--to ADDRESS]... [--caller N]\n"
            "                     [--called N] [--csid TEXT] [--line NAME]\n"
            "                     [--subject TEXT] [--partial REASON]\n"
            "                     [--spool DIR] FILE...\n\n"
            "Queue documents received elsewhere (HylaFAX, Asterisk, a\n"
            "printer) as one fax job, committed durably like a received fax.\n"
            "FILE: TIFF (MH, MR, MMR, JBIG, uncompressed; any resolution),\n"
            "PDF or PostScript (rendered at 204x196 by Ghostscript), PBM or\n"
            "PNG (one page per image). Pages off the fax grid are brought to\n"
            "it; pages on it keep their pixels. Recipients: the --to\n"
            "addresses (with a route's delivery settings for them), else the\n"
            "routes, matched on --line, --called, --caller and --csid exactly\n"
            "as for a call (`ifaxgw route` with the same options explains it).\n\n"
            "  -c FILE         config (default /etc/ifaxgw/ifaxgw.conf, else the\n"
            "                  embedded default)\n"
            "  --to ADDRESS    recipient; repeat for more (at most %d)\n"
            "  --caller N      caller ID of the original call\n"
            "  --called N      called number (DID) of the original call\n"
            "  --csid TEXT     the sender's station identity\n"
            "  --line NAME     the line (source) the routes see\n"
            "  --subject TEXT  mail subject instead of the route's\n"
            "  --partial REASON  the original call ended early: the job is\n"
            "                  marked partial (pages so far), with REASON\n"
            "  --spool DIR     spool directory, overriding the config\n\n"
            "exit: 0 queued (\"queued job ID: N page(s)\" on stdout),\n"
            "      1 refused (nothing queued; the reason on stderr), 2 usage\n",
            SUBMIT_MAX_TO - 1);
}

/* The record of one file in meta.json: its name, kind and what changed. */
static json_t *
submit_cmd_file_json(const char *path, const struct docimport_file *f)
{
    char name[512];

    return json_pack("{s:s, s:s, s:i, s:i, s:i, s:i}", "file",
                     log_esc(name, sizeof name, path), "kind",
                     docimport_kind_name(f->kind), "pages", f->pages,
                     "resampled", f->resampled, "rewidthed", f->rewidthed,
                     "turned", f->turned);
}

/* Every FILE into doc, in order; the record gets one entry per file. */
static int
submit_cmd_import(char **files, int n, struct page_doc *doc, json_t *list)
{
    for (int i = 0; i < n; i++) {
        struct docimport_file f;
        struct errbuf why;
        char e[512];

        errbuf_clear(&why);
        if (docimport_add(doc, files[i], &f, &why) == -1) {
            fprintf(stderr, "ifaxgw submit: %s: %s%s%s\n",
                    log_esc(e, sizeof e, files[i]),
                    f.kind != DOCIMPORT_UNKNOWN ? docimport_kind_name(f.kind)
                                                : "",
                    f.kind != DOCIMPORT_UNKNOWN ? ": " : "", why.text);
            return -1;
        }
        printf("%s: %s, %d page(s)", log_esc(e, sizeof e, files[i]),
               docimport_kind_name(f.kind), f.pages);
        if (f.resampled)
            printf(", %d resampled to the fax grid", f.resampled);
        if (f.rewidthed)
            printf(", %d centred in the fax width", f.rewidthed);
        if (f.turned)
            printf(", %d landscape turned to portrait", f.turned);
        printf("\n");
        json_array_append_new(list, submit_cmd_file_json(files[i], &f));
    }
    return 0;
}

static int
submit_cmd_do(struct submit_req *req, const char *conf, const char *spool,
              char **files, int nfiles)
{
    struct config *cf = cli_config_load(conf);
    struct page_doc *doc = page_doc_new();
    json_t *list = json_array();
    char id[JOB_ID_MAX], e[200];
    struct errbuf why;
    struct queue *q = NULL;
    const struct config *inforce = NULL;
    int pages = 0, rc = 1;

    if (cf == NULL)
        goto out;
    if (req->line != NULL && config_line_find(cf, req->line) == NULL)
        fprintf(stderr, "ifaxgw submit: note: the config has no line '%s' "
                        "(routes see it as the source all the same)\n",
                log_esc(e, sizeof e, req->line));
    if (submit_cmd_import(files, nfiles, doc, list) == -1)
        goto out;
    snapshot_swap(cf); /* the routes read the config in force; it owns cf */
    inforce = cf;
    cf = NULL;
    q = cli_queue_open(inforce, spool, false);
    if (q == NULL)
        goto out;
    req->doc = doc;
    req->record = json_pack("{s:s, s:O}", "via", "ifaxgw submit", "files", list);
    errbuf_clear(&why);
    if (submit_commit(q, req, id, &pages, &why) == -1) {
        fprintf(stderr, "ifaxgw submit: nothing queued: %s\n", why.text);
        goto out;
    }
    printf("queued job %s: %d page(s)\n", id, pages);
    rc = 0;
out:
    queue_close(q);
    if (inforce != NULL)
        snapshot_swap(NULL);
    config_free(cf);
    json_decref(list);
    page_doc_free(doc);
    return rc;
}

int
submit_cmd_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"to", required_argument, NULL, 't'},
        {"caller", required_argument, NULL, 'f'},
        {"called", required_argument, NULL, 'n'},
        {"csid", required_argument, NULL, 'i'},
        {"line", required_argument, NULL, 'l'},
        {"subject", required_argument, NULL, 'S'},
        {"partial", required_argument, NULL, 'P'},
        {"spool", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct submit_req req = {.source = "submit"};
    const char *conf = NULL, *spool = NULL;
    size_t nto = 0;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': conf = optarg; break;
        case 'f': req.caller = optarg; break;
        case 'n': req.called = optarg; break;
        case 'i': req.csid = optarg; break;
        case 'l': req.line = optarg; break;
        case 'S': req.subject = optarg; break;
        case 'P': req.partial_reason = optarg; break;
        case 's': spool = optarg; break;
        case 't':
            if (nto + 1 >= SUBMIT_MAX_TO)
                return fprintf(stderr, "ifaxgw submit: too many --to\n"), 2;
            req.to[nto++] = optarg;
            break;
        case 'h': submit_cmd_usage(stdout); return 0;
        default: submit_cmd_usage(stderr); return 2;
        }
    }
    if (optind == argc) {
        fprintf(stderr, "ifaxgw submit: no FILE given\n");
        submit_cmd_usage(stderr);
        return 2;
    }
    return submit_cmd_do(&req, conf, spool, argv + optind, argc - optind);
}
