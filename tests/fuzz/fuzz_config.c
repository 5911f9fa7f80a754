/* fuzz_config - libFuzzer target for config_load_string (conf/config.h) */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "conf/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct config_errors errs; /* ~20 KiB, one fuzzer thread */
    struct route_query q = {.line = "fax1",
                            .called = "100",
                            .caller = "555",
                            .csid = "ACME 1",
                            .minute_of_day = 600};
    struct route_vars v = {.csid = "a\r\nb", .pages = 2};
    char *text, why[ROUTE_WHY_MAX], subject[CONFIG_SUBJECT_MAX + 1];
    struct config *cf;
    const struct config_route *r;

    if (size > 64 * 1024)
        return 0;
    text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    cf = config_load_string(text, "fuzz.conf", &errs);
    free(text);
    for (int i = 0; i < errs.count; i++)
        if (strncmp(errs.msg[i], "fuzz.conf:", 10) != 0 ||
            strpbrk(errs.msg[i], "\r\n") != NULL)
            abort(); /* every problem is one "file:line: ..." line */
    if (cf == NULL) {
        if (errs.count == 0)
            abort(); /* a failed load always says why */
        return 0;
    }
    r = route_match(cf, &q, why, sizeof why);
    if (r != NULL && r->subject != NULL) {
        route_subject(r, &v, subject, sizeof subject);
        if (strpbrk(subject, "\r\n") != NULL)
            abort();
    }
    config_free(cf);
    return 0;
}
