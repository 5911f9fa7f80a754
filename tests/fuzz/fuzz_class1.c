/* fuzz_class1 - the Class 1 modem byte parser on hostile modem output */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "t30/class1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct sink {
    size_t bytes;
    const uint8_t *modes; /* next mode per line, taken from the input */
    size_t nmodes, i;
};

static enum class1_mode
on_event(void *arg, const struct class1_event *ev)
{
    struct sink *s = arg;
    struct class1_callinfo ci;

    s->bytes += ev->len;
    if (ev->ev != CLASS1_EV_LINE)
        return CLASS1_MODE_LINES;
    if (strlen(ev->text) != ev->len)
        __builtin_trap(); /* a line never holds a NUL */
    (void)class1_result_parse(ev->text);
    memset(&ci, 0, sizeof ci);
    (void)class1_callinfo_parse(ev->text, &ci);
    if (s->nmodes == 0)
        return CLASS1_MODE_LINES;
    return (enum class1_mode)(s->modes[s->i++ % s->nmodes] % 3);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct class1_parser p;
    struct sink s = {0};
    uint8_t out[2 * 64 + 2];
    size_t k = size < 8 ? size : 8;

    s.modes = data;
    s.nmodes = k;
    class1_parser_init(&p);
    /* feed in two pieces: splits must not change the result */
    class1_feed(&p, data + k, (size - k) / 2, on_event, &s);
    class1_feed(&p, data + k + (size - k) / 2, size - k - (size - k) / 2,
                on_event, &s);
    if (class1_frame_stuff(data, size < 64 ? size : 64, out, sizeof out) == 0)
        __builtin_trap();
    return 0;
}
