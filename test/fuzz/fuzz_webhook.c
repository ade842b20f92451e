/* Fuzz target: the signed webhook collector (type = webhook), driven by test/fuzz/fuzz_collector.h.
 */
#include "test/fuzz/fuzz_collector.h"

extern const struct km_collector km_collector_webhook;

static const char *const kv0[] = {"type", "webhook", "secret", "0123456789abcdef-portal", NULL};
static const char *const kv1[] = {
    "type",      "webhook",        "secret", "0123456789abcdef-portal",
    "items",     "/data/requests", "id",     "/number",
    "text",      "/body",          "author", "/user/name",
    "url_field", "/link",          NULL};

static const struct fz_target target = {
    .c = &km_collector_webhook,
    .variants =
        {
            kv0,
            kv1,
        },
    .auth = FZ_AUTH_HMAC,
    .auth_header = "X-Hub-Signature-256",
    .secret = "0123456789abcdef-portal",
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
