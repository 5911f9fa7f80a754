/* libFuzzer target for smtp/smtp_reply: arbitrary bytes as a peer's reply */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/util/errbuf.h"
#include "smtp/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct smtp_reply reply;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct errbuf why;
    const char *p = (const char *)data;
    size_t i = 0;

    /* as a whole buffer */
    if (smtp_reply_parse(&reply, p, size, &why) == 0) {
        if (reply.code < 200 || reply.code > 599 ||
            reply.len >= SMTP_REPLY_MAX || strlen(reply.text) != reply.len)
            __builtin_trap();
        smtp_reply_error(&reply, &why, "fuzz");
    }
    /* line by line, as smtp_client feeds it */
    smtp_reply_init(&reply);
    while (i < size) {
        const char *nl = memchr(p + i, '\n', size - i);
        size_t n = nl ? (size_t)(nl - (p + i)) : size - i;
        if (smtp_reply_add(&reply, p + i, n, &why) == 1 &&
            reply.status[0] != '\0' &&
            reply.status[0] != '0' + reply.code / 100)
            __builtin_trap();
        i += n + 1;
    }
    return 0;
}
