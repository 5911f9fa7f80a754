/* fuzz_docimport - libFuzzer target for the readers of documents handed in
 * with `ifaxgw submit` (gateway/intake/docimport: kind sniffing, the PBM
 * parser, PNG through page_png_read, TIFF, and each page's normalisation to
 * the fax grid). PDF and PostScript are left out: they go to Ghostscript, a
 * process of its own. Seeds: tests/data/fuzz/fuzz_docimport/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gateway/intake/docimport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* docimport reads files: one per process, rewritten for every input */
static char fuzz_path[64];

static void
fuzz_docimport_cleanup(void)
{
    (void)unlink(fuzz_path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum docimport_kind k = docimport_sniff(data, size);
    struct page_doc *doc;
    struct docimport_file info;
    struct errbuf why;
    FILE *f;

    if (k == DOCIMPORT_PDF || k == DOCIMPORT_PS || size > (1u << 20))
        return 0;
    if (fuzz_path[0] == '\0') {
        int fd;

        snprintf(fuzz_path, sizeof fuzz_path, "/tmp/fuzz_docimport-XXXXXX");
        fd = mkstemp(fuzz_path);
        if (fd == -1)
            abort();
        close(fd);
        atexit(fuzz_docimport_cleanup);
    }
    f = fopen(fuzz_path, "wb");
    if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        abort();
    doc = page_doc_new();
    if (docimport_add(doc, fuzz_path, &info, &why) == 0 &&
        page_doc_count(doc) != info.pages)
        abort(); /* every page reported is in the document */
    page_doc_free(doc);
    return 0;
}
