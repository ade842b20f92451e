/* Fuzz target: the Telegram webhook collector (pushed updates), driven by
 * test/fuzz/fuzz_collector.h. */
#include "test/fuzz/fuzz_collector.h"

extern const struct km_collector km_collector_telegram_webhook;

static const char *const kv0[] = {"type", "telegram_webhook", "secret_token", "s3cret_Token-109",
                                  NULL};

static const struct fz_target target = {
    .c = &km_collector_telegram_webhook,
    .variants =
        {
            kv0,
        },
    .auth = FZ_AUTH_TOKEN,
    .auth_header = "X-Telegram-Bot-Api-Secret-Token",
    .secret = "s3cret_Token-109",
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
