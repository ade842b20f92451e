/* Fuzz target: the normalised post's JSON (km_post_from_json, as the queue consumers and
 * `komekctl import` JSON lines read it) and hashtag extraction from any text.
 *
 * Oracles: a decoded post survives km_post_to_json() and back (fz_check_post); hashtags
 * found in the raw input are folded, non-empty and within KM_HASHTAG_MAX_BYTES; the UTF-16
 * and code point slices of the whole text stay inside it. */
#include "parser/hashtag.h"
#include "test/fuzz/fuzz.h"

static void check_slices(const char *s, size_t len)
{
    size_t b0 = 0;
    size_t b1 = 0;
    for (size_t off = 0; off <= 8; off += 4) {
        if (km_utf16_slice(s, len, off, 3, &b0, &b1) == KM_OK) {
            fz_check(b0 <= b1 && b1 <= len, "utf16 slice %zu..%zu of %zu", b0, b1, len);
        }
        if (km_codepoint_slice(s, len, off, off + 3, &b0, &b1) == KM_OK) {
            fz_check(b0 <= b1 && b1 <= len, "cp slice %zu..%zu of %zu", b0, b1, len);
        }
    }
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
    const char *s = (const char *)data;
    struct km_post *p = NULL;
    struct km_err err = {{0}};
    int rc = km_post_from_json(s, size, &p, &err);
    fz_check(rc == KM_OK || rc == KM_EINPUT, "rc %d", rc);
    if (rc == KM_OK) {
        fz_check(p->text != NULL, "a decoded post without text");
        fz_check_post(p);
    }
    km_post_free(p);

    struct km_post *t = km_post_new();
    t->network = km_strdup("fuzz");
    t->id = km_strdup("1");
    size_t n = km_hashtags_extract(s, size, t);
    fz_check(n >= t->n_hashtags, "%zu tags counted, %zu kept", n, t->n_hashtags);
    fz_check_post(t);
    km_post_free(t);
    check_slices(s, size);
    return 0;
}
