/* Tests of db/places and db/report (migration 004): places.conf parsing without a server;
 * place detection, places sync, agency ratings and the problems ranking against a real
 * PostgreSQL. test/integration/test_modules.sh starts one and sets KM_PG_CONNINFO; without
 * it those tests are skipped. Each starts from a freshly migrated schema and inserts posts
 * and tickets with known times in plain SQL. */
#include "common/alloc.h"
#include "common/buf.h"
#include "common/err.h"
#include "db/db.h"
#include "db/places.h"
#include "db/report.h"
#include "db/rows.h"
#include "parser/post.h"
#include "queue/queue.h"
#include "parser/json.h"

#include <libpq-fe.h>

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

struct fx {
    PGconn *pg;       /* independent connection for set-up and checks */
    struct km_db *db; /* the code under test */
};

static void pg_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    }
    PQclear(r);
}

/* First cell of a parameterised query as a new string ("" for NULL). */
static char *pg_str(PGconn *c, const char *sql, int n, const char *const *vals)
{
    PGresult *r = PQexecParams(c, sql, n, NULL, vals, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
        fail_msg("%s: %s", sql, PQerrorMessage(c));
    }
    char *s = km_strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return s;
}

static long pg_long(PGconn *c, const char *sql)
{
    char *s = pg_str(c, sql, 0, NULL);
    long v = atol(s);
    free(s);
    return v;
}

static int fx_setup(void **state)
{
    *state = NULL;
    const char *info = getenv("KM_PG_CONNINFO");
    if (info == NULL) {
        return 0;
    }
    struct fx *f = km_calloc(1, sizeof(*f));
    f->pg = PQconnectdb(info);
    assert_int_equal(PQstatus(f->pg), CONNECTION_OK);
    pg_exec(f->pg, "SET client_min_messages = warning");
    pg_exec(f->pg, "DROP SCHEMA public CASCADE");
    pg_exec(f->pg, "CREATE SCHEMA public");
    struct km_err err = {{0}};
    assert_int_equal(km_db_connect(info, &f->db, &err), KM_OK);
    assert_int_equal(km_db_migrate(f->db, NULL, &err), KM_OK);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    if (f != NULL) {
        km_db_free(f->db);
        PQfinish(f->pg);
        free(f);
    }
    return 0;
}

static struct fx *fx_get(void **state)
{
    if (*state == NULL) {
        skip(); /* no server: run through test/integration/test_modules.sh */
    }
    return *state;
}

/* Writes text to a new temporary file; returns its path (free()). */
static char *tmp_file(const char *text)
{
    char *path = km_strdup("/tmp/km-places-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

/* A post; created is a timestamptz literal or an SQL expression over now(). Returns id. */
static long post_add(PGconn *c, const char *net, const char *id, const char *author,
                     const char *text, const char *category, const char *prio, const char *created,
                     const char *json)
{
    const char *v[8] = {net, id, author, text, category, prio, created, json ? json : "{}"};
    char *s = pg_str(c,
                     "INSERT INTO posts (network, post_id, source, author_id, text, category,"
                     " priority, created_at, post) VALUES ($1, $2, 'src', $3, $4, $5,"
                     " $6::smallint, $7::timestamptz, $8::jsonb) RETURNING id",
                     8, v);
    long r = atol(s);
    free(s);
    return r;
}

/* ---- places.conf --------------------------------------------------------------------- */

static const struct km_place *place_find(const struct km_places *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++) {
        if (strcmp(p->items[i].name, name) == 0) {
            return &p->items[i];
        }
    }
    return NULL;
}

static void test_places_shipped(void **state)
{
    (void)state;
    struct km_places *p = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_places_load("etc/places.conf", stderr, &p, &err), KM_OK);
    assert_true(p->n >= 45);
    const struct km_place *k = place_find(p, "ул. Кенесары");
    assert_non_null(k);
    assert_string_equal(k->kind, "street");
    assert_string_equal(k->patterns[0], "кенесар");
    const char *districts[] = {"район Алматы", "район Байконур", "район Есиль", "район Сарыарка",
                               "район Нура"};
    for (size_t i = 0; i < 5; i++) {
        const struct km_place *d = place_find(p, districts[i]);
        assert_non_null(d);
        assert_string_equal(d->kind, "district");
    }
    assert_true(km_places_patterns(p) > 150);
    km_places_free(p);
}

/* What km_places_find() answered before its index: each pattern tried with strstr() in
 * place_of()'s order. low is already lower-cased. */
static const char *places_find_slow(const struct km_places *p, const char *low)
{
    for (size_t i = 0; i < p->n_order; i++) {
        if (strstr(low, p->order[i].pattern) != NULL) {
            return p->order[i].name;
        }
    }
    return NULL;
}

/* The index answers as strstr() in order: patterns sharing their first four bytes (the
 * longer one first), a pattern at the very end, texts shorter than four bytes, ASCII and
 * Cyrillic, and random texts made of the patterns' pieces. */
static void test_places_index(void **state)
{
    (void)state;
    char *path = tmp_file("[street]\nДлинная = abcdefgh\nКороткая = abcd, abcz\n"
                          "Кириллица = улица ленина, улиц\n[district]\nРайон = abcdxyz, "
                          "дом на\n[place]\nМесто = bcde, ленин\n");
    struct km_places *p = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_places_load(path, stderr, &p, &err), KM_OK);
    static const struct {
        const char *text, *place;
    } cases[] = {
        {"abcdefgh", "Длинная"},
        {"xx abcdefg", "Короткая"},
        {"abcz", "Короткая"},
        {"abc", NULL},
        {"", NULL},
        {"zabcdxyz", "Короткая"},
        {"xbcde", "Место"},
        {"на улице ленина", "Кириллица"},
        {"улица ленина", "Кириллица"},
        {"дом на", "Район"},
        {"ленин", "Место"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = km_places_find(p, cases[i].text);
        if ((got == NULL) != (cases[i].place == NULL) ||
            (got != NULL && strcmp(got, cases[i].place) != 0)) {
            fail_msg("'%s': '%s', expected '%s'", cases[i].text, got ? got : "(none)",
                     cases[i].place ? cases[i].place : "(none)");
        }
    }
    static const char *const pieces[] = {"ab", "cd",  "efgh", "z",    "xyz", " ",   "bc", "de",
                                         "ул", "ица", " ле",  "нина", "дом", " на", "x"};
    unsigned seed = 7;
    char text[128];
    for (int n = 0; n < 20000; n++) {
        text[0] = '\0';
        size_t k = (size_t)(n % 9);
        for (size_t j = 0; j < k; j++) {
            seed = seed * 1103515245u + 12345u;
            strcat(text, pieces[(seed >> 16) % (sizeof(pieces) / sizeof(pieces[0]))]);
        }
        const char *want = places_find_slow(p, text), *got = km_places_find(p, text);
        if (want != got) {
            fail_msg("'%s': index '%s', strstr '%s'", text, got ? got : "(none)",
                     want ? want : "(none)");
        }
    }
    km_places_free(p);
    unlink(path);
    free(path);
}

static void test_places_normalise(void **state)
{
    (void)state;
    char *path = tmp_file("# comment\n[street]\nТест = КЕНЕСАР, Ёлкина,\n"
                          "   ҚАБАНБАЙ Батыр, Kenesary\n\n[microdistrict]\nМкр = SAMAL\n");
    struct km_places *p = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_places_load(path, stderr, &p, &err), KM_OK);
    assert_int_equal(p->n, 2);
    const struct km_place *t = &p->items[0];
    assert_int_equal(t->n_patterns, 4);
    assert_string_equal(t->patterns[0], "кенесар");
    assert_string_equal(t->patterns[1], "елкина");
    assert_string_equal(t->patterns[2], "қабанбай батыр");
    assert_string_equal(t->patterns[3], "kenesary");
    assert_int_equal(t->line, 3);
    assert_string_equal(p->items[1].kind, "microdistrict");
    assert_string_equal(p->items[1].patterns[0], "samal");
    km_places_free(p);
    unlink(path);
    free(path);
}

/* Every bad line of one file is reported, each at its line. */
static void test_places_errors(void **state)
{
    (void)state;
    static const struct {
        int line;
        const char *what;
    } want[] = {
        {1, "NAME = outside a section"},
        {2, "unknown section"},
        {3, "NAME = outside a section"},
        {6, "shorter than 4 characters"},
        {7, "empty pattern"},
        {8, "'Б' given twice (first on line 5)"},
        {9, "pattern 'BBBB' given twice for 'В'"},
        {11, "indented line continues no NAME"},
        {12, "invalid UTF-8"},
        {13, "want NAME = pattern"},
    };
    char *path = tmp_file("А = аааа\n[streets]\nБ = бббб\n[street]\nБ = бббб\nГ = абв\n"
                          "Д = дддд,,ееее\nБ = жжжж\nВ = bbbb, BBBB\n\n  continued\n"
                          "Е = \xff\xfe\xfd\xfc\ngarbage\n");
    char *out = NULL;
    size_t len = 0;
    FILE *report = open_memstream(&out, &len);
    struct km_places *p = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_places_load(path, report, &p, &err), KM_EINPUT);
    fclose(report);
    assert_null(p);
    char *line = out;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char prefix[300];
        snprintf(prefix, sizeof(prefix), "%s:%d: ", path, want[i].line);
        assert_non_null(line);
        assert_memory_equal(line, prefix, strlen(prefix));
        char *end = strchr(line, '\n');
        *end = '\0';
        if (strstr(line, want[i].what) == NULL) {
            fail_msg("line %zu: '%s' lacks '%s'", i, line, want[i].what);
        }
        line = end + 1;
    }
    assert_string_equal(line, ""); /* nothing more */
    assert_non_null(strstr(err.msg, ":1: NAME = outside"));
    free(out);
    assert_int_equal(km_places_load("/nonexistent/places.conf", NULL, &p, &err), KM_ERR);
    unlink(path);
    free(path);
}

/* ---- place detection and sync -------------------------------------------------------- */

/* Syncs etc/places.conf; returns how many places it has. */
static size_t places_sync_shipped(struct fx *f, size_t *reclassified)
{
    struct km_places *p = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_places_load("etc/places.conf", stderr, &p, &err), KM_OK);
    assert_int_equal(km_places_sync(f->db, p, reclassified, &err), KM_OK);
    size_t n = p->n;
    km_places_free(p);
    return n;
}

/* Rows decoded (on the tickets role's decoding thread) before the places changed are
 * placed again with the new ones when stored; rows decoded with the current places keep
 * theirs. */
static void test_rows_placed_again(void **state)
{
    struct fx *f = fx_get(state);
    char *old_path = tmp_file("[street]\nСтарая = кенесары\n");
    char *new_path = tmp_file("[street]\nНовая = кенесары\n");
    struct km_places *old = NULL, *cur = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_places_load(old_path, NULL, &old, &err), KM_OK);
    assert_int_equal(km_places_load(new_path, NULL, &cur, &err), KM_OK);
    km_db_set_places(f->db, old);
    unsigned long gen = km_db_places_gen(f->db);
    struct km_stream_entry e[2];
    memset(e, 0, sizeof(e));
    for (int i = 0; i < 2; i++) {
        struct km_post *p = km_post_new();
        p->network = km_strdup("telegram");
        p->id = km_asprintf("r%d", i);
        p->source = km_strdup("src");
        p->text = km_strdup("яма на Кенесары");
        e[i].id = km_asprintf("%d-0", i + 1);
        e[i].post_json = km_post_to_json(p);
        e[i].post_len = strlen(e[i].post_json);
        km_post_free(p);
    }
    struct km_db_rows *stale = km_db_rows_decode(e, 1, old, gen);
    assert_string_equal(stale->rows[0].place, "Старая");
    km_db_set_places(f->db, cur);
    assert_true(km_db_places_gen(f->db) != gen);
    struct km_db_counts c;
    assert_int_equal(km_db_store_rows(f->db, stale, &c, &err), KM_OK);
    assert_int_equal(c.inserted, 1);
    struct km_db_rows *fresh = km_db_rows_decode(e + 1, 1, cur, km_db_places_gen(f->db));
    assert_int_equal(km_db_store_rows(f->db, fresh, &c, &err), KM_OK);
    char *got = pg_str(f->pg,
                       "SELECT string_agg(post_id || '=' || place, ' ' ORDER BY post_id) FROM "
                       "posts WHERE post_id IN ('r0', 'r1')",
                       0, NULL);
    assert_string_equal(got, "r0=Новая r1=Новая");
    free(got);
    km_db_rows_free(stale);
    km_db_rows_free(fresh);
    km_db_set_places(f->db, NULL);
    km_places_free(old);
    km_places_free(cur);
    for (int i = 0; i < 2; i++) {
        free(e[i].id);
        free(e[i].post_json);
    }
    unlink(old_path);
    unlink(new_path);
    free(old_path);
    free(new_path);
}

static void test_place_of(void **state)
{
    struct fx *f = fx_get(state);
    places_sync_shipped(f, NULL);
    static const struct {
        const char *text, *place; /* "" = none */
    } cases[] = {
        {"На КЕНЕСАРЫ 40 огромная яма", "ул. Кенесары"},
        {"Кенесары көшесінде жарық жоқ", "ул. Кенесары"},
        {"Huge pothole on Kenesary street near the mall", "ул. Кенесары"},
        {"Қабанбай батыр даңғылында су құбыры жарылды", "пр. Кабанбай батыра"},
        {"Есіл ауданында қоқыс шығарылмайды", "район Есиль"},
        {"В Есильском районе не убирают снег", "район Есиль"},
        {"no heating in Saryarka district since Monday", "район Сарыарка"},
        {"Пробка на проспекте Сарыарка", ""}, /* "проспекте": not the pattern */
        {"Пробка на пр. Сарыарка у моста", "пр. Сарыарка"},
        {"Вернулся из Алматы, а тут сугробы", ""},        /* the city, not the district */
        {"Алматинский район: яма на Туран", "пр. Туран"}, /* the street wins */
        {"Нет света в Алматинском районе", "район Алматы"},
        {"Во дворе в мкр Самал нет света", "мкр Самал"},
        {"Лифт не работает, ЖК на Мәңгілік Ел", "пр. Мангилик Ел"},
        {"На Левом берегу нет воды", "Левый берег"},
        {"Просто жалоба без адреса", ""},
    };
    struct km_places *p = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_places_load("etc/places.conf", NULL, &p, &err), KM_OK);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *v[1] = {cases[i].text};
        char *got = pg_str(f->pg, "SELECT coalesce(place_of($1), '')", 1, v);
        if (strcmp(got, cases[i].place) != 0) {
            fail_msg("'%s': place '%s', expected '%s'", cases[i].text, got, cases[i].place);
        }
        const char *c = km_places_find(p, cases[i].text); /* the tickets role's answer */
        if (strcmp(c != NULL ? c : "", cases[i].place) != 0) {
            fail_msg("'%s': km_places_find '%s', expected '%s'", cases[i].text, c, cases[i].place);
        }
        free(got);
    }
    km_places_free(p);
}

/* km_places_find() and place_of() agree on every labelled post the project ships, and a
 * place given with the row is kept ("" for none) while a row without one is placed by the
 * trigger. */
static void test_place_given(void **state)
{
    struct fx *f = fx_get(state);
    places_sync_shipped(f, NULL);
    struct km_places *p = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_places_load("etc/places.conf", NULL, &p, &err), KM_OK);
    static const char *const files[] = {"test/data/sample-posts.jsonl", "test/eval/holdout4.jsonl",
                                        "test/eval/holdout6.jsonl"};
    size_t n = 0, placed = 0;
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        FILE *in = fopen(files[k], "r");
        assert_non_null(in);
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, in)) > 0) {
            yajl_val v = NULL;
            if (km_json_parse(line, (size_t)len, &v, NULL, &err) != KM_OK) {
                continue;
            }
            const char *text = km_json_str(v, "text");
            const char *vals[1] = {text};
            char *sql = pg_str(f->pg, "SELECT coalesce(place_of($1), '')", 1, vals);
            const char *c = km_places_find(p, text);
            if (strcmp(sql, c != NULL ? c : "") != 0) {
                fail_msg("%s: '%s': place_of '%s', km_places_find '%s'", files[k], text, sql, c);
            }
            n++;
            placed += c != NULL;
            free(sql);
            km_json_free(v);
        }
        free(line);
        fclose(in);
    }
    assert_true(n > 200);
    assert_true(placed > 20);
    km_places_free(p);
    char *got = pg_str(f->pg,
                       "WITH i AS (INSERT INTO posts (network, post_id, source, post, text, place) "
                       "SELECT 't', id, 's', '{}', 'яма на Кенесары', pl FROM (VALUES ('g1', "
                       "'мкр Самал'), ('g2', ''), ('g3', NULL)) v(id, pl) RETURNING post_id, "
                       "place) SELECT string_agg(post_id || '=' || coalesce(place, '-'), ' ' "
                       "ORDER BY post_id) FROM i",
                       0, NULL);
    assert_string_equal(got, "g1=мкр Самал g2=- g3=ул. Кенесары");
    free(got);
}

static void test_places_sync(void **state)
{
    struct fx *f = fx_get(state);
    post_add(f->pg, "tg", "1", "a", "Яма на Кенесары", "roads", "3", "now", NULL);
    post_add(f->pg, "tg", "2", "b", "Есіл ауданы: жарық жоқ", "lighting", "3", "now", NULL);
    /* Stored before the places were known: no place yet. */
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts WHERE place IS NULL"), 2);
    size_t n = 99;
    size_t n_places = places_sync_shipped(f, &n);
    assert_int_equal(n, 2);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM places"), (long)n_places);
    char *pl = pg_str(f->pg, "SELECT place FROM posts WHERE post_id = '2'", 0, NULL);
    assert_string_equal(pl, "район Есиль");
    free(pl);
    /* Unchanged file: nothing rewritten. */
    places_sync_shipped(f, &n);
    assert_int_equal(n, 0);
    /* A new post is placed by the trigger. */
    post_add(f->pg, "tg", "3", "c", "KENESARY st flooded", "flooding", "2", "now", NULL);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts WHERE place = 'ул. Кенесары'"), 2);
    /* A smaller file: the table is replaced and the posts follow. */
    char *path = tmp_file("[district]\nрайон Есиль = есіл аудан\n");
    struct km_places *p = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_places_load(path, NULL, &p, &err), KM_OK);
    assert_int_equal(km_places_sync(f->db, p, &n, &err), KM_OK);
    assert_int_equal(n, 2); /* the two Kenesary posts lose their place */
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM places"), 1);
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM posts WHERE place IS NULL"), 2);
    km_places_free(p);
    unlink(path);
    free(path);
}

/* ---- agency ratings ------------------------------------------------------------------ */

/* A ticket created `ago` before now, reaction due 10 minutes and resolution due 7 days
 * after creation, first reaction and resolution `react` and `done` after creation (NULL:
 * not yet). */
static void ticket_add(PGconn *c, const char *number, const char *agency, const char *status,
                       const char *ago, const char *react, const char *done)
{
    long id = post_add(c, "t", number, "a", "x", "roads", "3", "now", NULL);
    char pid[24];
    snprintf(pid, sizeof(pid), "%ld", id);
    const char *v[7] = {number, status, agency, pid, react, done, ago};
    PGresult *r = PQexecParams(
        c,
        "INSERT INTO tickets (number, status, category, priority, agency, post, created_by,"
        " created_at, reaction_due, resolve_due, first_reaction_at, resolved_at)"
        " SELECT $1, $2, 'roads', 3, $3, $4::bigint, 'test', x.c, x.c + interval '10 minutes',"
        " x.c + interval '7 days', x.c + $5::interval, x.c + $6::interval"
        " FROM (SELECT now() - $7::interval AS c) x",
        7, NULL, v, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fail_msg("ticket %s: %s", number, PQerrorMessage(c));
    }
    PQclear(r);
}

static void tickets_fixture(PGconn *c)
{
    pg_exec(c, "INSERT INTO agencies (name) VALUES ('A'), ('B'), ('C')");
    pg_exec(c, "INSERT INTO agencies (name, active) VALUES ('Old', false)");
    ticket_add(c, "t1", "A", "resolved", "10 days", "5 minutes", "2 days"); /* on time */
    ticket_add(c, "t2", "A", "resolved", "9 days", "20 minutes", "8 days"); /* late */
    ticket_add(c, "t3", "A", "assigned", "8 days", NULL, NULL);             /* open, overdue */
    ticket_add(c, "t4", "A", "new", "1 day", "1 minute", NULL);             /* open, in time */
    ticket_add(c, "t5", "A", "rejected", "3 days", NULL, "1 hour");         /* on time */
    ticket_add(c, "t6", "B", "resolved", "5 days", "2 minutes", "1 day");
    ticket_add(c, "t7", NULL, "new", "2 days", NULL, NULL);
    ticket_add(c, "t8", "A", "resolved", "40 days", "1 minute", "1 day"); /* out of range */
}

static const struct km_agency_rating *rating_find(const struct km_agency_report *r,
                                                  const char *agency)
{
    for (size_t i = 0; i < r->n; i++) {
        const char *a = r->rows[i].agency;
        if ((a == NULL && agency == NULL) || (a && agency && strcmp(a, agency) == 0)) {
            return &r->rows[i];
        }
    }
    fail_msg("agency %s not in the report", agency ? agency : "(none)");
    return NULL;
}

static void test_agency_report(void **state)
{
    struct fx *f = fx_get(state);
    tickets_fixture(f->pg);
    struct km_agency_report *r = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_report_agencies(f->db, NULL, NULL, &r, &err), KM_OK);
    assert_int_equal(r->n, 4); /* A, B, C (nothing received), no agency; not Old */
    assert_true(r->to_ms - r->from_ms == 30LL * 86400000);
    const struct km_agency_rating *a = rating_find(r, "A");
    assert_int_equal(a->received, 5);
    assert_int_equal(a->resolved, 2);
    assert_int_equal(a->rejected, 1);
    assert_int_equal(a->on_time, 2);
    assert_int_equal(a->overdue, 2); /* t2 late, t3 open past its deadline */
    assert_int_equal(a->open, 2);
    assert_int_equal(a->open_overdue, 1);
    assert_int_equal(a->reaction_overdue, 1);
    assert_true(fabs(a->median_resolve_s - 2 * 86400) < 1); /* of 1 h, 2 d, 8 d */
    assert_true(fabs(a->reaction_share - 0.4) < 1e-9);      /* t1, t4 of 5 */
    assert_true(fabs(a->score - 48.0) < 1e-9);              /* 100 * 2/4 - 2 */
    const struct km_agency_rating *b = rating_find(r, "B");
    assert_int_equal(b->received, 1);
    assert_true(fabs(b->score - 100.0) < 1e-9);
    assert_true(fabs(b->median_resolve_s - 86400) < 1);
    assert_true(fabs(b->reaction_share - 1.0) < 1e-9);
    const struct km_agency_rating *c = rating_find(r, "C");
    assert_int_equal(c->received, 0);
    assert_true(c->score < 0 && c->median_resolve_s < 0 && c->reaction_share < 0);
    const struct km_agency_rating *none = rating_find(r, NULL);
    assert_int_equal(none->received, 1);
    assert_int_equal(none->open, 1);
    assert_true(none->score < 0); /* still within its deadline: nothing decided */
    /* Best score first, then the undecided ones by tickets received. */
    assert_string_equal(r->rows[0].agency, "B");
    assert_string_equal(r->rows[1].agency, "A");
    assert_null(r->rows[2].agency);
    assert_string_equal(r->rows[3].agency, "C");
    km_agency_report_free(r);
}

static void test_agency_views(void **state)
{
    struct fx *f = fx_get(state);
    tickets_fixture(f->pg);
    assert_int_equal(pg_long(f->pg, "SELECT received FROM agency_ratings"
                                    " WHERE period = 'all' AND agency = 'A'"),
                     6);
    assert_int_equal(pg_long(f->pg, "SELECT received FROM agency_ratings"
                                    " WHERE period = '30d' AND agency = 'A'"),
                     5);
    /* all time: t8 on time too: 100 * 3/5 - 2 */
    char *s = pg_str(f->pg,
                     "SELECT score FROM agency_ratings WHERE period = 'all'"
                     " AND agency = 'A'",
                     0, NULL);
    assert_string_equal(s, "58.0");
    free(s);
    assert_int_equal(pg_long(f->pg, "SELECT reaction_overdue FROM agency_overdue"
                                    " WHERE agency = 'A'"),
                     1);
    assert_int_equal(pg_long(f->pg, "SELECT resolve_overdue FROM agency_overdue"
                                    " WHERE agency = 'A'"),
                     1);
    /* A range that starts after t1 was created. */
    char from[KM_REPORT_TIME_MAX];
    struct km_err err = {{0}};
    s = pg_str(f->pg,
               "SELECT to_char((now() - interval '9 days 12 hours') AT TIME ZONE 'UTC',"
               " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
               0, NULL);
    assert_int_equal(km_report_time(s, false, from, &err), KM_OK);
    free(s);
    struct km_agency_report *r = NULL;
    assert_int_equal(km_report_agencies(f->db, from, NULL, &r, &err), KM_OK);
    assert_int_equal(rating_find(r, "A")->received, 4);
    km_agency_report_free(r);
    /* An empty range is refused. */
    assert_int_equal(km_report_agencies(f->db, "2026-02-01 00:00:00 Asia/Almaty",
                                        "2026-01-01 00:00:00 Asia/Almaty", &r, &err),
                     KM_EINPUT);
    assert_null(r);
}

/* ---- systemic problems --------------------------------------------------------------- */

/* The formula of problems_report(), to check its figures. */
static double problem_score(double posts, double authors, double days, double eng, int top,
                            double p12)
{
    double rep = log1p(posts) + 2 * log1p(authors) + log1p(days);
    return 10 * (rep + 0.5 * log1p(eng)) * (1 + (4 - top) / 3.0 + p12);
}

static void problems_fixture(struct fx *f)
{
    PGconn *c = f->pg;
    places_sync_shipped(f, NULL);
    /* Roads on Kenesary: 4 posts, 3 authors (the same id on two networks is two), 1 local
     * day (20:00Z on the 10th is 01:00 on the 11th in Astana), engagement 10 + 5 (views do
     * not count), one P2. */
    const char *eng = "{\"engagement\":{\"likes\":10,\"replies\":5,\"views\":1000}}";
    long k1 =
        post_add(c, "tg", "k1", "a1", "Яма на Кенесары", "roads", "3", "2026-01-10T20:00:00Z", eng);
    long k2 = post_add(c, "tg", "k2", "a1", "Кенесары көшесінде шұңқыр", "roads", "3",
                       "2026-01-11T10:00:00Z", NULL);
    post_add(c, "tg", "k3", "a2", "Pothole on Kenesary again", "roads", "2", "2026-01-11T12:00:00Z",
             NULL);
    post_add(c, "mastodon", "k4", "a1", "Кенесары, яма", "roads", "3", "2026-01-11T13:00:00Z",
             NULL);
    /* Gas in Yesil district: one P1 post. */
    post_add(c, "tg", "g1", "a3", "Есіл ауданында газ иісі", "gas", "1", "2026-01-12T08:00:00Z",
             NULL);
    /* Snow, no known place: 2 posts of one author on two local days, P4. */
    post_add(c, "tg", "s1", "a4", "Двор не чистят", "snow", "4", "2026-01-12T08:00:00Z", NULL);
    post_add(c, "tg", "s2", "a4", "Двор так и не чистят", "snow", "4", "2026-01-13T08:00:00Z",
             NULL);
    /* Not counted: gratitude, an unscored post, a post outside the range. */
    post_add(c, "tg", "x1", "a5", "Спасибо за Кенесары", "gratitude", "4", "2026-01-12T08:00:00Z",
             NULL);
    post_add(c, "tg", "x2", "a5", "Кенесары", NULL, NULL, "2026-01-12T08:00:00Z", NULL);
    post_add(c, "tg", "x3", "a5", "Яма на Кенесары", "roads", "1", "2026-02-12T08:00:00Z", NULL);
    /* Two tickets on the Kenesary posts: one open, one resolved. */
    char sql[512];
    pg_exec(c, "INSERT INTO agencies (name) VALUES ('A')");
    snprintf(sql, sizeof(sql),
             "INSERT INTO tickets (number, status, category, priority, agency, post, created_by,"
             " reaction_due, resolve_due) VALUES ('p1', 'new', 'roads', 3, 'A', %ld, 'test',"
             " now(), now()), ('p2', 'resolved', 'roads', 3, 'A', %ld, 'test', now(), now())",
             k1, k2);
    pg_exec(c, sql);
    snprintf(sql, sizeof(sql),
             "UPDATE posts SET ticket = t.id FROM tickets t WHERE t.post = posts.id");
    pg_exec(c, sql);
}

static void test_problems_report(void **state)
{
    struct fx *f = fx_get(state);
    problems_fixture(f);
    char from[KM_REPORT_TIME_MAX], to[KM_REPORT_TIME_MAX];
    struct km_err err = {{0}};
    assert_int_equal(km_report_time("2026-01-11", false, from, &err), KM_OK);
    assert_int_equal(km_report_time("2026-01-31", true, to, &err), KM_OK);
    struct km_problem_query q = {.from = from, .to = to};
    struct km_problem_report *r = NULL;
    assert_int_equal(km_report_problems(f->db, &q, &r, &err), KM_OK);
    assert_int_equal(r->n, 3);
    assert_int_equal(r->from_ms, 1768071600000LL); /* 2026-01-10T19:00:00Z */
    const struct km_problem *k = &r->rows[0], *g = &r->rows[1], *s = &r->rows[2];
    assert_string_equal(k->category, "roads");
    assert_string_equal(k->place, "ул. Кенесары");
    assert_int_equal(k->posts, 4);
    assert_int_equal(k->authors, 3);
    assert_int_equal(k->days, 1);
    assert_int_equal(k->engagement, 15);
    assert_int_equal(k->top_priority, 2);
    assert_true(fabs(k->p12_share - 0.25) < 1e-9);
    assert_int_equal(k->tickets, 2);
    assert_int_equal(k->tickets_open, 1);
    assert_int_equal(k->first_seen_ms, 1768075200000LL); /* 2026-01-10T20:00:00Z */
    assert_true(fabs(k->score - problem_score(4, 3, 1, 15, 2, 0.25)) < 0.051);
    assert_string_equal(g->category, "gas");
    assert_string_equal(g->place, "район Есиль");
    assert_true(fabs(g->score - problem_score(1, 1, 1, 0, 1, 1)) < 0.051);
    assert_string_equal(s->category, "snow");
    assert_string_equal(s->place, "—");
    assert_int_equal(s->authors, 1);
    assert_int_equal(s->days, 2);
    assert_true(fabs(s->score - problem_score(2, 1, 2, 0, 4, 0)) < 0.051);
    km_problem_report_free(r);
    /* --category and --limit. */
    q.category = "snow";
    assert_int_equal(km_report_problems(f->db, &q, &r, &err), KM_OK);
    assert_int_equal(r->n, 1);
    assert_string_equal(r->rows[0].category, "snow");
    km_problem_report_free(r);
    q.category = NULL;
    q.limit = 2;
    assert_int_equal(km_report_problems(f->db, &q, &r, &err), KM_OK);
    assert_int_equal(r->n, 2);
    assert_string_equal(r->rows[1].category, "gas");
    km_problem_report_free(r);
}

static void test_problems_view(void **state)
{
    struct fx *f = fx_get(state);
    problems_fixture(f);
    /* The view covers the last 30 days: none of the fixture's January posts... */
    assert_int_equal(pg_long(f->pg, "SELECT count(*) FROM problems"), 0);
    char *yesterday = pg_str(f->pg, "SELECT (now() - interval '1 day')::text", 0, NULL);
    post_add(f->pg, "tg", "n1", "a1", "Яма на Туран", "roads", "3", yesterday, NULL);
    free(yesterday);
    /* ...but yesterday's post. */
    char *s = pg_str(f->pg, "SELECT place || '|' || posts FROM problems", 0, NULL);
    assert_string_equal(s, "пр. Туран|1");
    free(s);
    /* The default range of km_report_problems() is the same. */
    struct km_problem_query q = {0};
    struct km_problem_report *r = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_report_problems(f->db, &q, &r, &err), KM_OK);
    assert_int_equal(r->n, 1);
    struct km_buf b = KM_BUF_INIT;
    km_problem_report_json(r, &b);
    yajl_val v = NULL;
    assert_int_equal(km_json_parse(b.data, b.len, &v, NULL, &err), KM_OK);
    assert_string_equal(km_json_str(km_json_get(v, "problems", NULL)->u.array.values[0], "place"),
                        "пр. Туран");
    km_json_free(v);
    km_buf_free(&b);
    km_problem_report_free(r);
}

/* ---- range bounds and JSON ----------------------------------------------------------- */

static void test_report_time(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool end;
        const char *out; /* NULL: refused */
    } cases[] = {
        {"2026-01-15", false, "2026-01-15 00:00:00 Asia/Almaty"},
        {"2026-01-15", true, "2026-01-16 00:00:00 Asia/Almaty"},
        {"2026-12-31", true, "2027-01-01 00:00:00 Asia/Almaty"},
        {"2024-02-29", true, "2024-03-01 00:00:00 Asia/Almaty"},
        {"2026-02-29", false, NULL},
        {"2026-1-5", false, NULL},
        {"2026-01-15x", false, NULL},
        {"2026-01-15T09:30:00+05:00", true, "2026-01-15T04:30:00Z"},
        {"yesterday", false, NULL},
        {"", false, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[KM_REPORT_TIME_MAX] = "";
        struct km_err err = {{0}};
        int rc = km_report_time(cases[i].in, cases[i].end, out, &err);
        if (cases[i].out == NULL) {
            assert_int_equal(rc, KM_EINPUT);
            assert_non_null(strstr(err.msg, "expected a date YYYY-MM-DD"));
        } else {
            assert_int_equal(rc, KM_OK);
            assert_string_equal(out, cases[i].out);
        }
    }
}

static void test_agency_json(void **state)
{
    (void)state;
    struct km_agency_rating rows[2] = {
        {.agency = "ГКП «Астана Су Арнасы»",
         .received = 3,
         .on_time = 2,
         .overdue = 1,
         .median_resolve_s = 3600,
         .reaction_share = 0.5,
         .score = 65.7},
        {.agency = NULL, .received = 1, .median_resolve_s = -1, .reaction_share = -1, .score = -1},
    };
    struct km_agency_report r = {.from_ms = 0, .to_ms = 86400000, .rows = rows, .n = 2};
    struct km_buf b = KM_BUF_INIT;
    km_agency_report_json(&r, &b);
    assert_string_equal(
        b.data,
        "{\"from\":\"1970-01-01T00:00:00Z\",\"to\":\"1970-01-02T00:00:00Z\",\"agencies\":["
        "{\"agency\":\"ГКП «Астана Су Арнасы»\",\"received\":3,\"resolved\":0,\"rejected\":0,"
        "\"resolved_on_time\":2,\"overdue\":1,\"open\":0,\"open_overdue\":0,"
        "\"reaction_overdue\":0,\"median_resolve_s\":3600,\"reaction_on_time_share\":0.5000,"
        "\"score\":65.7},{\"agency\":null,\"received\":1,\"resolved\":0,\"rejected\":0,"
        "\"resolved_on_time\":0,\"overdue\":0,\"open\":0,\"open_overdue\":0,"
        "\"reaction_overdue\":0,\"median_resolve_s\":null,\"reaction_on_time_share\":null,"
        "\"score\":null}]}");
    km_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_places_shipped),
        cmocka_unit_test(test_places_normalise),
        cmocka_unit_test(test_places_index),
        cmocka_unit_test(test_places_errors),
        cmocka_unit_test(test_report_time),
        cmocka_unit_test(test_agency_json),
        cmocka_unit_test_setup_teardown(test_place_given, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_place_of, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rows_placed_again, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_places_sync, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_agency_report, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_agency_views, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_problems_report, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_problems_view, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
