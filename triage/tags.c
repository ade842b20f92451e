#include "triage/tags.h"

#include "common/alloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

struct km_tags {
    char **tags; /* folded, sorted, unique */
    size_t n, cap;
};

char *km_tag_fold(const char *tag)
{
    utf8proc_uint8_t *out = NULL;
    utf8proc_ssize_t n = utf8proc_map((const utf8proc_uint8_t *)tag, 0, &out,
                                      UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE |
                                          UTF8PROC_CASEFOLD);
    if (n < 0) {
        return NULL;
    }
    return (char *)out;
}

/* A tag is letters, marks, digits and '_' (what the networks' hashtag syntax accepts). */
static bool tag_char_ok(utf8proc_int32_t cp)
{
    if (cp == '_') {
        return true;
    }
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ND:
        return true;
    default:
        return false;
    }
}

/* Returns NULL if ok, else why the tag is not valid. */
static const char *tag_invalid(const char *tag)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)tag;
    size_t len = strlen(tag);
    if (len > KM_TAG_MAX_BYTES) {
        return "tag longer than 640 bytes";
    }
    while (*p != '\0') {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
        if (n < 0) {
            return "invalid UTF-8";
        }
        if (!tag_char_ok(cp)) {
            return "a tag may contain only letters, digits and '_' (write it without '#')";
        }
        p += n;
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void tags_add_folded(struct km_tags *t, char *folded)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->tags = km_realloc(t->tags, t->cap * sizeof(*t->tags));
    }
    t->tags[t->n++] = folded;
}

static void tags_finish(struct km_tags *t)
{
    if (t->n == 0) {
        return;
    }
    qsort(t->tags, t->n, sizeof(*t->tags), cmp_str);
    size_t w = 1;
    for (size_t r = 1; r < t->n; r++) {
        if (strcmp(t->tags[r], t->tags[w - 1]) == 0) {
            free(t->tags[r]);
        } else {
            t->tags[w++] = t->tags[r];
        }
    }
    t->n = w;
}

/* A comment line that is one tag-like word ("#109") is most likely a tag written with its
 * '#': say so, since it watches nothing. */
static void warn_hash_word(const char *line, const char *path, int lineno, FILE *report)
{
    while (isspace((unsigned char)*line)) {
        line++;
    }
    if (line[0] != '#' || report == NULL) {
        return;
    }
    char word[KM_TAG_MAX_BYTES + 1];
    size_t n = strcspn(line + 1, "\r\n");
    if (n == 0 || n > KM_TAG_MAX_BYTES) {
        return;
    }
    memcpy(word, line + 1, n);
    word[n] = '\0';
    while (n > 0 && isspace((unsigned char)word[n - 1])) {
        word[--n] = '\0';
    }
    if (n > 0 && tag_invalid(word) == NULL) {
        fprintf(report,
                "%s:%d: warning: '#%s' is a comment; watched tags are written without '#': %s\n",
                path, lineno, word, word);
    }
}

/* Strips the comment and surrounding blanks of one line in place; returns the tag text. */
static char *line_tag(char *line)
{
    char *hash = strchr(line, '#');
    if (hash != NULL) {
        *hash = '\0';
    }
    while (isspace((unsigned char)*line)) {
        line++;
    }
    size_t len = strlen(line);
    while (len > 0 && isspace((unsigned char)line[len - 1])) {
        line[--len] = '\0';
    }
    return line;
}

int km_tags_load(const char *path, FILE *report, struct km_tags **out, struct km_err *err)
{
    struct km_tags *t = km_calloc(1, sizeof(*t));
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, bad = 0, rc = KM_OK;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        rc = km_err_set(err, KM_ERR, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        warn_hash_word(line, path, lineno, report);
        char *tag = line_tag(line);
        if (*tag == '\0') {
            continue;
        }
        const char *why = tag_invalid(tag);
        char *folded = why == NULL ? km_tag_fold(tag) : NULL;
        if (folded == NULL) {
            if (report != NULL) {
                fprintf(report, "%s:%d: '%s': %s\n", path, lineno, tag, why ? why : "bad tag");
            }
            if (bad++ == 0) {
                km_err_set(err, KM_EINPUT, "%s:%d: '%s': %s", path, lineno, tag,
                           why ? why : "bad tag");
            }
            continue;
        }
        tags_add_folded(t, folded);
    }
    tags_finish(t);
    rc = bad > 0 ? KM_EINPUT : KM_OK;
out:
    if (f != NULL) {
        fclose(f);
    }
    free(line);
    if (rc != KM_OK) {
        km_tags_free(t);
        t = NULL;
    }
    *out = t;
    return rc;
}

struct km_tags *km_tags_from_array(const char *const *tags, size_t n)
{
    struct km_tags *t = km_calloc(1, sizeof(*t));
    for (size_t i = 0; i < n; i++) {
        const char *tag = tags[i][0] == '#' ? tags[i] + 1 : tags[i];
        char *folded = km_tag_fold(tag);
        if (folded != NULL && *folded != '\0') {
            tags_add_folded(t, folded);
        } else {
            free(folded);
        }
    }
    tags_finish(t);
    return t;
}

void km_tags_free(struct km_tags *t)
{
    if (t == NULL) {
        return;
    }
    for (size_t i = 0; i < t->n; i++) {
        free(t->tags[i]);
    }
    free(t->tags);
    free(t);
}

size_t km_tags_count(const struct km_tags *t)
{
    return t->n;
}

bool km_tags_contains(const struct km_tags *t, const char *folded_tag)
{
    if (t->n == 0) {
        return false;
    }
    return bsearch(&folded_tag, t->tags, t->n, sizeof(*t->tags), cmp_str) != NULL;
}
