/* Unit tests for parser/feed: RSS 2.0, Atom and RDF fixtures with Astana city-service
 * content, encodings, malformed input, an entity bomb and external entities (XXE). */
#include "common/alloc.h"
#include "common/err.h"
#include "common/time.h"
#include "common/utf8.h"
#include "parser/feed.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "test/unit/xml_test.h"

#define FIXTURES "test/fixtures/parser/"

/* Reads a fixture (tests run from the repository root). Caller frees. */
static char *load(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof(path), FIXTURES "%s", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s (run from the repository root)", path);
    }
    char *buf = km_malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static struct km_feed *parse_fixture(const char *name)
{
    size_t len = 0;
    char *buf = load(name, &len);
    struct km_feed *f = NULL;
    struct km_err err = {""};
    int rc = km_feed_parse(buf, len, &f, &err);
    if (rc != KM_OK) {
        fail_msg("%s: %s", name, err.msg);
    }
    free(buf);
    return f;
}

static void assert_opt_str(const char *got, const char *want)
{
    if (want == NULL || got == NULL) {
        assert_ptr_equal(got, want);
    } else {
        assert_string_equal(got, want);
    }
}

/* Expected fields of one item; categories joined with '|'. */
struct want_item {
    const char *id, *title, *link, *author, *summary, *cats;
    int64_t published_ms;
};

static void assert_items(const struct km_feed *f, const struct want_item *want, size_t n)
{
    assert_int_equal(f->n, n);
    for (size_t i = 0; i < n; i++) {
        const struct km_feed_item *it = &f->items[i];
        assert_opt_str(it->id, want[i].id);
        assert_opt_str(it->title, want[i].title);
        assert_opt_str(it->link, want[i].link);
        assert_opt_str(it->author, want[i].author);
        assert_opt_str(it->summary, want[i].summary);
        assert_true(it->published_ms == want[i].published_ms);
        char cats[512] = "";
        for (size_t c = 0; c < it->n_categories; c++) {
            strcat(cats, c > 0 ? "|" : "");
            strcat(cats, it->categories[c]);
        }
        assert_string_equal(cats, want[i].cats);
    }
}

static void test_rss2(void **state)
{
    (void)state;
    static const struct want_item want[] = {
        {"gov-kz-astana-512345", "Плановое отключение горячей воды в районе Алматы",
         "https://www.gov.kz/memleket/entities/astana/press/news/details/512345",
         "Пресс-служба акимата",
         "С 24 по 26 ноября в связи с ремонтом теплосетей будет отключена горячая вода по "
         "адресам:\n\nпр. Тәуелсіздік, 21\n\nул. Жұбанова, 7\n\nВопросы: 109 & #iKomek",
         "ЖКХ|Алматы ауданы", 1795372861000LL},
        {"https://www.gov.kz/memleket/entities/astana/press/news/details/512346",
         "Ашық люк туралы хабарлама қабылданды #109",
         "https://www.gov.kz/memleket/entities/astana/press/news/details/512346", NULL,
         "Тұран даңғылы, 24 мекенжайы бойынша ашық люк жабылды.\nРахмет! #Астана", "Жол",
         1795425300000LL},
        {"https://astana.gov.kz/en/news/lights-kabanbay",
         "Street lights repaired on Kabanbay Batyr avenue", NULL, NULL,
         "Crews of Astana Zharyk restored 40 street lights overnight.", "", 0},
    };
    struct km_feed *f = parse_fixture("rss2_astana.xml");
    assert_string_equal(f->format, "rss");
    assert_string_equal(f->title, "Акимат города Астаны — Новости");
    assert_int_equal(f->ttl_minutes, 15);
    assert_false(f->repaired);
    assert_items(f, want, sizeof(want) / sizeof(want[0]));
    km_feed_free(f);
}

static void test_atom(void **state)
{
    (void)state;
    static const struct want_item want[] = {
        {"tag:109.astana.kz,2026:request-4711", "Нет отопления в ЖК «Highvill»",
         "https://109.astana.kz/requests/4711", "Оператор Айгуль",
         "Жители дома по ул. Ақмешіт, 1 сообщают об отсутствии отопления.\n\nЗаявка №4711 "
         "передана в АО «Астана-Теплотранзит». #109",
         "отопление|Есиль", 1795372861000LL},
        {"tag:109.astana.kz,2026:request-4712", "Су құбыры жөнделді",
         "https://109.astana.kz/requests/4712", "Единый контакт-центр 109",
         "Сарыарқа ауданындағы су құбыры жөнделді.\n\nРахмет! #iKomek", "Сумен жабдықтау",
         1795420800500LL},
        {"tag:109.astana.kz,2026:snow", "Snow removal schedule", "https://109.astana.kz/en/snow",
         "Единый контакт-центр 109", "Snow removal on Turan avenue tonight from 23:00.", "", 0},
    };
    struct km_feed *f = parse_fixture("atom_astana.xml");
    assert_string_equal(f->format, "atom");
    assert_string_equal(f->title, "Центр обслуживания 109 — Астана");
    assert_int_equal(f->ttl_minutes, 0);
    assert_items(f, want, sizeof(want) / sizeof(want[0]));
    km_feed_free(f);
}

static void test_rdf(void **state)
{
    (void)state;
    static const struct want_item want[] = {
        {"https://astana-news.kz/2026/11/bus-route-12", "Маршрут автобуса №12 изменён",
         "https://astana-news.kz/2026/11/bus-route-12", "Редакция",
         "С 1 декабря автобус №12 пойдёт через Мәңгілік Ел.", "Транспорт", 1795147200000LL},
        {"https://astana-news.kz/2026/11/park", "Саябақта жаңа орындықтар",
         "https://astana-news.kz/2026/11/park", NULL, "Орталық саябақта 50 жаңа орындық орнатылды.",
         "", 0},
    };
    struct km_feed *f = parse_fixture("rdf_astana.xml");
    assert_string_equal(f->format, "rdf");
    assert_string_equal(f->title, "Astana News (RDF)");
    assert_items(f, want, sizeof(want) / sizeof(want[0]));
    km_feed_free(f);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *fixture; /* or NULL: use body */
        const char *body;
        const char *msg; /* exact, or a prefix when it ends with ':' */
    } cases[] = {
        {"malformed.xml", NULL, "line 9: Premature end of data in tag rss line 2"},
        {"empty.xml", NULL, "empty body"},
        {"not_feed.xml", NULL, "not an RSS or Atom feed"},
        {NULL, "<html><body><p>502 Bad Gateway</body></html>", "line 1:"},
        {NULL, "{\"error\":\"not xml\"}", "line 1: Start tag expected, '<' not found"},
        {NULL, "   \n  ", "line 2:"},
        {NULL, "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>x</tit", "line 2:"},
        {NULL, "<feed><entry/></feed>", "not an RSS or Atom feed"}, /* Atom without ns */
        {NULL, "<rss xmlns=\"http://example.com/\"><channel/></rss>", "not an RSS or Atom feed"},
        /* valid UTF-8 with a control character: not repaired */
        {NULL, "<rss><channel><title>a\x01</title></channel></rss>", "line 1:"},
        /* declared KOI8-R: a control character is an error, not a UTF-8 problem */
        {NULL,
         "<?xml version=\"1.0\" encoding=\"KOI8-R\"?><rss><channel><title>\xf7\xff\x01"
         "</title></channel></rss>",
         "line 1:"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = 0;
        char *buf =
            cases[i].fixture != NULL ? load(cases[i].fixture, &len) : km_strdup(cases[i].body);
        if (cases[i].fixture == NULL) {
            len = strlen(buf);
        }
        struct km_feed *f = (struct km_feed *)buf; /* must be reset to NULL */
        struct km_err err = {""};
        assert_int_equal(km_feed_parse(buf, len, &f, &err), KM_EINPUT);
        assert_null(f);
        size_t mlen = strlen(cases[i].msg);
        if (cases[i].msg[mlen - 1] == ':') {
            assert_int_equal(strncmp(err.msg, cases[i].msg, mlen), 0);
            assert_true(strlen(err.msg) > mlen + 1);
            assert_null(strchr(err.msg, '\n'));
        } else {
            assert_string_equal(err.msg, cases[i].msg);
        }
        free(buf);
    }
}

/* Nothing in the feed may contain needle. */
static void assert_feed_lacks(const struct km_feed *f, const char *needle)
{
    assert_true(f->title == NULL || strstr(f->title, needle) == NULL);
    for (size_t i = 0; i < f->n; i++) {
        const struct km_feed_item *it = &f->items[i];
        const char *fields[] = {it->id, it->title, it->link, it->summary, it->author};
        for (size_t j = 0; j < sizeof(fields) / sizeof(fields[0]); j++) {
            assert_true(fields[j] == NULL || strstr(fields[j], needle) == NULL);
        }
    }
}

/* A billion-laughs bomb must fail or stay unexpanded, and stay fast. */
static void test_bomb(void **state)
{
    (void)state;
    size_t len = 0;
    char *buf = load("bomb.xml", &len);
    struct km_feed *f = NULL;
    struct km_err err = {""};
    int64_t t0 = km_time_mono_ms();
    int rc = km_feed_parse(buf, len, &f, &err);
    assert_true(km_time_mono_ms() - t0 < 1000);
    if (rc == KM_OK) {
        assert_feed_lacks(f, "lollol");
    } else {
        assert_int_equal(rc, KM_EINPUT);
        assert_int_equal(strncmp(err.msg, "line ", 5), 0);
    }
    km_feed_free(f);
    free(buf);

    /* a smaller bomb that libxml2 accepts (2.9.14 calls three levels a "loop" without
     * NOENT): the references are left unexpanded */
    static const char small[] =
        "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY a \"lol\">"
        "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
        "<rss><channel><title>Bomb &b;</title><item><guid>g</guid><title>&b;&b;</title>"
        "<description>&b;</description></item></channel></rss>";
    assert_int_equal(km_feed_parse(small, sizeof(small) - 1, &f, &err), KM_OK);
    assert_string_equal(f->title, "Bomb");
    assert_int_equal(f->n, 1);
    assert_null(f->items[0].title);
    assert_feed_lacks(f, "lol");
    km_feed_free(f);
}

/* External entities are never loaded: not from file://, not relative, not from the net. */
static void test_xxe(void **state)
{
    (void)state;
    struct km_feed *f = parse_fixture("xxe.xml");
    assert_string_equal(f->title, "XXE");
    assert_int_equal(f->n, 1);
    assert_string_equal(f->items[0].title, "Leak:");
    assert_string_equal(f->items[0].id, "xxe-1");
    assert_feed_lacks(f, "root:");
    assert_feed_lacks(f, "KM-SECRET-MARKER");
    km_feed_free(f);
}

/* The guard of xml_test.h sees an external entity being loaded (its positive control:
 * without it the next test would prove nothing). */
static void test_guard_works(void **state)
{
    (void)state;
    static const char doc[] = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY s SYSTEM "
                              "\"test/fixtures/parser/xxe_secret.txt\">]><r>&s;</r>";
    xt_guard_begin();
    xmlDocPtr d =
        xmlReadMemory(doc, (int)sizeof(doc) - 1, NULL, NULL,
                      XML_PARSE_NOENT | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    assert_true(xt_guard_end() > 0);
    assert_non_null(d);
    xmlFreeDoc(d);
}

/* Security (issue 7): no feed makes libxml2 load an external DTD or entity or open any file
 * or URL, and no entity text reaches the items: a billion-laughs bomb, external general and
 * parameter entities (file://, relative, http://), an external DTD subset, the same inside
 * Atom type="html"/"xhtml" content, and an RSS description that is itself an HTML document
 * with a bomb and external entities (the HTML step). Each stays fast. */
static void test_no_external_access(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int rc;
        const char *title; /* of the first item; NULL: not checked */
        const char *summary;
    } cases[] = {
        {"bomb.xml", KM_EINPUT, NULL, NULL},
        {"xxe.xml", KM_OK, "Leak:", NULL},
        {"xxe_dtd.xml", KM_OK, "PE", "body &leak;"},
        {"atom_xxe.xml", KM_OK, "Title", "Body"},
        /* libxml2's HTML parser keeps an internal subset and undeclared references as
         * text: nothing expanded, nothing loaded (the summary is checked below) */
        {"html_xxe.xml", KM_OK, "Inner document", NULL},
    };
    static const char *const leaks[] = {"lollol", "root:", "KM-SECRET-MARKER", "KM-DTD-LOADED",
                                        "KM-PE-LOADED"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = 0;
        char *buf = load(cases[i].file, &len);
        struct km_feed *f = NULL;
        struct km_err err = {""};
        xt_guard_begin();
        int64_t t0 = km_time_mono_ms();
        int rc = km_feed_parse(buf, len, &f, &err);
        int64_t ms = km_time_mono_ms() - t0;
        if (xt_guard_end() != 0) {
            fail_msg("%s: libxml2 reached outside the document: %s", cases[i].file, xt_last);
        }
        if (rc != cases[i].rc) {
            fail_msg("%s: rc %d (%s), want %d", cases[i].file, rc, err.msg, cases[i].rc);
        }
        assert_true(ms < 1000);
        for (size_t k = 0; f != NULL && k < sizeof(leaks) / sizeof(leaks[0]); k++) {
            assert_feed_lacks(f, leaks[k]);
        }
        if (cases[i].title != NULL) {
            assert_true(f->n >= 1);
            assert_string_equal(f->items[0].title, cases[i].title);
        }
        if (cases[i].summary != NULL) {
            assert_string_equal(f->items[0].summary, cases[i].summary);
        } else if (strcmp(cases[i].file, "html_xxe.xml") == 0) {
            assert_non_null(strstr(f->items[0].summary, "Body &lol9; &passwd; &secret;"));
        }
        km_feed_free(f);
        free(buf);
    }
}

static void test_encodings(void **state)
{
    (void)state;
    struct km_feed *f = parse_fixture("rss2_cp1251.xml");
    assert_string_equal(f->title, "Новости Астаны");
    assert_string_equal(f->items[0].title, "Ремонт дороги на Кенесары");
    assert_false(f->repaired);
    km_feed_free(f);

    f = parse_fixture("rss2_bad_utf8.xml");
    assert_true(f->repaired);
    assert_string_equal(f->items[0].title, "Нет воды \xef\xbf\xbd\xef\xbf\xbd на Сарайшык");
    assert_string_equal(f->items[0].summary, "ул. Сарайшык, 5 \xef\xbf\xbd");
    assert_true(km_utf8_valid(f->items[0].title, strlen(f->items[0].title), NULL));
    km_feed_free(f);
}

static void test_ttl_and_shapes(void **state)
{
    (void)state;
    static const struct {
        const char *body;
        long ttl;
        size_t n;
        const char *title;
    } cases[] = {
        {"<rss><channel><ttl>15</ttl></channel></rss>", 15, 0, NULL},
        {"<rss><channel><ttl> 30 </ttl><title> </title></channel></rss>", 30, 0, NULL},
        {"<rss><channel><ttl>0</ttl></channel></rss>", 0, 0, NULL},
        {"<rss><channel><ttl>-5</ttl></channel></rss>", 0, 0, NULL},
        {"<rss><channel><ttl>soon</ttl></channel></rss>", 0, 0, NULL},
        {"<rss><channel><ttl>99999999</ttl></channel></rss>", 0, 0, NULL},
        {"<rss/>", 0, 0, NULL},
        {"<rss><channel><title>A</title><title>B</title><item/><item/></channel></rss>", 0, 2, "A"},
        {"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry/></feed>", 0, 1, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct km_feed *f = NULL;
        struct km_err err = {""};
        assert_int_equal(km_feed_parse(cases[i].body, strlen(cases[i].body), &f, &err), KM_OK);
        assert_int_equal(f->ttl_minutes, cases[i].ttl);
        assert_int_equal(f->n, cases[i].n);
        assert_opt_str(f->title, cases[i].title);
        for (size_t j = 0; j < f->n; j++) {
            assert_null(f->items[j].id); /* no guid, no link */
            assert_null(f->items[j].summary);
        }
        km_feed_free(f);
    }
    km_feed_free(NULL);
}

/* libxml2 refuses documents nested deeper than 256 without XML_PARSE_HUGE. */
static void test_deep(void **state)
{
    (void)state;
    size_t n = 5000;
    char *s = km_malloc(n * 3 + 64);
    char *p = s + sprintf(s, "<rss><channel><item>");
    for (size_t i = 0; i < n; i++, p += 3) {
        memcpy(p, "<x>", 3);
    }
    *p = '\0';
    struct km_feed *f = NULL;
    struct km_err err = {""};
    assert_int_equal(km_feed_parse(s, strlen(s), &f, &err), KM_EINPUT);
    assert_non_null(strstr(err.msg, "depth"));
    free(s);
}

int main(void)
{
    xmlInitParser();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rss2),        cmocka_unit_test(test_atom),
        cmocka_unit_test(test_rdf),         cmocka_unit_test(test_errors),
        cmocka_unit_test(test_bomb),        cmocka_unit_test(test_xxe),
        cmocka_unit_test(test_guard_works), cmocka_unit_test(test_no_external_access),
        cmocka_unit_test(test_encodings),   cmocka_unit_test(test_ttl_and_shapes),
        cmocka_unit_test(test_deep),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
