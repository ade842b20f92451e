/* Fuzz target: the Instagram collector (hashtag id lookup, recent media), driven by
 * test/fuzz/fuzz_collector.h. */
#include "test/fuzz/fuzz_collector.h"

extern const struct km_collector km_collector_instagram;

static const char *const kv0[] = {"type",    "instagram",         "token", "EAABsbCS1iHgBAKZC0ZD",
                                  "user_id", "17841405309211844", "tags",  "Астана, #iKomek",
                                  NULL};

static const struct fz_target target = {
    .c = &km_collector_instagram,
    .variants =
        {
            kv0,
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
