/* Fuzz target: `komekctl import` readers (app/import_telegram.c, app/import.c): format
 * detection, the Telegram Desktop export (result.json, yajl's streaming parser) and JSON
 * lines, read from a memory stream. Every post handed to the sink must keep the post
 * invariants (fz_check_post), carry the import's source name, and the counts must add up. */
#include "app/import.h"
#include "app/import_telegram.h"
#include "test/fuzz/fuzz.h"

static int sink(void *ctx, struct km_post_batch *b, struct km_err *err)
{
    (void)err;
    size_t *posts = ctx;
    for (size_t i = 0; i < b->n; i++) {
        fz_check_post(b->posts[i]);
        fz_check(b->posts[i]->source != NULL && strcmp(b->posts[i]->source, "fuzz") == 0,
                 "post without the import's source");
    }
    *posts += b->n;
    return KM_OK;
}

static void read_as(const uint8_t *data, size_t size, enum km_import_format fmt)
{
    FILE *f = fmemopen((void *)data, size, "rb");
    fz_check(f != NULL, "fmemopen");
    size_t posts = 0;
    struct km_import_opts o = {.source = "fuzz",
                               .label = "in.json",
                               .batch_size = 3,
                               .collected_at = 1795372861000LL,
                               .sink = sink,
                               .sink_ctx = &posts};
    struct km_import_stats st = {0};
    struct km_err err = {{0}};
    int rc = fmt == KM_IMPORT_TELEGRAM ? km_import_telegram(f, &o, &st, &err)
                                       : km_import_jsonl(f, &o, &st, &err);
    fz_check(rc == KM_OK || rc == KM_EINPUT, "rc %d: %s", rc, err.msg);
    fz_check(st.skipped <= st.read, "skipped %zu of %zu", st.skipped, st.read);
    fz_check(rc != KM_OK || posts == st.read - st.skipped, "%zu posts, read %zu skipped %zu", posts,
             st.read, st.skipped);
    fclose(f);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0; /* fmemopen refuses a zero-sized buffer */
    }
    FILE *f = fmemopen((void *)data, size, "rb");
    fz_check(f != NULL, "fmemopen");
    enum km_import_format fmt = KM_IMPORT_AUTO;
    struct km_err err = {{0}};
    int rc = km_import_detect(f, "in.json", &fmt, &err);
    fz_check(rc == KM_OK || rc == KM_EINPUT, "detect rc %d: %s", rc, err.msg);
    fz_check(rc != KM_OK || fmt == KM_IMPORT_TELEGRAM || fmt == KM_IMPORT_JSONL, "format %d",
             (int)fmt);
    fclose(f);
    read_as(data, size, KM_IMPORT_TELEGRAM);
    read_as(data, size, KM_IMPORT_JSONL);
    return 0;
}
