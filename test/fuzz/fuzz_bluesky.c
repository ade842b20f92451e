/* Fuzz target: the Bluesky collector (login, refresh, searchPosts), driven by
 * test/fuzz/fuzz_collector.h. */
#include "test/fuzz/fuzz_collector.h"

extern const struct km_collector km_collector_bluesky;

static const char *const kv0[] = {
    "type", "bluesky", "identifier", "komek109.bsky.social", "password", "abcd-efgh-ijkl-mnop",
    "tags", "Астана",  NULL};
static const char *const kv1[] = {"type",       "bluesky",
                                  "identifier", "komek109.bsky.social",
                                  "password",   "abcd-efgh-ijkl-mnop",
                                  "tags",       "#Астана, 109",
                                  "limit",      "4",
                                  NULL};

static const struct fz_target target = {
    .c = &km_collector_bluesky,
    .variants =
        {
            kv0,
            kv1,
        },
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_collector_run(&target, data, size);
}
