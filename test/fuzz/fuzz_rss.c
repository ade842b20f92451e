/* Fuzz target: the RSS/Atom collector (feed to posts), driven by test/fuzz/fuzz_collector.h. */
#include "test/fuzz/fuzz_collector.h"

extern const struct km_collector km_collector_rss;

static const char *const kv0[] = {"type", "rss", "url", "https://astana.example.kz/news/rss", NULL};

static const struct fz_target target = {
    .c = &km_collector_rss,
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
