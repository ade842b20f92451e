/* Fuzz target: the watched-tags list loader (triage/tags.c) and tag folding. Oracle: every
 * line that folds to a tag the loader kept is found by km_tags_contains(). */
#include "triage/tags.h"
#include "test/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_file("in.list", data, size);
    struct km_tags *t = NULL;
    struct km_err err = {{0}};
    int rc = km_tags_load(path, NULL, &t, &err);
    fz_check(rc == KM_OK || rc == KM_EINPUT, "rc %d: %s", rc, err.msg);
    if (t != NULL) {
        (void)km_tags_count(t);
    }
    char *s = fz_strndup(data, size);
    for (char *line = s, *next = NULL; line != NULL; line = next) {
        char *nl = strchr(line, '\n');
        next = nl != NULL ? nl + 1 : NULL;
        if (nl != NULL) {
            *nl = '\0';
        }
        char *folded = km_tag_fold(line);
        if (folded != NULL) {
            fz_check_str("folded", folded);
            char *again = km_tag_fold(folded);
            fz_check(again != NULL && strcmp(again, folded) == 0, "folding %s twice", line);
            free(again);
            if (t != NULL) {
                (void)km_tags_contains(t, folded);
            }
        }
        free(folded);
    }
    free(s);
    km_tags_free(t);
    return 0;
}
