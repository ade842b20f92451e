/* Fuzz target: the Telegram Bot API collector (getUpdates), driven by test/fuzz/fuzz_collector.h.
 */
#include "test/fuzz/fuzz_collector.h"

extern const struct km_collector km_collector_telegram;

static const char *const kv0[] = {"type", "telegram", "token", "123456789:AAE-test_Token", NULL};

static const struct fz_target target = {
    .c = &km_collector_telegram,
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
