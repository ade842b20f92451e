/* Helpers shared by the libFuzzer targets of test/fuzz/ (`make fuzz`, `make fuzz-smoke`).
 *
 * Each target is one file, test/fuzz/fuzz_<name>.c, that defines LLVMFuzzerTestOneInput()
 * (and may define LLVMFuzzerInitialize()). Header-only (static functions) because every
 * target is built from one .c file, like the unit tests' collectors_test.h.
 *
 * A target aborts (fz_check) when an invariant that the parser's header promises is broken,
 * so that libFuzzer reports more than crashes: posts without an id, strings that are not
 * UTF-8, a post that does not survive its own JSON round trip. */
#ifndef KM_TEST_FUZZ_FUZZ_H
#define KM_TEST_FUZZ_FUZZ_H

#include "common/alloc.h"
#include "common/log.h"
#include "common/utf8.h"
#include "parser/post.h"

#include <libxml/parser.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The entry points libFuzzer calls (declared here for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with a message when cond is false: libFuzzer saves the input as a crash. */
#define fz_check(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz invariant broken at %s:%d: %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Once per process, as main() does: libxml2 set up before use, and only errors logged
 * (a warning about each bad input would cost more than the parse). */
static inline void fz_init(void)
{
    xmlInitParser();
    km_log_set_level(KM_LOG_LEVEL_ERROR);
    km_log_set_ident("fuzz");
}

/* A NUL-terminated copy of data[0..size). Caller frees. */
static inline char *fz_strndup(const uint8_t *data, size_t size)
{
    char *s = km_malloc(size + 1);
    if (size > 0) {
        memcpy(s, data, size);
    }
    s[size] = '\0';
    return s;
}

/* A private temporary folder for the loaders that read a path, made on first use and
 * removed at exit with what is in it (one file per name, rewritten for every input). */
static char fz_dir[64];

static void fz_dir_remove(void)
{
    static const char *const names[] = {"in.conf", "in.lex", "in.list"};
    char path[128];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", fz_dir, names[i]);
        unlink(path);
    }
    rmdir(fz_dir);
}

/* Writes data[0..size) to <private folder>/name and returns that path (static storage,
 * valid until the next call). Aborts if the file cannot be written. */
static inline const char *fz_write_file(const char *name, const uint8_t *data, size_t size)
{
    static char path[128];
    if (fz_dir[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        snprintf(fz_dir, sizeof(fz_dir), "%s/komek-fuzz-XXXXXX",
                 tmp != NULL && tmp[0] != '\0' && strlen(tmp) < 40 ? tmp : "/tmp");
        fz_check(mkdtemp(fz_dir) != NULL, "mkdtemp %s", fz_dir);
        atexit(fz_dir_remove);
    }
    snprintf(path, sizeof(path), "%s/%s", fz_dir, name);
    FILE *f = fopen(path, "wb");
    fz_check(f != NULL, "cannot write %s", path);
    fz_check(fwrite(data, 1, size, f) == size, "short write to %s", path);
    fz_check(fclose(f) == 0, "cannot close %s", path);
    return path;
}

/* A post string must be NULL or valid UTF-8 (post.h: "Strings are UTF-8"). */
static inline void fz_check_str(const char *what, const char *s)
{
    size_t bad = 0;
    fz_check(s == NULL || km_utf8_valid(s, strlen(s), &bad), "%s invalid UTF-8 at %zu", what, bad);
}

/* The invariants of a post a parser produced: network and id set, every string UTF-8,
 * and the JSON encoding decodes to a post with the same id. */
static inline void fz_check_post(const struct km_post *p)
{
    fz_check(p->network != NULL && p->id != NULL, "post without network or id");
    const char *const strs[] = {
        p->network,       p->source,  p->id,         p->url,  p->author.id, p->author.name,
        p->author.handle, p->chat.id, p->chat.title, p->text, p->lang,      p->reply_to};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        fz_check_str("post string", strs[i]);
    }
    for (size_t i = 0; i < p->n_hashtags; i++) {
        fz_check(p->hashtags[i] != NULL && p->hashtags[i][0] != '\0', "empty hashtag");
        fz_check_str("hashtag", p->hashtags[i]);
        fz_check(strlen(p->hashtags[i]) <= KM_HASHTAG_MAX_BYTES, "hashtag too long");
    }
    for (size_t i = 0; i < p->n_media; i++) {
        fz_check(p->media[i] != NULL, "NULL media");
        fz_check_str("media", p->media[i]);
    }
    if (p->text == NULL) {
        return;
    }
    char *json = km_post_to_json(p);
    struct km_post *back = NULL;
    struct km_err err = {{0}};
    int rc = km_post_from_json(json, strlen(json), &back, &err);
    fz_check(rc == KM_OK, "round trip of %s: %s", json, err.msg);
    fz_check(strcmp(back->id, p->id) == 0, "round trip changed id %s", p->id);
    fz_check(back->n_hashtags == p->n_hashtags, "round trip changed the hashtags of %s", json);
    km_post_free(back);
    free(json);
}

static inline void fz_check_batch(const struct km_post_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        fz_check_post(b->posts[i]);
    }
}

#endif
