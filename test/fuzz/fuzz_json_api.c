/* Fuzz target: the generic JSON API collector (type = json), driven by test/fuzz/fuzz_collector.h.
 */
#include "test/fuzz/fuzz_collector.h"

extern const struct km_collector km_collector_json;

static const char *const kv0[] = {
    "type",   "json",        "url",        "https://portal.example.kz/api/reports?lang=ru",
    "items",  "/data/items", "id",         "/report_id",
    "text",   "/body",       "created_at", "/ts",
    "author", "/user/name",  "url_field",  "/link",
    "cursor", "/next",       "network",    "eotinish",
    NULL};
static const char *const kv1[] = {
    "type",       "json",     "url",    "https://city.example.kz/api/feed",
    "id",         "/id",      "text",   "/text",
    "created_at", "/created", "author", "/author/login",
    "url_field",  "/url",     "tags",   "/tags",
    "cursor",     "link",     NULL};

static const struct fz_target target = {
    .c = &km_collector_json,
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
