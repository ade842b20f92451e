/* Decoding stream entries for the posts table (see rows.h). */
#include "db/rows.h"

#include "common/alloc.h"
#include "common/log.h"
#include "common/utf8.h"

#include <stdlib.h>
#include <string.h>

/* Replaces *s by a valid UTF-8 copy if it is not valid; returns whether it changed. */
static bool rows_repair(char **s)
{
    if (*s == NULL || km_utf8_valid(*s, strlen(*s), NULL)) {
        return false;
    }
    char *clean = km_utf8_clean(*s, strlen(*s), NULL);
    free(*s);
    *s = clean;
    return true;
}

/* Repairs every string of p that PostgreSQL would refuse. The decoder already stops at
 * NUL (C strings), so only invalid UTF-8 can remain; its re-encoding then holds no
 * "\u0000" escape either, which jsonb refuses. Returns whether anything changed. */
static bool rows_repair_post(struct km_post *p)
{
    struct km_post_triage *t = &p->triage;
    char **fields[] = {
        &p->network,     &p->source,        &p->id,       &p->url,        &p->author.id,
        &p->author.name, &p->author.handle, &p->chat.id,  &p->chat.title, &p->text,
        &p->lang,        &p->reply_to,      &t->category, &t->agency,     &t->fingerprint,
        &t->incident,    &t->dup_of};
    bool changed = false;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        changed |= rows_repair(fields[i]);
    }
    char **const *lists[] = {&p->hashtags, &p->media, &t->reasons};
    const size_t counts[] = {p->n_hashtags, p->n_media, t->n_reasons};
    for (size_t l = 0; l < 3; l++) {
        for (size_t i = 0; i < counts[l]; i++) {
            changed |= rows_repair(&(*lists[l])[i]);
        }
    }
    return changed;
}

/* Decodes and repairs entry e into r, or sets r->reason. */
static void rows_decode_one(const struct km_stream_entry *e, struct km_db_row *r)
{
    struct km_err perr = {{0}};
    r->e = e;
    if (e->post_json == NULL) {
        r->reason = km_strdup("entry has no \"post\" field (or was trimmed from the stream "
                              "before it was stored)");
        return;
    }
    if (km_post_from_json(e->post_json, e->post_len, &r->post, &perr) != KM_OK) {
        r->reason = km_asprintf("undecodable post: %s", perr.msg);
        r->post = NULL;
        return;
    }
    if (rows_repair_post(r->post)) {
        KM_SLOG_DEBUG("db", "stream entry %s: invalid UTF-8 replaced", e->id);
    }
    if (r->post->network == NULL || r->post->id == NULL || r->post->network[0] == '\0' ||
        r->post->id[0] == '\0') {
        r->reason = km_strdup("post has no network or id");
        km_post_free(r->post);
        r->post = NULL;
        return;
    }
    r->json = km_post_to_json(r->post);
}

struct km_db_rows *km_db_rows_decode(const struct km_stream_entry *entries, size_t n,
                                     const struct km_places *places, unsigned long places_gen)
{
    struct km_db_rows *r = km_calloc(1, sizeof(*r));
    r->rows = km_calloc(n > 0 ? n : 1, sizeof(*r->rows));
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        rows_decode_one(&entries[i], &r->rows[i]);
    }
    km_db_rows_place(r, places, places_gen);
    return r;
}

void km_db_rows_place(struct km_db_rows *r, const struct km_places *places,
                      unsigned long places_gen)
{
    for (size_t i = 0; i < r->n; i++) {
        struct km_db_row *row = &r->rows[i];
        free(row->place);
        row->place = NULL;
        if (places != NULL && row->post != NULL) {
            const char *name = km_places_find(places, row->post->text);
            row->place = km_strdup(name != NULL ? name : "");
        }
    }
    r->places_gen = places_gen;
}

void km_db_rows_free(struct km_db_rows *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        km_post_free(r->rows[i].post);
        free(r->rows[i].json);
        free(r->rows[i].place);
        free(r->rows[i].reason);
    }
    free(r->rows);
    free(r);
}
