/* Fuzz target: the VK collector (newsfeed.search), driven by test/fuzz/fuzz_collector.h. */
#include "test/fuzz/fuzz_collector.h"

extern const struct km_collector km_collector_vk;

static const char *const kv0[] = {"type", "vk",          "token", "vk1.a.s3rvic3-T0ken_x",
                                  "tags", "109, Астана", NULL};

static const struct fz_target target = {
    .c = &km_collector_vk,
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
