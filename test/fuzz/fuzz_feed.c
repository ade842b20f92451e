/* Fuzz target: the feed reader (parser/feed.c, RSS 2.0 / RDF / Atom on libxml2). */
#include "parser/feed.h"
#include "test/fuzz/fuzz.h"

/* feed.h: every string is UTF-8 and NULL rather than "". */
static void check_str(const char *what, const char *s)
{
    fz_check(s == NULL || s[0] != '\0', "%s is \"\" instead of NULL", what);
    fz_check_str(what, s);
}

static void check_feed(const struct km_feed *f)
{
    fz_check(f->format != NULL, "no format");
    check_str("feed title", f->title);
    fz_check(f->n == 0 || f->items != NULL, "items NULL");
    for (size_t i = 0; i < f->n; i++) {
        const struct km_feed_item *it = &f->items[i];
        check_str("id", it->id);
        check_str("title", it->title);
        check_str("link", it->link);
        check_str("summary", it->summary);
        check_str("author", it->author);
        for (size_t k = 0; k < it->n_categories; k++) {
            fz_check(it->categories[k] != NULL, "NULL category");
            check_str("category", it->categories[k]);
            for (size_t j = 0; j < k; j++) {
                fz_check(strcmp(it->categories[j], it->categories[k]) != 0, "duplicate category %s",
                         it->categories[k]);
            }
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
    struct km_feed *f = NULL;
    struct km_err err = {{0}};
    int rc = km_feed_parse((const char *)data, size, &f, &err);
    fz_check(rc == KM_OK || rc == KM_EINPUT, "rc %d", rc);
    if (rc == KM_OK) {
        fz_check(f != NULL, "KM_OK without a feed");
        check_feed(f);
    } else {
        fz_check(f == NULL && err.msg[0] != '\0', "KM_EINPUT with a feed or no message");
    }
    km_feed_free(f);
    return 0;
}
