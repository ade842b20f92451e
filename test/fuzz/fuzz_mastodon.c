/* Fuzz target: the Mastodon collector (tag timelines), driven by test/fuzz/fuzz_collector.h. */
#include "test/fuzz/fuzz_collector.h"

extern const struct km_collector km_collector_mastodon;

static const char *const kv0[] = {"type", "mastodon", "url", "https://mastodon.social",
                                  "tags", "Астана",   NULL};
static const char *const kv1[] = {"type",  "mastodon",
                                  "url",   "https://mastodon.social",
                                  "tags",  "Астана, 109, iKomek",
                                  "token", "tok",
                                  "local", "yes",
                                  NULL};

static const struct fz_target target = {
    .c = &km_collector_mastodon,
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
