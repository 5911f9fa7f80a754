/* fuzz_ladder - the T.30 ladder decoder (t30/ladder) on hostile frames:
 * the input is split into frames by a length byte each; every step's text
 * must stay terminated and printable ASCII (it goes to pages and logs) */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "t30/ladder.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ladder ld;
    struct ladder_step st;
    size_t i = 0;

    ladder_init(&ld);
    while (i < size) {
        size_t n = data[i++] % 72; /* up to a kept frame and a bit */

        if (n > size - i)
            n = size - i;
        ladder_frame(&ld, data + i, n, n % 2 == 0, 1 + (uint32_t)(n % 3), &st);
        if (strnlen(st.text, sizeof st.text) == sizeof st.text)
            __builtin_trap();
        for (const char *p = st.text; *p; p++)
            if (*p < 0x20 || *p > 0x7e)
                __builtin_trap();
        if (st.name == NULL || st.level == NULL)
            __builtin_trap();
        i += n;
    }
    return 0;
}
