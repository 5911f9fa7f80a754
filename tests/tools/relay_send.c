/*
 * relay_send - drive smtp/relay for integration tests: compose a fax
 * message around a document with smtp/mime and submit it N times in one
 * relay session. Prints one line per message and the transcript on stderr.
 * Exit: 0 all accepted, 1 a temporary failure, 2 a permanent one, 3 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "gateway/util/errbuf.h"
#include "smtp/mime.h"
#include "smtp/relay.h"

static void
transcript(void *arg, const char *line)
{
    (void)arg;
    fprintf(stderr, "%s\n", line);
}

static unsigned char *
slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;

    if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0) {
        if (fp)
            fclose(fp);
        return NULL;
    }
    buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        free(buf);
        fclose(fp);
        return NULL;
    }
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static int
parse_enum(const char *v, const char *const *names, int n)
{
    int i;

    for (i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0)
            return i;
    return -1;
}

int
main(int argc, char **argv)
{
    static const char *const tls_names[] = {"none", "opportunistic",
                                            "required"};
    static const char *const auth_names[] = {"none", "plain", "login",
                                             "xoauth2"};
    struct relay_opts o = {0};
    struct smtp_timeouts t;
    const char *from = "ifaxgw@gw.test", *to = NULL, *doc = NULL;
    int i, count = 1, rc = 0, timeout = 30, v;
    bool pdf = false;
    unsigned char *data;
    size_t len;
    struct relay *r;
    struct errbuf why;

    o.tls = CONFIG_TLS_REQUIRED;
    o.auth = CONFIG_AUTH_PLAIN;
    o.helo_name = "gw.test";
    for (i = 1; i + 1 < argc || (i < argc && !strcmp(argv[i], "--pdf")); i++) {
        const char *k = argv[i], *val = argv[i + 1];

        if (!strcmp(k, "--pdf")) {
            pdf = true;
            continue;
        }
        i++;
        if (!strcmp(k, "--host"))
            o.host = val;
        else if (!strcmp(k, "--port"))
            o.port = atoi(val);
        else if (!strcmp(k, "--user"))
            o.user = val;
        else if (!strcmp(k, "--password"))
            o.password = val;
        else if (!strcmp(k, "--token"))
            o.bearer = val;
        else if (!strcmp(k, "--ca"))
            o.ca_file = val;
        else if (!strcmp(k, "--from"))
            from = val;
        else if (!strcmp(k, "--to"))
            to = val;
        else if (!strcmp(k, "--doc"))
            doc = val;
        else if (!strcmp(k, "--count"))
            count = atoi(val);
        else if (!strcmp(k, "--timeout"))
            timeout = atoi(val);
        else if (!strcmp(k, "--tls") &&
                 (v = parse_enum(val, tls_names, 3)) >= 0)
            o.tls = (enum config_tls)v;
        else if (!strcmp(k, "--auth") &&
                 (v = parse_enum(val, auth_names, 4)) >= 0)
            o.auth = (enum config_auth)v;
        else {
            fprintf(stderr, "relay_send: bad option %s\n", k);
            return 3;
        }
    }
    if (o.host == NULL || to == NULL || doc == NULL ||
        (data = slurp(doc, &len)) == NULL) {
        fprintf(stderr, "usage: relay_send --host H --port P --to A --doc F "
                        "[--tls T] [--auth A] [--user U] [--password P] "
                        "[--token T] [--ca F] [--count N] [--pdf]\n");
        return 3;
    }
    for (i = 0; i < SMTP_STEP_COUNT; i++)
        t.secs[i] = timeout;
    o.timeouts = &t;
    o.transcript = transcript;
    r = relay_open(&o, &why);
    if (r == NULL) {
        printf("result=perm open: %s\n", why.text);
        free(data);
        return 2;
    }
    for (i = 0; i < count; i++) {
        const char *rcpts[1] = {to};
        char msgid[64];
        struct mime_fax f = {0};
        struct mime_msg *m;
        struct relay_result res;

        snprintf(msgid, sizeof msgid, "relay-test.%d@gw.test", i);
        f.from = from;
        f.to = rcpts;
        f.nto = 1;
        f.message_id = msgid;
        f.date_s = 1795000000;
        f.subject = "Fax from relay_send";
        f.csid = "+1 555 0100";
        f.pages = 1;
        f.doc_type = pdf ? MIME_DOC_PDF : MIME_DOC_TIFF_FAXBW;
        f.doc = data;
        f.doc_len = len;
        m = mime_fax_new(&f, &why);
        if (m == NULL) {
            printf("result=perm mime: %s\n", why.text);
            rc = 2;
            break;
        }
        errbuf_clear(&why);
        if (relay_send(r, from, to, m, &res, &why) == 0) {
            printf("result=ok code=%d status=%s dup=0 text=%s\n", res.code,
                   res.status, res.text);
        } else {
            printf("result=%s code=%d status=%s dup=%d why=%s\n",
                   why.cls == ERR_PERM ? "perm" : "temp", res.code, why.status,
                   res.possible_duplicate ? 1 : 0, why.text);
            if (rc == 0 || why.cls == ERR_PERM)
                rc = why.cls == ERR_PERM ? 2 : 1;
        }
        mime_free(m);
    }
    relay_close(r);
    free(data);
    return rc;
}
