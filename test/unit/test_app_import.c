/* Unit tests for app/import.c: format detection, the Telegram Desktop export reader and the
 * JSON lines reader, on the fixtures in test/fixtures/import/ and on inline inputs (no Redis:
 * the sink is a test double). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/import.h"
#include "app/import_telegram.h"
#include "common/alloc.h"
#include "common/buf.h"

#define FIX          "test/fixtures/import/"
#define COLLECTED_AT 1710000000000LL /* 2024-03-09T16:00:00Z */

/* A sink that keeps every post as JSON, remembers the batch sizes and can fail on call
 * fail_at (1-based; 0 = never). */
struct capture {
    struct km_buf json; /* one post per line */
    size_t n_posts, calls, sizes[16];
    size_t fail_at;
};

static int capture_sink(void *ctx, struct km_post_batch *b, struct km_err *err)
{
    struct capture *c = ctx;
    c->calls++;
    if (c->calls == c->fail_at) {
        return km_err_set(err, KM_RETRY, "redis down");
    }
    if (c->calls <= 16) {
        c->sizes[c->calls - 1] = b->n;
    }
    for (size_t i = 0; i < b->n; i++) {
        char *j = km_post_to_json(b->posts[i]);
        km_buf_puts(&c->json, j);
        km_buf_putc(&c->json, '\n');
        free(j);
        c->n_posts++;
    }
    return KM_OK;
}

/* Result of one read: posts, report text, stats, return code and error. */
struct run {
    struct capture cap;
    char *report;
    size_t report_len;
    struct km_import_stats st;
    struct km_err err;
    int rc;
};

static void run_free(struct run *r)
{
    km_buf_free(&r->cap.json);
    free(r->report);
}

/* When set, run_reader() reads through km_import_overlapped() (a second thread). */
static bool overlapped;

/* Reads f with the reader of fmt (batch_size 0 = default). */
static void run_reader(FILE *f, enum km_import_format fmt, const char *label, size_t batch_size,
                       size_t fail_at, struct run *r)
{
    memset(r, 0, sizeof(*r));
    r->cap.fail_at = fail_at;
    FILE *rep = open_memstream(&r->report, &r->report_len);
    assert_non_null(rep);
    struct km_import_opts o = {.source = "city109",
                               .label = label,
                               .batch_size = batch_size,
                               .collected_at = COLLECTED_AT,
                               .sink = capture_sink,
                               .sink_ctx = &r->cap,
                               .report = rep};
    km_import_reader_fn reader = fmt == KM_IMPORT_TELEGRAM ? km_import_telegram : km_import_jsonl;
    if (overlapped) {
        r->rc = km_import_overlapped(reader, f, &o, &r->st, &r->err);
    } else {
        r->rc = reader(f, &o, &r->st, &r->err);
    }
    fclose(rep);
}

static void run_file(const char *path, enum km_import_format fmt, size_t batch_size, struct run *r)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    run_reader(f, fmt, path, batch_size, 0, r);
    fclose(f);
}

static void run_text(const char *text, enum km_import_format fmt, struct run *r)
{
    FILE *f = fmemopen((void *)text, strlen(text), "rb");
    assert_non_null(f);
    run_reader(f, fmt, "in.json", 0, 0, r);
    fclose(f);
}

/* Compares the captured posts with want[] line by line (clear message on mismatch). */
static void assert_posts(const struct run *r, const char *const *want, size_t n)
{
    assert_int_equal(r->cap.n_posts, n);
    const char *line = r->cap.json.data;
    for (size_t i = 0; i < n; i++) {
        const char *nl = strchr(line, '\n');
        assert_non_null(nl);
        size_t len = (size_t)(nl - line);
        if (len != strlen(want[i]) || memcmp(line, want[i], len) != 0) {
            print_error("post %zu:\n got  %.*s\n want %s\n", i, (int)len, line, want[i]);
            fail();
        }
        line = nl + 1;
    }
}

/* clang-format off */
#define SG_CHAT                                                                            \
    "\"chat\":{\"id\":\"-1001599001234\",\"title\":\"Астана 109 — жалобы жителей\"}"
#define MARAT "\"author\":{\"id\":\"6120033\",\"name\":\"Марат Ахметов\",\"handle\":null}," SG_CHAT
#define AIGERIM                                                                            \
    "\"author\":{\"id\":\"5551001\",\"name\":\"Айгерим Нурланова\",\"handle\":null}," SG_CHAT
#define TG(id) "{\"network\":\"telegram\",\"source\":\"city109\",\"id\":\"" id "\","
#define SG_URL(n) "\"url\":\"https://t.me/c/1599001234/" n "\","
#define COLL "\"collected_at\":\"2024-03-09T16:00:00Z\","

static const char *const supergroup_posts[] = {
    TG("-1001599001234:4702") SG_URL("4702") MARAT
    ",\"text\":\"Нет света на Сарыарке 12, подъезд 3, с утра. Когда дадут? #109\",\"lang\":null,"
    "\"created_at\":\"2024-03-04T04:20:05Z\"," COLL "\"hashtags\":[\"109\"],\"reply_to\":null,"
    "\"engagement\":{},\"media\":[]}",
    TG("-1001599001234:4703") SG_URL("4703") AIGERIM
    ",\"text\":\"Жарық жоқ, #қала #акиматАстаны көмектесіңіздер 🔥#iKomek🙏\",\"lang\":null,"
    "\"created_at\":\"2024-03-04T04:31:47Z\"," COLL
    "\"hashtags\":[\"қала\",\"акиматастаны\",\"ikomek\"],"
    "\"reply_to\":\"-1001599001234:4702\",\"engagement\":{},\"media\":[]}",
    TG("-1001599001234:4704") SG_URL("4704") MARAT
    ",\"text\":\"Уже 5 часов без света! Дети дома #Астана #109\",\"lang\":null,"
    "\"created_at\":\"2024-03-04T05:02:13Z\"," COLL "\"hashtags\":[\"астана\",\"109\"],"
    "\"reply_to\":null,\"engagement\":{},\"media\":[],\"edited\":true}",
    TG("-1001599001234:4705") SG_URL("4705") AIGERIM
    ",\"text\":\"Яма на Кенесары 40, машины объезжают по встречке #Астана\",\"lang\":null,"
    "\"created_at\":\"2024-03-04T06:02:10Z\"," COLL "\"hashtags\":[\"астана\"],\"reply_to\":null,"
    "\"engagement\":{},\"media\":[\"photos/photo_12@04-03-2024_11-02-10.jpg\"]}",
    TG("-1001599001234:4706") SG_URL("4706") AIGERIM
    ",\"text\":null,\"lang\":null,\"created_at\":\"2024-03-04T06:05:33Z\"," COLL
    "\"hashtags\":[],\"reply_to\":null,\"engagement\":{},"
    "\"geo\":{\"lat\":51.128207,\"lon\":71.430411},\"media\":[]}",
    TG("-1001599001234:4707") SG_URL("4707") MARAT
    ",\"text\":\"#109 люк открыт во дворе, Абая 52\",\"lang\":null,"
    "\"created_at\":\"2024-03-04T06:40:02Z\"," COLL "\"hashtags\":[\"109\"],\"reply_to\":null,"
    "\"engagement\":{},\"media\":[]}",
    TG("-1001599001234:4708") SG_URL("4708")
    "\"author\":{\"id\":\"-1001599001234\",\"name\":\"Модератор\",\"handle\":null}," SG_CHAT
    ",\"text\":\"Заявку приняли, передали в АстанаЭнергосбыт #iKomek ✅\",\"lang\":null,"
    "\"created_at\":\"2024-03-04T07:15:00Z\"," COLL "\"hashtags\":[\"ikomek\"],"
    "\"reply_to\":\"-1001599001234:4707\",\"engagement\":{},\"media\":[]}",
    TG("-1001599001234:4709") SG_URL("4709") MARAT
    ",\"text\":\"Спасибо!\",\"lang\":null,\"created_at\":\"2024-03-04T07:16:21Z\"," COLL
    "\"hashtags\":[],\"reply_to\":\"-1001599001234:4708\",\"engagement\":{},\"media\":[]}",
};

#define CH_CHAT "\"chat\":{\"id\":\"-1001234567890\",\"title\":\"Акимат города Астаны\"}"

static const char *const channel_posts[] = {
    TG("-1001234567890:120") "\"url\":\"https://t.me/c/1234567890/120\","
    "\"author\":{\"id\":\"-1001234567890\",\"name\":\"Пресс-служба\",\"handle\":null}," CH_CHAT
    ",\"text\":\"Уважаемые жители! 5 марта с 10:00 до 16:00 плановое отключение воды в районе "
    "Алматы. #Астана #акиматАстаны\\nПодробнее: https://astana.gov.kz/ru/news#water\","
    "\"lang\":null,\"created_at\":\"2024-03-05T03:00:00Z\"," COLL
    "\"hashtags\":[\"астана\",\"акиматастаны\"],\"reply_to\":null,\"engagement\":{},"
    "\"media\":[]}",
    TG("-1001234567890:122") "\"url\":\"https://t.me/c/1234567890/122\","
    "\"author\":{\"id\":\"-1001234567890\",\"name\":\"Акимат города Астаны\",\"handle\":null},"
    CH_CHAT ",\"text\":\"Су берілді. Түсіністіктеріңізге рахмет!\",\"lang\":null,"
    "\"created_at\":\"2024-03-05T11:05:00Z\"," COLL "\"hashtags\":[],\"reply_to\":null,"
    "\"engagement\":{},\"media\":[],\"edited\":true}",
};

/* clang-format on */

static void test_telegram_fixtures(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        const char *const *posts;
        size_t n, ignored;
    } cases[] = {
        {FIX "result_supergroup.json", supergroup_posts, 8, 2},
        {FIX "result_channel.json", channel_posts, 2, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct run r;
        run_file(cases[i].path, KM_IMPORT_TELEGRAM, 0, &r);
        assert_int_equal(r.rc, KM_OK);
        assert_int_equal(r.st.read, cases[i].n);
        assert_int_equal(r.st.skipped, 0);
        assert_int_equal(r.st.ignored, cases[i].ignored);
        assert_int_equal(r.cap.calls, 1);
        assert_int_equal(r.report_len, 0);
        assert_posts(&r, cases[i].posts, cases[i].n);
        run_free(&r);
    }
}

/* Full batches go out as they fill, the rest at the end. */
static void test_telegram_batches(void **state)
{
    (void)state;
    struct run r;
    run_file(FIX "result_supergroup.json", KM_IMPORT_TELEGRAM, 3, &r);
    assert_int_equal(r.rc, KM_OK);
    assert_int_equal(r.cap.calls, 3);
    assert_int_equal(r.cap.sizes[0], 3);
    assert_int_equal(r.cap.sizes[1], 3);
    assert_int_equal(r.cap.sizes[2], 2);
    assert_posts(&r, supergroup_posts, 8);
    run_free(&r);
}

/* A failing sink stops the reader at once with the sink's code and message. */
static void test_sink_failure(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        enum km_import_format fmt;
    } cases[] = {
        {FIX "result_supergroup.json", KM_IMPORT_TELEGRAM},
        {FIX "posts.jsonl", KM_IMPORT_JSONL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct run r;
        FILE *f = fopen(cases[i].path, "rb");
        assert_non_null(f);
        run_reader(f, cases[i].fmt, cases[i].path, 2, 2, &r);
        fclose(f);
        assert_int_equal(r.rc, KM_RETRY);
        assert_string_equal(r.err.msg, "redis down");
        assert_int_equal(r.cap.calls, 2);
        assert_int_equal(r.cap.n_posts, 2); /* the first batch only */
        run_free(&r);
    }
}

/* Exports that cannot be imported at all: located error, nothing delivered. */
static void test_telegram_fatal(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        {"[]", "in.json:1: a JSON array, not a Telegram Desktop export"},
        {"{\"name\":\"x\",\"messages\":[]}", "in.json:1: \"messages\" before the chat's"},
        {"{\n\"about\": \"Here is the data\",\n\"personal_information\": {}}",
         "in.json:3: a full Telegram Desktop export (all chats)"},
        {"{\"type\":\"saved_messages\",\"id\":1,\"messages\":[]}",
         "in.json:1: chat type 'saved_messages' cannot be imported"},
        {"{\"type\":\"private_group\",\"id\":-5,\"messages\":[]}",
         "in.json:1: chat id '-5' is not a positive integer"},
        {"{\"type\":\"private_group\",\"id\":5,\"messages\":{}}",
         "in.json:1: \"messages\" is not an array"},
        {"{\"type\":\"private_group\",\"id\":5,\"messages\":[],\"messages\":[]}",
         "in.json:1: a second \"messages\" array"},
        {"{\"name\":\"x\"}", "in.json:1: no \"messages\" array"},
        {"", "in.json:1: not valid JSON"},
        {"hello", "in.json:1: not valid JSON (lexical error: invalid char in json text.); if "
                  "this is JSON lines, pass --format jsonl"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct run r;
        run_text(cases[i].text, KM_IMPORT_TELEGRAM, &r);
        assert_int_equal(r.rc, KM_EINPUT);
        if (strncmp(r.err.msg, cases[i].msg, strlen(cases[i].msg)) != 0) {
            print_error("case %zu: got '%s', want '%s...'\n", i, r.err.msg, cases[i].msg);
            fail();
        }
        assert_int_equal(r.cap.n_posts, 0);
        run_free(&r);
    }
}

/* JSON nested deeper than KM_JSON_MAX_DEPTH inside a message stops the parse; the
 * messages before it are still delivered. */
static void test_telegram_too_deep(void **state)
{
    (void)state;
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "{\"type\":\"private_group\",\"id\":77,\"messages\":[\n"
                    "{\"id\":1,\"type\":\"message\",\"text\":\"#109 первое\"},\n"
                    "{\"id\":2,\"type\":\"message\",\"x\":");
    for (int i = 0; i < 100000; i++) {
        km_buf_putc(&b, '[');
    }
    struct run r;
    run_text(b.data, KM_IMPORT_TELEGRAM, &r);
    assert_int_equal(r.rc, KM_EINPUT);
    assert_string_equal(r.err.msg, "in.json:3: JSON nested deeper than 64 levels");
    assert_int_equal(r.cap.n_posts, 1);
    assert_non_null(strstr(r.cap.json.data, "\"id\":\"-77:1\""));
    run_free(&r);
    km_buf_free(&b);
}

/* Malformed messages are reported and skipped; the others are imported. Also: a basic
 * group's id, replies to another chat, null fields, invalid UTF-8, "date" in local time
 * (old exports; main() sets TZ to UTC+5), a truncated export (what precedes the cut is
 * delivered). */
static void test_telegram_skipped(void **state)
{
    (void)state;
    const char *text =
        "{\n \"name\": \"Двор Абая 52\",\n \"type\": \"private_group\",\n \"id\": 4012345,\n"
        " \"messages\": [\n"
        "  {\"type\": \"message\", \"text\": \"#109 нет id\"},\n"
        "  {\"id\": 7, \"type\": \"message\", \"date_unixtime\": \"soon\", \"text\": \"#109\"},\n"
        "  42,\n"
        "  [1, 2],\n"
        "  {\"id\": 8, \"text\": \"#109 нет type\"},\n"
        "  {\"id\": 9, \"type\": \"message\", \"date\": \"2024-03-04T09:20:05\", \"from\": null,"
        " \"from_id\": \"chat4012345\", \"reply_to_message_id\": 55,"
        " \"reply_to_peer_id\": \"channel1234567890\", \"text\": \"\xff #Астана\","
        " \"text_entities\": [{\"type\": \"plain\", \"text\": \"\xff \"}, {\"type\": \"hashtag\","
        " \"text\": \"#Астана\"}], \"location_information\": {\"latitude\": 91, \"longitude\": 1}},"
        "\n  {\"id\": 10, \"type\": \"message\", \"text_entities\": [{\"type\": \"hashtag\","
        " \"text\": \"#Только\"}, {\"type\": \"plain\", \"text\": \" entities\"}]},\n"
        "  {\"id\": 11, \"type\": \"message\", \"text\": \"обрыв";
    struct run r;
    run_text(text, KM_IMPORT_TELEGRAM, &r);
    assert_int_equal(r.rc, KM_EINPUT);
    assert_string_equal(r.err.msg, "in.json:13: not valid JSON (parse error: premature EOF); if "
                                   "this is JSON lines, pass --format jsonl");
    assert_int_equal(r.st.read, 7);
    assert_int_equal(r.st.skipped, 5);
    assert_int_equal(r.st.ignored, 0);
    assert_string_equal(r.report, "in.json:6: message ?: no valid id\n"
                                  "in.json:7: message 7: date_unixtime is not a Unix time\n"
                                  "in.json:8: a message that is not an object\n"
                                  "in.json:9: a message that is not an object\n"
                                  "in.json:10: message 8: no type\n");
    static const char *const want[] = {
        "{\"network\":\"telegram\",\"source\":\"city109\",\"id\":\"-4012345:9\",\"url\":null,"
        "\"author\":{\"id\":\"-4012345\",\"name\":null,\"handle\":null},"
        "\"chat\":{\"id\":\"-4012345\",\"title\":\"Двор Абая 52\"},\"text\":\"\xEF\xBF\xBD "
        "#Астана\",\"lang\":null,\"created_at\":\"2024-03-04T04:20:05Z\"," COLL
        "\"hashtags\":[\"астана\"],\"reply_to\":\"-1001234567890:55\",\"engagement\":{},"
        "\"media\":[]}",
        "{\"network\":\"telegram\",\"source\":\"city109\",\"id\":\"-4012345:10\",\"url\":null,"
        "\"author\":{\"id\":null,\"name\":null,\"handle\":null},"
        "\"chat\":{\"id\":\"-4012345\",\"title\":\"Двор Абая 52\"},"
        "\"text\":\"#Только entities\",\"lang\":null,\"created_at\":null," COLL
        "\"hashtags\":[\"только\"],\"reply_to\":null,\"engagement\":{},\"media\":[]}",
    };
    assert_posts(&r, want, 2);
    run_free(&r);
}

static void test_telegram_personal_chat(void **state)
{
    (void)state;
    struct run r;
    run_text("{\"name\":\"Бекзат\",\"type\":\"personal_chat\",\"id\":6120033,\"messages\":["
             "{\"id\":3,\"type\":\"message\",\"date_unixtime\":\"1709526005\",\"from\":\"Бекзат\","
             "\"from_id\":\"user6120033\",\"text\":\"#iKomek\"}]}",
             KM_IMPORT_TELEGRAM, &r);
    assert_int_equal(r.rc, KM_OK);
    static const char *const want[] = {
        "{\"network\":\"telegram\",\"source\":\"city109\",\"id\":\"6120033:3\",\"url\":null,"
        "\"author\":{\"id\":\"6120033\",\"name\":\"Бекзат\",\"handle\":null},"
        "\"chat\":{\"id\":\"6120033\",\"title\":\"Бекзат\"},\"text\":\"#iKomek\",\"lang\":null,"
        "\"created_at\":\"2024-03-04T04:20:05Z\"," COLL
        "\"hashtags\":[\"ikomek\"],\"reply_to\":null,\"engagement\":{},\"media\":[]}",
    };
    assert_posts(&r, want, 1);
    run_free(&r);
}

/* clang-format off */
static const char *const jsonl_posts[] = {
    "{\"network\":\"mastodon\",\"source\":\"city109\",\"id\":\"112034567890123456\","
    "\"url\":\"https://mastodon.kz/@aliya/112034567890123456\","
    "\"author\":{\"id\":\"109876\",\"name\":\"Алия\",\"handle\":\"aliya@mastodon.kz\"},"
    "\"chat\":{\"id\":null,\"title\":null},\"text\":\"Светофор на Туран — Сыганак не работает с "
    "утра, пробка до моста #Астана #109\",\"lang\":null,\"created_at\":\"2024-03-04T05:10:00Z\","
    "\"collected_at\":\"2024-03-04T05:10:31Z\",\"hashtags\":[\"астана\",\"109\"],"
    "\"reply_to\":null,\"engagement\":{\"likes\":3,\"reposts\":1,\"replies\":0},\"media\":[]}",
    "{\"network\":\"rss\",\"source\":\"city109\","
    "\"id\":\"https://astana.gov.kz/ru/news/2024-03-04-water\","
    "\"url\":\"https://astana.gov.kz/ru/news/2024-03-04-water\","
    "\"author\":{\"id\":null,\"name\":null,\"handle\":null},\"chat\":{\"id\":null,\"title\":null},"
    "\"text\":\"Плановое отключение воды 5 марта #акиматАстаны\",\"lang\":null,"
    "\"created_at\":\"2024-03-04T07:00:00Z\"," COLL "\"hashtags\":[\"акиматастаны\"],"
    "\"reply_to\":null,\"engagement\":{},\"media\":[]}",
    "{\"network\":\"vk\",\"source\":\"city109\",\"id\":\"-72495085_31337\",\"url\":null,"
    "\"author\":{\"id\":null,\"name\":null,\"handle\":null},\"chat\":{\"id\":null,\"title\":null},"
    "\"text\":\"Жарық жоқ \xEF\xBF\xBD\xEF\xBF\xBD #iKomek\",\"lang\":null,"
    "\"created_at\":\"2024-03-04T08:00:00Z\"," COLL "\"hashtags\":[\"ikomek\"],"
    "\"reply_to\":null,\"engagement\":{},\"media\":[]}",
    "{\"network\":\"telegram\",\"source\":\"city109\",\"id\":\"-1001234567890:130\",\"url\":null,"
    "\"author\":{\"id\":null,\"name\":null,\"handle\":null},\"chat\":{\"id\":null,\"title\":null},"
    "\"text\":\"Құрметті тұрғындар, #Астана\",\"lang\":null,"
    "\"created_at\":\"2024-03-05T10:00:00Z\",\"collected_at\":\"2024-03-05T10:00:05Z\","
    "\"hashtags\":[\"астана\"],\"reply_to\":null,\"engagement\":{},"
    "\"geo\":{\"lat\":51.16,\"lon\":71.47},\"media\":[],\"edited\":true}",
};
/* clang-format on */

/* Blank lines skipped, bad lines reported with their line and skipped, invalid UTF-8
 * repaired, CRLF accepted, source replaced by the import's. */
static void test_jsonl_fixture(void **state)
{
    (void)state;
    struct run r;
    run_file(FIX "posts.jsonl", KM_IMPORT_JSONL, 0, &r);
    assert_int_equal(r.rc, KM_OK);
    assert_int_equal(r.st.read, 7);
    assert_int_equal(r.st.skipped, 3);
    assert_string_equal(r.report, FIX "posts.jsonl:4: offset 72: parse error: premature EOF\n" FIX
                                      "posts.jsonl:5: post: missing or non-string \"text\"\n" FIX
                                      "posts.jsonl:7: offset 114: nesting deeper than 64\n");
    assert_posts(&r, jsonl_posts, 4);
    run_free(&r);
}

/* A BOM before the first line; a line longer than KM_IMPORT_MAX_LINE is skipped whole. */
static void test_jsonl_long_line(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    fputs("\xEF\xBB\xBF{\"network\":\"rss\",\"id\":\"a\",\"text\":\"#109\"}\n{\"network\":\"rss\","
          "\"id\":\"b\",\"text\":\"",
          f);
    for (int i = 0; i < KM_IMPORT_MAX_LINE; i++) {
        fputc('x', f);
    }
    fputs("\"}\n{\"network\":\"rss\",\"id\":\"c\",\"text\":\"#109\"}", f); /* no final \n */
    rewind(f);
    struct run r;
    run_reader(f, KM_IMPORT_JSONL, "big.jsonl", 0, 0, &r);
    fclose(f);
    assert_int_equal(r.rc, KM_OK);
    assert_int_equal(r.st.read, 3);
    assert_int_equal(r.st.skipped, 1);
    assert_string_equal(r.report, "big.jsonl:2: line longer than 1048576 bytes\n");
    assert_int_equal(r.cap.n_posts, 2);
    assert_non_null(strstr(r.cap.json.data, "\"id\":\"a\""));
    assert_non_null(strstr(r.cap.json.data, "\"id\":\"c\""));
    run_free(&r);
}

/* Empty lines before, between and after posts, also first (found by fuzz_import: the
 * empty first line made the reader compute NULL + 0, which UBSan reports). */
static void test_jsonl_empty_lines(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t read, skipped, posts;
    } cases[] = {
        {"\n{:", 1, 1, 0},
        {"\n\n{\"network\":\"rss\",\"id\":\"a\",\"text\":\"#109\"}\n\n", 1, 0, 1},
        {"\n", 0, 0, 0},
        {"{\"network\":\"rss\",\"id\":\"a\",\"text\":\"#109\"}\n\n"
         "{\"network\":\"rss\",\"id\":\"b\",\"text\":\"x\"}",
         2, 0, 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct run r;
        run_text(cases[i].text, KM_IMPORT_JSONL, &r);
        assert_int_equal(r.rc, KM_OK);
        assert_int_equal(r.st.read, cases[i].read);
        assert_int_equal(r.st.skipped, cases[i].skipped);
        assert_int_equal(r.cap.n_posts, cases[i].posts);
        run_free(&r);
    }
}

static void test_detect(void **state)
{
    (void)state;
    static const struct {
        const char *text; /* NULL: the file path */
        const char *path;
        int rc;
        enum km_import_format fmt;
    } cases[] = {
        {NULL, FIX "result_supergroup.json", KM_OK, KM_IMPORT_TELEGRAM},
        {NULL, FIX "result_channel.json", KM_OK, KM_IMPORT_TELEGRAM},
        {NULL, FIX "posts.jsonl", KM_OK, KM_IMPORT_JSONL},
        {"\xEF\xBB\xBF\n\n  {\"network\":\"rss\",\"id\":\"1\",\"text\":\"a\"}\n", NULL, KM_OK,
         KM_IMPORT_JSONL},
        {"{\"network\":\"rss\",\"id\":\"1\",\"text\":\"a\"}", NULL, KM_OK, KM_IMPORT_JSONL},
        {"{\"name\":\"x\",\"type\":\"private_group\",\"id\":1,\"messages\":[]}\n", NULL, KM_OK,
         KM_IMPORT_TELEGRAM},
        {"{\"network\":\"rss\",\n\"id\":\"1\"}\n", NULL, KM_OK, KM_IMPORT_TELEGRAM},
        {"", NULL, KM_EINPUT, KM_IMPORT_AUTO},
        {"\n \t\n", NULL, KM_EINPUT, KM_IMPORT_AUTO},
        {"network,id,text\n", NULL, KM_EINPUT, KM_IMPORT_AUTO},
        {"[{\"network\":\"rss\"}]\n", NULL, KM_EINPUT, KM_IMPORT_AUTO},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        FILE *f = cases[i].text != NULL
                      ? fmemopen((void *)cases[i].text, strlen(cases[i].text), "rb")
                      : fopen(cases[i].path, "rb");
        assert_non_null(f);
        enum km_import_format fmt = KM_IMPORT_AUTO;
        struct km_err err = {{0}};
        int rc = km_import_detect(f, "x", &fmt, &err);
        assert_int_equal(rc, cases[i].rc);
        assert_int_equal(fmt, cases[i].fmt);
        assert_int_equal(ftell(f), 0); /* rewound for the reader */
        if (rc != KM_OK) {
            assert_true(strncmp(err.msg, "x: ", 3) == 0);
        }
        fclose(f);
    }
}

/* A pipe cannot be rewound: detection refuses it and names the option. */
static void test_detect_pipe(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "{}\n", 3), 3);
    close(fds[1]);
    FILE *f = fdopen(fds[0], "rb");
    assert_non_null(f);
    enum km_import_format fmt = KM_IMPORT_AUTO;
    struct km_err err = {{0}};
    assert_int_equal(km_import_detect(f, "-", &fmt, &err), KM_EINPUT);
    assert_string_equal(err.msg, "-: cannot detect the format of a stream; pass --format");
    fclose(f);
}

static void test_format_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int rc;
        enum km_import_format fmt;
    } cases[] = {
        {"auto", KM_OK, KM_IMPORT_AUTO},   {"telegram", KM_OK, KM_IMPORT_TELEGRAM},
        {"jsonl", KM_OK, KM_IMPORT_JSONL}, {"json", KM_EINPUT, KM_IMPORT_AUTO},
        {"", KM_EINPUT, KM_IMPORT_AUTO},   {NULL, KM_EINPUT, KM_IMPORT_AUTO},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum km_import_format fmt = KM_IMPORT_AUTO;
        assert_int_equal(km_import_format_parse(cases[i].name, &fmt), cases[i].rc);
        assert_int_equal(fmt, cases[i].fmt);
        if (cases[i].rc == KM_OK) {
            assert_string_equal(km_import_format_name(fmt), cases[i].name);
        }
    }
}

/* Reads the same input once in this thread and once with the reader in a second one. */
static void run_both(const char *text, const char *path, enum km_import_format fmt,
                     size_t batch_size, size_t fail_at, struct run *seq, struct run *ovl)
{
    struct run *runs[2] = {seq, ovl};
    for (int i = 0; i < 2; i++) {
        FILE *f = text != NULL ? fmemopen((void *)text, strlen(text), "rb") : fopen(path, "rb");
        assert_non_null(f);
        overlapped = i == 1;
        run_reader(f, fmt, text != NULL ? "in.json" : path, batch_size, fail_at, runs[i]);
        overlapped = false;
        fclose(f);
    }
}

/* The overlapped reader gives exactly what the reader alone gives: the same batches in
 * the same order, the same report text, counts, code and message, also when the sink
 * fails (the lines read ahead are neither reported nor counted) and when the input is
 * malformed. */
static void test_overlapped_same(void **state)
{
    (void)state;
    static const char bad_lines[] = "{\"network\":\"rss\",\"id\":\"a\",\"text\":\"#109\"}\n{:\n"
                                    "{\"network\":\"rss\",\"id\":\"b\",\"text\":\"x\"}\n[]\n"
                                    "{\"network\":\"rss\",\"id\":\"c\",\"text\":\"y\"}\n{\n";
    static const struct {
        const char *text, *path;
        enum km_import_format fmt;
    } inputs[] = {
        {NULL, FIX "posts.jsonl", KM_IMPORT_JSONL},
        {NULL, FIX "result_supergroup.json", KM_IMPORT_TELEGRAM},
        {NULL, FIX "result_channel.json", KM_IMPORT_TELEGRAM},
        {bad_lines, NULL, KM_IMPORT_JSONL},
        {"{\"messages\":[{\"id\":1,\"type\":\"message\"", NULL, KM_IMPORT_TELEGRAM},
        {"", NULL, KM_IMPORT_JSONL},
    };
    static const size_t batch_sizes[] = {0, 1, 2, 3};
    static const size_t fail_at[] = {0, 1, 2, 3};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        for (size_t b = 0; b < sizeof(batch_sizes) / sizeof(batch_sizes[0]); b++) {
            for (size_t k = 0; k < sizeof(fail_at) / sizeof(fail_at[0]); k++) {
                struct run seq, ovl;
                run_both(inputs[i].text, inputs[i].path, inputs[i].fmt, batch_sizes[b], fail_at[k],
                         &seq, &ovl);
                assert_int_equal(ovl.rc, seq.rc);
                assert_string_equal(ovl.err.msg, seq.err.msg);
                assert_int_equal(ovl.report_len, seq.report_len);
                assert_memory_equal(ovl.report != NULL ? ovl.report : "",
                                    seq.report != NULL ? seq.report : "", seq.report_len);
                assert_memory_equal(&ovl.st, &seq.st, sizeof(seq.st));
                assert_int_equal(ovl.cap.calls, seq.cap.calls);
                assert_memory_equal(ovl.cap.sizes, seq.cap.sizes, sizeof(seq.cap.sizes));
                assert_int_equal(ovl.cap.json.len, seq.cap.json.len);
                assert_memory_equal(ovl.cap.json.data != NULL ? ovl.cap.json.data : "",
                                    seq.cap.json.data != NULL ? seq.cap.json.data : "",
                                    seq.cap.json.len);
                run_free(&seq);
                run_free(&ovl);
            }
        }
    }
}

/* Many batches through the two-slot hand-off, the sink failing late: what was handed over
 * before is delivered whole and in order, nothing after it. */
static void test_overlapped_many(void **state)
{
    (void)state;
    struct km_buf in = KM_BUF_INIT;
    for (int i = 0; i < 2000; i++) {
        if (i % 97 == 0) {
            km_buf_printf(&in, "{\"network\":\"rss\",\"id\":\"%d\"}\n", i); /* no text */
        } else {
            km_buf_printf(&in, "{\"network\":\"rss\",\"id\":\"%d\",\"text\":\"#109 %d\"}\n", i, i);
        }
    }
    static const size_t fail_at[] = {0, 5, 40};
    for (size_t k = 0; k < sizeof(fail_at) / sizeof(fail_at[0]); k++) {
        struct run seq, ovl;
        run_both(in.data, NULL, KM_IMPORT_JSONL, 7, fail_at[k], &seq, &ovl);
        assert_int_equal(ovl.rc, seq.rc);
        assert_int_equal(ovl.cap.calls, seq.cap.calls);
        assert_int_equal(ovl.cap.n_posts, seq.cap.n_posts);
        assert_int_equal(ovl.report_len, seq.report_len);
        assert_memory_equal(ovl.report, seq.report, seq.report_len);
        assert_memory_equal(&ovl.st, &seq.st, sizeof(seq.st));
        assert_string_equal(ovl.cap.json.data, seq.cap.json.data);
        run_free(&seq);
        run_free(&ovl);
    }
    km_buf_free(&in);
}

int main(void)
{
    setenv("TZ", "ALMT-5", 1); /* POSIX TZ: a zone 5 hours east of UTC, like Astana */
    tzset();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_telegram_fixtures),
        cmocka_unit_test(test_telegram_batches),
        cmocka_unit_test(test_sink_failure),
        cmocka_unit_test(test_telegram_fatal),
        cmocka_unit_test(test_telegram_too_deep),
        cmocka_unit_test(test_telegram_skipped),
        cmocka_unit_test(test_telegram_personal_chat),
        cmocka_unit_test(test_jsonl_fixture),
        cmocka_unit_test(test_jsonl_long_line),
        cmocka_unit_test(test_jsonl_empty_lines),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_detect_pipe),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_overlapped_same),
        cmocka_unit_test(test_overlapped_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
