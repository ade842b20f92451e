/* Helpers shared by the collector unit tests: fixtures, hand-built config sections and
 * responses, and assertions on posts. Header-only (static functions) because every test
 * binary is built from one .c file. Include after <cmocka.h>. */
#ifndef KM_TEST_COLLECTORS_TEST_H
#define KM_TEST_COLLECTORS_TEST_H

#include "collectors/collector.h"
#include "common/alloc.h"
#include "parser/post.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most headers a test response carries. */
#define CT_MAX_HEADERS 4
/* Most keys a test section carries (a type = json source has 14). */
#define CT_MAX_ENTRIES 16

/* When the test responses "arrive": 2026-11-22T18:41:01Z. */
#define CT_NOW_MS 1795372861000LL

/* Reads test/fixtures/<path> (binaries run from the repo root). Caller frees. */
static inline char *ct_fixture(const char *path, size_t *len)
{
    char full[256];
    snprintf(full, sizeof(full), "test/fixtures/%s", path);
    FILE *f = fopen(full, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", full);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = km_malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    assert_int_equal(got, (size_t)n);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

/* A response with a body (owned) and up to CT_MAX_HEADERS "Name: value" headers. */
struct ct_resp {
    struct km_response resp;
    struct km_header headers[CT_MAX_HEADERS];
    char *body;
};

/* Fills r from a fixture (path may be NULL for an empty body, or start with '=' for a
 * literal body) and a NULL-terminated list of alternating header names and values. */
static inline void ct_resp_init(struct ct_resp *r, long status, const char *path,
                                const char *const *headers)
{
    memset(r, 0, sizeof(*r));
    size_t len = 0;
    if (path == NULL) {
        r->body = km_strdup("");
    } else if (path[0] == '=') {
        r->body = km_strdup(path + 1);
        len = strlen(r->body);
    } else {
        r->body = ct_fixture(path, &len);
    }
    size_t n = 0;
    for (; headers != NULL && headers[2 * n] != NULL; n++) {
        assert_true(n < CT_MAX_HEADERS);
        r->headers[n].name = (char *)headers[2 * n];
        r->headers[n].value = (char *)headers[2 * n + 1];
    }
    r->resp.status = status;
    r->resp.body = r->body;
    r->resp.body_len = len;
    r->resp.headers = r->headers;
    r->resp.n_headers = n;
    r->resp.received_at_ms = CT_NOW_MS;
}

static inline void ct_resp_free(struct ct_resp *r)
{
    free(r->body);
}

/* A [source NAME] section as the config loader would hand it over, from a
 * NULL-terminated list of alternating keys and values (line numbers 2, 3, ...). */
struct ct_section {
    struct km_section sec;
    struct km_conf_entry entries[CT_MAX_ENTRIES];
};

static inline void ct_section_init(struct ct_section *s, const struct km_collector *c,
                                   const char *const *kv)
{
    memset(s, 0, sizeof(*s));
    size_t n = 0;
    for (; kv[2 * n] != NULL; n++) {
        assert_true(n < CT_MAX_ENTRIES);
        s->entries[n].key = (char *)kv[2 * n];
        s->entries[n].value = (char *)kv[2 * n + 1];
        s->entries[n].line = (int)n + 2;
    }
    s->sec.kind = (char *)"source";
    s->sec.name = (char *)"city109";
    s->sec.file = (char *)"komek.conf";
    s->sec.line = 1;
    s->sec.entries = s->entries;
    s->sec.n_entries = n;
    s->sec.keys = km_conf_source_keys;
    s->sec.extra_keys = c->keys;
}

/* Like assert_string_equal, but NULL only equals NULL. */
#define ct_assert_str(actual, expected)                                                            \
    do {                                                                                           \
        const char *ct_a_ = (actual);                                                              \
        const char *ct_e_ = (expected);                                                            \
        if (ct_e_ == NULL) {                                                                       \
            assert_null(ct_a_);                                                                    \
        } else {                                                                                   \
            assert_non_null(ct_a_);                                                                \
            assert_string_equal(ct_a_, ct_e_);                                                     \
        }                                                                                          \
    } while (0)

/* Checks that p has exactly the hashtags of the NULL-terminated list want. */
static inline void ct_assert_tags(const struct km_post *p, const char *const *want)
{
    size_t n = 0;
    for (; want[n] != NULL; n++) {
        if (!km_post_has_hashtag(p, want[n])) {
            fail_msg("post %s lacks hashtag '%s'", p->id, want[n]);
        }
    }
    if (p->n_hashtags != n) {
        for (size_t i = 0; i < p->n_hashtags; i++) {
            print_message("post %s has hashtag '%s'\n", p->id, p->hashtags[i]);
        }
    }
    assert_int_equal(p->n_hashtags, n);
}

static inline void ct_assert_media(const struct km_post *p, const char *const *want)
{
    size_t n = 0;
    for (; want[n] != NULL; n++) {
        assert_true(n < p->n_media);
        assert_string_equal(p->media[n], want[n]);
    }
    assert_int_equal(p->n_media, n);
}

/* True if haystack starts with prefix. */
static inline bool ct_starts(const char *haystack, const char *prefix)
{
    return strncmp(haystack, prefix, strlen(prefix)) == 0;
}

/* Creates a collector state from key/value pairs; fails the test if create() fails. */
static inline void *ct_create(const struct km_collector *c, const char *const *kv)
{
    struct ct_section s;
    ct_section_init(&s, c, kv);
    void *state = NULL;
    struct km_err err = {{0}};
    int rc = c->create(&s.sec, &state, &err);
    if (rc != KM_OK) {
        fail_msg("create: %s", err.msg);
    }
    assert_non_null(state);
    return state;
}

/* Runs consume() on a response; out must be initialised. */
static inline int ct_consume(const struct km_collector *c, void *state, long status,
                             const char *path, const char *const *headers,
                             struct km_post_batch *out, char **cursor, struct km_err *err)
{
    struct ct_resp r;
    ct_resp_init(&r, status, path, headers);
    *cursor = NULL;
    memset(err, 0, sizeof(*err));
    int rc = c->consume(state, &r.resp, out, cursor, err);
    ct_resp_free(&r);
    return rc;
}

#endif
