/* scan command: `ifaxgw scan --profile NAME [--to ADDR]...` (scanjob.h) */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "conf/snapshot.h"
#include "gateway/cli.h"
#include "gateway/commands.h"
#include "gateway/intake/scanjob.h"
#include "gateway/util/log.h"
#include "scan/scanproc.h"

static void
scan_cmd_usage(FILE *out)
{
    fprintf(out,
            "usage: ifaxgw scan [-c FILE] --profile NAME [--to ADDRESS]...\n"
            "                   [--device SANE-NAME] [--option NAME=VALUE]...\n"
            "                   [--keep-partial] [--spool DIR]\n"
            "       ifaxgw scan [-c FILE] --list\n"
            "       ifaxgw scan [-c FILE] --buttons [--device SANE-NAME]\n\n"
            "Scan every page in the feeder (or the one on the flatbed) with a\n"
            "scan profile of the config, and queue them as one fax job.\n"
            "Recipients: the --to addresses, else the profile's route, else the\n"
            "routes (source \"scan:PROFILE\"). One scan at a time per scanner: a\n"
            "second one is refused as busy.\n\n"
            "  -c FILE         config (default /etc/ifaxgw/ifaxgw.conf, else the\n"
            "                  embedded default)\n"
            "  --profile NAME  scan profile (scan_profiles in the config)\n"
            "  --to ADDRESS    recipient; repeat for more (at most %d)\n"
            "  --device NAME   SANE device, overriding the profile\n"
            "  --option N=V    extra SANE option by name (repeatable)\n"
            "  --keep-partial  on a jam or error, queue the pages scanned so far\n"
            "  --spool DIR     spool directory, overriding the config\n"
            "  --list          list the scanners SANE finds and exit\n"
            "  --buttons       show the scanner's own buttons (what\n"
            "                  scanner.button_profile watches) and exit\n\n"
            "exit: 0 queued, 1 failed (nothing queued unless --keep-partial),\n"
            "      3 scanner busy, 2 usage\n",
            SCANJOB_MAX_TO);
}

static void
scan_cmd_progress(void *arg, int pages)
{
    (void)arg;
    fprintf(stderr, "ifaxgw scan: page %d scanned\n", pages);
}

static int
scan_cmd_list(void)
{
    char out[8192];
    struct errbuf why;

    if (scan_global_init(&why) == -1 || scan_list_devices(out, sizeof out,
                                                          &why) == -1) {
        fprintf(stderr, "ifaxgw scan: %s\n", why.text);
        return 1;
    }
    fputs(out[0] ? out : "no scanner found\n", stdout);
    scan_global_exit();
    return 0;
}

/* --buttons: one line per button, "NAME pressed|released". */
static int
scan_cmd_buttons(const char *conf, const char *device)
{
    struct config *cf = cli_config_load(conf);
    struct scan_opts o = {0};
    struct scan_buttons b;
    struct scan_report rep;
    struct errbuf why;
    int rc = 1;

    if (cf == NULL)
        return 1;
    /* read as the daemon's watcher reads them: in a reader process */
    o.device = device ? device : cf->scanner_device;
    o.stall_s = cf->scanner_stall_s;
    o.close_s = cf->scanner_close_s;
    if (scanproc_buttons(&o, &b, &rep, &why) == 0) {
        for (int i = 0; i < b.n; i++)
            printf("%s %s\n", b.name[i],
                   b.pressed[i] ? "pressed" : "released");
        if (b.n == 0)
            printf("no buttons\n");
        rc = 0;
    } else
        fprintf(stderr, "ifaxgw scan: %s\n", why.text);
    config_free(cf);
    return rc;
}

static int
scan_cmd_do(struct scanjob_req *req, const char *conf, const char *spool,
            const char *profile)
{
    struct config *cf = cli_config_load(conf);
    struct scanjob_result res;
    struct errbuf why;
    struct queue *q;
    int rc;

    if (cf == NULL)
        return 1;
    req->profile = config_profile_find(cf, profile);
    if (req->profile == NULL) {
        fprintf(stderr, "ifaxgw scan: no scan profile '%s' in %s\n", profile,
                cf->file);
        config_free(cf);
        return 1;
    }
    snapshot_swap(cf); /* the router reads the config in force */
    q = cli_queue_open(cf, spool, false);
    if (q == NULL) { /* the scan itself runs in a reader (scanjob) */
        snapshot_swap(NULL);
        return 1;
    }
    rc = scanjob_run(q, cf, req, &res, &why);
    if (res.job_id[0])
        printf("queued job %s: %d page(s)%s\n", res.job_id, res.pages,
               res.scan.result == SCAN_OK ? "" : " (partial)");
    if (res.scan.reader_killed) {
        char dev[sizeof res.scan.device * 4];

        fprintf(stderr, "ifaxgw scan: warning: the scanner's backend hung "
                        "after the scan (%s); its process was killed\n",
                log_esc(dev, sizeof dev, res.scan.device));
    }
    if (rc == -1 || res.scan.result != SCAN_OK)
        fprintf(stderr, "ifaxgw scan: %s: %s\n",
                scan_result_name(res.scan.result), why.text);
    queue_close(q);
    snapshot_swap(NULL);
    if (rc == -1)
        return res.scan.result == SCAN_BUSY ? 3 : 1;
    return 0;
}

int
scan_cmd_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"profile", required_argument, NULL, 'p'},
        {"to", required_argument, NULL, 't'},
        {"device", required_argument, NULL, 'd'},
        {"option", required_argument, NULL, 'o'},
        {"keep-partial", no_argument, NULL, 'k'},
        {"spool", required_argument, NULL, 's'},
        {"list", no_argument, NULL, 'l'},
        {"buttons", no_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct scanjob_req req = {.progress = scan_cmd_progress};
    const char *conf = NULL, *spool = NULL, *profile = NULL;
    size_t nto = 0, nextra = 0;
    bool list = false, buttons = false;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': conf = optarg; break;
        case 'p': profile = optarg; break;
        case 'd': req.device = optarg; break;
        case 's': spool = optarg; break;
        case 'k': req.keep_partial = true; break;
        case 'l': list = true; break;
        case 'b': buttons = true; break;
        case 't':
            if (nto + 1 >= SCANJOB_MAX_TO)
                return fprintf(stderr, "ifaxgw scan: too many --to\n"), 2;
            req.to[nto++] = optarg;
            break;
        case 'o':
            if (nextra + 1 >= SCAN_MAX_EXTRA)
                return fprintf(stderr, "ifaxgw scan: too many --option\n"), 2;
            req.extra[nextra++] = optarg;
            break;
        case 'h': scan_cmd_usage(stdout); return 0;
        default: scan_cmd_usage(stderr); return 2;
        }
    }
    if (list)
        return scan_cmd_list();
    if (buttons)
        return optind == argc ? scan_cmd_buttons(conf, req.device)
                              : (scan_cmd_usage(stderr), 2);
    if (profile == NULL || optind != argc) {
        scan_cmd_usage(stderr);
        return 2;
    }
    return scan_cmd_do(&req, conf, spool, profile);
}
