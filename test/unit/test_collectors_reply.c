/* Tests of km_reply_send() (collectors/reply*.c) and the sending limits
 * (collectors/reply_limit.c).
 *
 * A scripted libmicrohttpd server on 127.0.0.1 plays the networks: each test queues the
 * answers and then reads back what the sender asked (method, path, query, headers, body).
 * The sending limits run on an injected clock, so nothing sleeps. With KM_FAKENET_URL set
 * (test/integration/test_replies.sh), one more test replies through build/fakenet and reads
 * the replies back from GET /_fake/replies. */
#include "collectors/reply.h"
#include "collectors/reply_limit.h"

#include "collectors/collector.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/time.h"
#include "parser/json.h"

#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define TG_TOKEN  "123456:TEST-token"
#define MST_TOKEN "mst-secret-token"
#define VK_TOKEN  "vk-secret-token"
#define SRV_MAX   8 /* answers queued / requests recorded per test */

/* ---- the scripted server ------------------------------------------------------------ */

struct srv_answer {
    unsigned status;
    char *body;
    char *hname, *hvalue; /* one extra header, or NULL */
};

/* One request as the server saw it. */
struct srv_seen {
    char *method, *path, *query, *ctype, *auth, *idem, *body;
};

static struct MHD_Daemon *srv;
static int srv_port;
static pthread_mutex_t srv_lock = PTHREAD_MUTEX_INITIALIZER;
static struct srv_answer answers[SRV_MAX];
static size_t n_answers, next_answer;
static struct srv_seen seen[SRV_MAX];
static size_t n_seen;

static void srv_reset(void)
{
    pthread_mutex_lock(&srv_lock);
    for (size_t i = 0; i < n_answers; i++) {
        free(answers[i].body);
        free(answers[i].hname);
        free(answers[i].hvalue);
    }
    for (size_t i = 0; i < n_seen; i++) {
        struct srv_seen *s = &seen[i];
        free(s->method), free(s->path), free(s->query), free(s->ctype);
        free(s->auth), free(s->idem), free(s->body);
    }
    n_answers = next_answer = n_seen = 0;
    pthread_mutex_unlock(&srv_lock);
}

static void srv_script(unsigned status, const char *body, const char *hname, const char *hvalue)
{
    pthread_mutex_lock(&srv_lock);
    assert_true(n_answers < SRV_MAX);
    answers[n_answers++] =
        (struct srv_answer){status, km_strdup(body), km_strdup(hname), km_strdup(hvalue)};
    pthread_mutex_unlock(&srv_lock);
}

static size_t srv_count(void)
{
    pthread_mutex_lock(&srv_lock);
    size_t n = n_seen;
    pthread_mutex_unlock(&srv_lock);
    return n;
}

static enum MHD_Result srv_query_kv(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    km_buf_printf(cls, "%s=%s&", key, value != NULL ? value : "");
    return MHD_YES;
}

static char *srv_header(struct MHD_Connection *conn, const char *name)
{
    return km_strdup(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name));
}

static void srv_record(struct MHD_Connection *conn, const char *url, const char *method,
                       struct km_buf *body)
{
    struct km_buf q = KM_BUF_INIT;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, srv_query_kv, &q);
    if (n_seen < SRV_MAX) {
        seen[n_seen++] = (struct srv_seen){km_strdup(method),
                                           km_strdup(url),
                                           km_buf_take(&q),
                                           srv_header(conn, "Content-Type"),
                                           srv_header(conn, "Authorization"),
                                           srv_header(conn, "Idempotency-Key"),
                                           km_strdup(body->data != NULL ? body->data : "")};
    }
    km_buf_free(&q);
}

static enum MHD_Result srv_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload,
                                   size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    if (*con_cls == NULL) {
        *con_cls = km_calloc(1, sizeof(struct km_buf));
        return MHD_YES;
    }
    struct km_buf *body = *con_cls;
    if (*upload_size > 0) {
        km_buf_append(body, upload, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&srv_lock);
    srv_record(conn, url, method, body);
    struct srv_answer a = {500, (char *)"{\"error\":\"no scripted answer\"}", NULL, NULL};
    if (next_answer < n_answers) {
        a = answers[next_answer++];
    }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(a.body), a.body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (a.hname != NULL) {
        MHD_add_response_header(r, a.hname, a.hvalue);
    }
    pthread_mutex_unlock(&srv_lock);
    enum MHD_Result ret = MHD_queue_response(conn, a.status, r);
    MHD_destroy_response(r);
    return ret;
}

static void srv_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct km_buf *body = *con_cls;
    if (body != NULL) {
        km_buf_free(body);
        free(body);
    }
    *con_cls = NULL;
}

/* ---- configuration and clock -------------------------------------------------------- */

static struct km_config *cfg;
static char cfg_dir[64];
static int64_t fake_now;

static int64_t fake_clock(void)
{
    return fake_now;
}

/* Writes and loads a config whose sources point at port; the Mastodon and VK sources get
 * mst_token and vk_token. Caller frees. */
static struct km_config *cfg_make(const char *dir, int port, const char *tg_token,
                                  const char *mst_token, const char *vk_token)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/komek.conf", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "[komek]\n");
    fprintf(f,
            "[source tg]\ntype = telegram\nurl = http://127.0.0.1:%d\ntoken = %s\n"
            "timeout = 5s\n",
            port, tg_token);
    fprintf(f, "[source city109]\ntype = telegram\nurl = http://127.0.0.1:%d/\ntoken = %s\n", port,
            tg_token);
    fprintf(f, "[source hook]\ntype = telegram_webhook\nsecret_token = abc\n");
    fprintf(f,
            "[source mst]\ntype = mastodon\nurl = http://127.0.0.1:%d/\ntags = 109\n"
            "token = %s\n",
            port, mst_token);
    fprintf(f,
            "[source mastodon]\ntype = mastodon\nurl = http://127.0.0.1:%d\ntags = 109\n"
            "token = %s\n",
            port, mst_token);
    fprintf(f, "[source mstanon]\ntype = mastodon\nurl = http://127.0.0.1:%d\ntags = 109\n", port);
    fprintf(f, "[source vkc]\ntype = vk\nurl = http://127.0.0.1:%d\ntoken = %s\ntags = 109\n", port,
            vk_token);
    fprintf(f, "[source vk]\ntype = vk\nurl = http://127.0.0.1:%d\ntoken = %s\ntags = 109\n", port,
            vk_token);
    fprintf(f, "[source news]\ntype = rss\nurl = http://127.0.0.1:%d/rss.xml\n", port);
    fprintf(f, "[source dead]\ntype = telegram\nurl = http://127.0.0.1:1\n"
               "token = 123456:DEAD-token\n");
    fclose(f);
    struct km_config *c = NULL;
    struct km_err err = {{0}};
    if (km_config_load(path, km_collector_keys, stderr, &c, &err) != KM_OK) {
        fail_msg("config: %s", err.msg);
    }
    return c;
}

/* A fresh limiter at a fixed time and an empty server, before each test. */
static int fresh(void **state)
{
    (void)state;
    fake_now = 1000000;
    km_reply_set_clock(fake_clock);
    srv_reset();
    return 0;
}

/* km_reply_send() with the usual outputs; checks the token never shows in err. */
static int rsend(const char *source, const char *network, const char *chat, const char *post,
                 const char *text, char **id, int64_t *wait, struct km_err *err)
{
    memset(err, 0, sizeof(*err));
    *id = NULL;
    int rc = km_reply_send(cfg, source, network, chat, post, text, id, wait, err);
    assert_null(strstr(err->msg, TG_TOKEN));
    assert_null(strstr(err->msg, MST_TOKEN));
    assert_null(strstr(err->msg, VK_TOKEN));
    assert_null(strstr(err->msg, "DEAD-token"));
    return rc;
}

static yajl_val json_of(const char *s)
{
    yajl_val v = NULL;
    assert_int_equal(km_json_parse(s, strlen(s), &v, NULL, NULL), KM_OK);
    return v;
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) == NULL) {
        fail_msg("'%s' does not contain '%s'", haystack, needle);
    }
}

/* ---- Telegram ----------------------------------------------------------------------- */

static const char tg_ok[] =
    "{\"ok\":true,\"result\":{\"message_id\":77,\"from\":{\"id\":7000000001,\"is_bot\":true,"
    "\"first_name\":\"komek\"},\"chat\":{\"id\":-1001467208111,\"type\":\"supergroup\"},"
    "\"date\":1795372861,\"text\":\"ok\"}}";

static void test_telegram_request(void **state)
{
    (void)state;
    char *id = NULL;
    int64_t wait = -1;
    struct km_err err;
    srv_script(200, tg_ok, NULL, NULL);
    int rc = rsend("tg", "telegram", NULL, "-1001467208111:4711",
                   "Здравствуйте! Номер 109-2026-000042 🙂", &id, &wait, &err);
    assert_int_equal(rc, KM_OK);
    assert_string_equal(id, "-1001467208111:77");
    assert_int_equal(wait, 0);
    assert_int_equal(srv_count(), 1);
    assert_string_equal(seen[0].method, "POST");
    assert_string_equal(seen[0].path, "/bot" TG_TOKEN "/sendMessage");
    assert_string_equal(seen[0].ctype, "application/json");
    yajl_val v = json_of(seen[0].body);
    int64_t chat = 0, msg = 0;
    assert_true(km_json_int(v, "chat_id", &chat)); /* a number, not a string */
    assert_int_equal(chat, -1001467208111LL);
    assert_string_equal(km_json_str(v, "text"),
                        "Здравствуйте! Номер 109-2026-000042 🙂");
    assert_true(km_json_int(km_json_get(v, "reply_parameters", NULL), "message_id", &msg));
    assert_int_equal(msg, 4711);
    assert_null(km_json_get(v, "parse_mode", NULL)); /* plain text: no markup surprises */
    km_json_free(v);
    free(id);
    /* chat_id given by the caller wins (a username works too) */
    fake_now += 5000;
    srv_script(200, tg_ok, NULL, NULL);
    assert_int_equal(rsend("tg", "telegram", "@astana109", "4712", "ok", &id, &wait, &err), KM_OK);
    v = json_of(seen[1].body);
    assert_string_equal(km_json_str(v, "chat_id"), "@astana109");
    km_json_free(v);
    free(id);
}

/* Network answers and what km_reply_send() makes of them. */
struct answer_case {
    const char *source, *network, *post;
    const char *lookup; /* Mastodon: 200 body of the status lookup, before the answer */
    unsigned status;
    const char *body, *hname, *hvalue;
    int rc;
    int64_t wait;    /* expected *retry_after_ms */
    const char *msg; /* expected in err */
};

#define MST_URI "https://fake.social/users/aliya_n/statuses/117662213512757293"
#define MST_LOOKUP                                                                                 \
    "{\"accounts\":[],\"statuses\":[{\"id\":\"117\",\"visibility\":\"public\","                    \
    "\"account\":{\"acct\":\"aliya_n\"}}],\"hashtags\":[]}"
#define VK_ERR(code, text)                                                                         \
    "{\"error\":{\"error_code\":" #code ",\"error_msg\":\"" text "\","                             \
    "\"request_params\":[]}}"

static const struct answer_case answer_cases[] = {
    {"tg", "telegram", "-100123:45", NULL, 429,
     "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry after 7\","
     "\"parameters\":{\"retry_after\":7}}",
     NULL, NULL, KM_RETRY, 7000, "telegram/tg: Too Many Requests: retry after 7"},
    {"tg", "telegram", "-100123:45", NULL, 429, "{\"ok\":false,\"error_code\":429}", "Retry-After",
     "2", KM_RETRY, 2000, "telegram/tg: Too Many Requests"},
    {"tg", "telegram", "-100123:45", NULL, 400,
     "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: message to be replied "
     "not found\"}",
     NULL, NULL, KM_ERR, 0, "telegram/tg: Bad Request: message to be replied not found"},
    {"tg", "telegram", "-100123:45", NULL, 403,
     "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: bot was kicked from the "
     "supergroup chat\"}",
     NULL, NULL, KM_ERR, 0, "telegram/tg: Forbidden: bot was kicked from the supergroup chat"},
    {"tg", "telegram", "-100123:45", NULL, 401,
     "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}", NULL, NULL, KM_ERR, 0,
     "Unauthorized (the bot token was rejected)"},
    {"tg", "telegram", "-100123:45", NULL, 400,
     "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: group chat was upgraded to "
     "a supergroup chat\",\"parameters\":{\"migrate_to_chat_id\":-1001999}}",
     NULL, NULL, KM_ERR, 0, "(the group is now chat -1001999)"},
    {"tg", "telegram", "-100123:45", NULL, 502, "<html>Bad Gateway</html>", NULL, NULL, KM_RETRY,
     5000, "telegram/tg: HTTP 502"},
    {"tg", "telegram", "-100123:45", NULL, 503, "", "Retry-After", "3", KM_RETRY, 3000, "HTTP 503"},
    {"tg", "telegram", "-100123:45", NULL, 200, "<html>proxy</html>", NULL, NULL, KM_ERR, 0,
     "unreadable answer"},
    {"mst", "mastodon", MST_URI, NULL, 401, "{\"error\":\"The access token is invalid\"}", NULL,
     NULL, KM_ERR, 0, "mastodon/mst: looking up the status: HTTP 401: The access token is invalid"},
    {"mst", "mastodon", MST_URI, NULL, 200, "{\"accounts\":[],\"statuses\":[],\"hashtags\":[]}",
     NULL, NULL, KM_ERR, 0, "not found on the instance"},
    {"mst", "mastodon", MST_URI, MST_LOOKUP, 422,
     "{\"error\":\"Validation failed: Text character limit of 500 exceeded\"}", NULL, NULL, KM_ERR,
     0, "mastodon/mst: posting: HTTP 422: Validation failed: Text character limit of 500 exceeded"},
    {"mst", "mastodon", MST_URI, MST_LOOKUP, 404, "{\"error\":\"Record not found\"}", NULL, NULL,
     KM_ERR, 0, "posting: HTTP 404: Record not found"},
    {"mst", "mastodon", MST_URI, MST_LOOKUP, 429, "{\"error\":\"Too many requests\"}",
     "Retry-After", "40", KM_RETRY, 40000, "posting: Too many requests"},
    {"mst", "mastodon", MST_URI, MST_LOOKUP, 503, "", NULL, NULL, KM_RETRY, 5000, "HTTP 503"},
    {"vkc", "vk", "-1234_56", NULL, 200, VK_ERR(6, "Too many requests per second"), NULL, NULL,
     KM_RETRY, 1000, "vk/vkc: error 6: Too many requests per second"},
    {"vkc", "vk", "-1234_56", NULL, 200, VK_ERR(9, "Flood control"), NULL, NULL, KM_RETRY, 60000,
     "vk/vkc: error 9: Flood control"},
    {"vkc", "vk", "-1234_56", NULL, 200, VK_ERR(29, "Rate limit reached"), NULL, NULL, KM_RETRY,
     3600000, "error 29"},
    {"vkc", "vk", "-1234_56", NULL, 200, VK_ERR(15, "Access denied: no access to call this method"),
     NULL, NULL, KM_ERR, 0,
     "error 15: Access denied: no access to call this method (replies "
     "need a user or community token"},
    {"vkc", "vk", "-1234_56", NULL, 200, VK_ERR(213, "Access to status replies denied"), NULL, NULL,
     KM_ERR, 0, "vk/vkc: error 213: Access to status replies denied"},
    {"vkc", "vk", "-1234_56", NULL, 200, VK_ERR(5, "User authorization failed: invalid session."),
     NULL, NULL, KM_ERR, 0, "(the token was rejected)"},
    {"vkc", "vk", "-1234_56", NULL, 200, VK_ERR(14, "Captcha needed"), NULL, NULL, KM_ERR, 0,
     "human check"},
    {"vkc", "vk", "-1234_56", NULL, 500, "<html>500</html>", NULL, NULL, KM_RETRY, 5000,
     "HTTP 500"},
};

static void test_answers(void **state)
{
    for (size_t i = 0; i < sizeof(answer_cases) / sizeof(answer_cases[0]); i++) {
        const struct answer_case *c = &answer_cases[i];
        fresh(state);
        if (c->lookup != NULL) {
            srv_script(200, c->lookup, NULL, NULL);
        }
        srv_script(c->status, c->body, c->hname, c->hvalue);
        char *id = NULL;
        int64_t wait = -1;
        struct km_err err;
        int rc = rsend(c->source, c->network, NULL, c->post, "Номер 109-1", &id, &wait, &err);
        if (rc != c->rc || wait != c->wait || strstr(err.msg, c->msg) == NULL) {
            fail_msg("case %zu: rc %d wait %lld err '%s'", i, rc, (long long)wait, err.msg);
        }
        assert_null(id);
        assert_int_equal(srv_count(), c->lookup != NULL ? 2 : 1);
    }
}

/* ---- Mastodon ----------------------------------------------------------------------- */

static void test_mastodon_request(void **state)
{
    (void)state;
    char *id = NULL;
    int64_t wait = 0;
    struct km_err err;
    srv_script(200, MST_LOOKUP, NULL, NULL);
    srv_script(200, "{\"id\":\"118\",\"uri\":\"https://fake.social/users/desk/statuses/118\"}",
               NULL, NULL);
    assert_int_equal(
        rsend("mst", "mastodon", NULL, MST_URI, "Ваше обращение 109-7", &id, &wait, &err), KM_OK);
    assert_string_equal(id, "118");
    assert_int_equal(srv_count(), 2);
    assert_string_equal(seen[0].method, "GET");
    assert_string_equal(seen[0].path, "/api/v2/search");
    assert_contains(seen[0].query, "q=" MST_URI "&");
    assert_contains(seen[0].query, "type=statuses&");
    assert_contains(seen[0].query, "resolve=true&");
    assert_string_equal(seen[0].auth, "Bearer " MST_TOKEN);
    assert_string_equal(seen[1].method, "POST");
    assert_string_equal(seen[1].path, "/api/v1/statuses");
    assert_string_equal(seen[1].auth, "Bearer " MST_TOKEN);
    assert_string_equal(seen[1].ctype, "application/json");
    assert_int_equal(strlen(seen[1].idem), 16);
    yajl_val v = json_of(seen[1].body);
    assert_string_equal(km_json_str(v, "status"), "@aliya_n Ваше обращение 109-7");
    assert_string_equal(km_json_str(v, "in_reply_to_id"), "117");
    assert_string_equal(km_json_str(v, "visibility"), "public");
    km_json_free(v);
    char *idem = km_strdup(seen[1].idem);
    free(id);
    /* the fallback id form HOST/ID is shown, not searched; a mention in the text is kept;
     * the same reply again carries the same Idempotency-Key */
    srv_reset();
    srv_script(200, "{\"id\":\"5\",\"visibility\":\"unlisted\",\"account\":{\"acct\":\"b@x.kz\"}}",
               NULL, NULL);
    srv_script(200, "{\"id\":\"6\"}", NULL, NULL);
    assert_int_equal(
        rsend("mst", "mastodon", NULL, "127.0.0.1/5", "@b@x.kz, 109-7", &id, &wait, &err), KM_OK);
    assert_string_equal(seen[0].path, "/api/v1/statuses/5");
    v = json_of(seen[1].body);
    assert_string_equal(km_json_str(v, "status"), "@b@x.kz, 109-7");
    assert_string_equal(km_json_str(v, "visibility"), "unlisted");
    km_json_free(v);
    assert_string_not_equal(seen[1].idem, idem); /* other post, other text */
    free(idem);
    free(id);
}

static void test_mastodon_rate_reset(void **state)
{
    (void)state;
    char reset[40], *id = NULL;
    int64_t wait = 0;
    struct km_err err;
    km_time_format_rfc3339(km_time_now_ms() + 30000, reset, sizeof(reset));
    srv_script(200, MST_LOOKUP, NULL, NULL);
    srv_script(429, "{\"error\":\"Too many requests\"}", "X-RateLimit-Reset", reset);
    assert_int_equal(rsend("mst", "mastodon", NULL, MST_URI, "109-1", &id, &wait, &err), KM_RETRY);
    assert_in_range(wait, 28000, 30000);
    /* the limiter remembers the wait: no request until it has passed */
    assert_int_equal(rsend("mst", "mastodon", NULL, MST_URI, "109-1", &id, &wait, &err), KM_RETRY);
    assert_int_equal(srv_count(), 2);
    assert_in_range(wait, 28000, 30000);
    assert_contains(err.msg, "sending limit reached");
}

/* ---- VK ----------------------------------------------------------------------------- */

static void test_vk_request(void **state)
{
    (void)state;
    char *id = NULL;
    int64_t wait = 0;
    struct km_err err;
    srv_script(200, "{\"response\":{\"comment_id\":5,\"parents_stack\":[]}}", NULL, NULL);
    assert_int_equal(
        rsend("vkc", "vk", NULL, "-1234_56", "Сәлеметсіз бе! 109-3 & co", &id, &wait, &err), KM_OK);
    assert_string_equal(id, "-1234_5");
    assert_string_equal(seen[0].method, "POST");
    assert_string_equal(seen[0].path, "/method/wall.createComment");
    assert_string_equal(seen[0].ctype, "application/x-www-form-urlencoded");
    assert_string_equal(seen[0].auth, "Bearer " VK_TOKEN);
    assert_null(strstr(seen[0].body, VK_TOKEN)); /* the token is not in the body */
    assert_contains(seen[0].body, "owner_id=-1234&post_id=56&message=");
    assert_contains(seen[0].body, "%D0%A1%D3%99%D0%BB%D0%B5"); /* "Сәле", percent-encoded */
    assert_contains(seen[0].body, "%20%26%20co");
    assert_contains(seen[0].body, "&v=5.199");
    assert_non_null(strstr(seen[0].body, "&guid="));
    free(id);
}

/* ---- refusals before anything is sent ------------------------------------------------ */

static void test_refused_input(void **state)
{
    (void)state;
    static const struct {
        const char *source, *network, *chat, *post, *text, *msg;
    } cases[] = {
        {"news", "rss", NULL, "x", "t", "replies are not supported for rss"},
        {"tg", "x", NULL, "1", "t", "replies are not supported for x"},
        {"tg", NULL, NULL, "1", "t", "replies are not supported for (no network)"},
        {"nope", "telegram", NULL, "-1:2", "t", "no [source nope] in"},
        {"mst", "telegram", NULL, "-1:2", "t", "[source mst] is of type mastodon, not telegram"},
        {"hook", "telegram", NULL, "-1:2", "t", "telegram_webhook source has no bot token"},
        {"tg", "telegram", NULL, "-1:x", "t", "expected a post id CHAT:MESSAGE"},
        {"tg", "telegram", NULL, "42", "t", "expected a post id CHAT:MESSAGE"},
        {"tg", "telegram", "bad chat", "-1:2", "t", "expected a post id CHAT:MESSAGE"},
        {"tg", "telegram", NULL, "-1:2", " \n", "the reply text is empty"},
        {"tg", "telegram", NULL, "-1:2", "a\xff", "not valid UTF-8"},
        {"tg", "telegram", NULL, "", "t", "no post to reply to"},
        {"mstanon", "mastodon", NULL, MST_URI, "t", "replies need token ="},
        {"mst", "mastodon", NULL, "not-a-uri", "t", "expected a status URI"},
        {"vkc", "vk", NULL, "56", "t", "expected a post id OWNER_POST"},
        {"vkc", "vk", NULL, "-1_-5", "t", "expected a post id OWNER_POST"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *id = NULL;
        int64_t wait = -1;
        struct km_err err;
        int rc = rsend(cases[i].source, cases[i].network, cases[i].chat, cases[i].post,
                       cases[i].text, &id, &wait, &err);
        if (rc != KM_EINPUT || strstr(err.msg, cases[i].msg) == NULL) {
            fail_msg("case %zu: rc %d err '%s'", i, rc, err.msg);
        }
        assert_null(id);
        assert_int_equal(wait, 0);
    }
    assert_int_equal(srv_count(), 0);
    char *long_text = km_malloc(4098);
    memset(long_text, 'a', 4097);
    long_text[4097] = '\0';
    char *id = NULL;
    int64_t wait = 0;
    struct km_err err;
    assert_int_equal(rsend("tg", "telegram", NULL, "-1:2", long_text, &id, &wait, &err), KM_EINPUT);
    assert_contains(err.msg, "longer than 4096");
    free(long_text);
    assert_true(km_reply_supported("vk"));
    assert_false(km_reply_supported("bluesky"));
}

static void test_unreachable(void **state)
{
    (void)state;
    char *id = NULL;
    int64_t wait = 0;
    struct km_err err;
    assert_int_equal(rsend("dead", "telegram", NULL, "-1:2", "t", &id, &wait, &err), KM_RETRY);
    assert_int_equal(wait, 5000);
    assert_contains(err.msg, "telegram/dead: request failed: ");
}

/* ---- sending limits ----------------------------------------------------------------- */

static void test_limits_telegram(void **state)
{
    (void)state;
    struct km_reply_limiter *l = km_reply_limiter_new();
    const char *rule = NULL;
    /* 1 per second per chat */
    assert_int_equal(km_reply_limiter_take(l, "telegram", "tg", "5001", 0, &rule), 0);
    assert_null(rule);
    assert_int_equal(km_reply_limiter_take(l, "telegram", "tg", "5001", 0, &rule), 1000);
    assert_string_equal(rule, "1 message per second per chat");
    assert_int_equal(km_reply_limiter_take(l, "telegram", "tg", "5001", 999, NULL), 1);
    assert_int_equal(km_reply_limiter_take(l, "telegram", "tg", "5001", 1000, NULL), 0);
    assert_int_equal(km_reply_limiter_take(l, "telegram", "other", "5001", 1000, NULL), 0);
    /* 30 per second per bot: chats 1..29 at t = 1000 (5001 took one already) */
    for (int i = 1; i < 30; i++) {
        char chat[16];
        snprintf(chat, sizeof(chat), "%d", i);
        assert_int_equal(km_reply_limiter_take(l, "telegram", "tg", chat, 1000, NULL), 0);
    }
    assert_int_equal(km_reply_limiter_take(l, "telegram", "tg", "31", 1000, &rule), 34);
    assert_string_equal(rule, "30 messages per second per bot");
    km_reply_limiter_free(l);
    /* 20 per minute per group: one message a second in a group runs dry in under a minute */
    l = km_reply_limiter_new();
    int64_t t = 0, wait = 0;
    int sent = 0;
    for (; sent < 100 &&
           (wait = km_reply_limiter_take(l, "telegram", "tg", "-100777", t, &rule)) == 0;
         sent++, t += 1000) {
    }
    assert_in_range(sent, 25, 40);
    assert_string_equal(rule, "20 messages per minute per group");
    assert_in_range(wait, 1, 3000);
    km_reply_limiter_free(l);
}

static void test_limits_other(void **state)
{
    (void)state;
    struct km_reply_limiter *l = km_reply_limiter_new();
    const char *rule = NULL;
    for (int i = 0; i < 300; i++) {
        assert_int_equal(km_reply_limiter_take(l, "mastodon", "m", NULL, 0, NULL), 0);
    }
    assert_int_equal(km_reply_limiter_take(l, "mastodon", "m", NULL, 0, &rule), 36000);
    assert_string_equal(rule, "300 statuses per 3 hours per account");
    assert_int_equal(km_reply_limiter_take(l, "mastodon", "m", NULL, 36000, NULL), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(km_reply_limiter_take(l, "vk", "v", NULL, 0, NULL), 0);
    }
    assert_int_equal(km_reply_limiter_take(l, "vk", "v", NULL, 0, &rule), 334);
    assert_string_equal(rule, "3 requests per second per token");
    assert_int_equal(km_reply_limiter_take(l, "vk", "v", NULL, 334, NULL), 0);
    assert_int_equal(km_reply_limiter_take(l, "rss", "r", NULL, 0, &rule), 0); /* no rules */
    /* a block (the network's 429) outlasts a full bucket */
    km_reply_limiter_block(l, "vk", "w", NULL, 0, 5000);
    assert_int_equal(km_reply_limiter_take(l, "vk", "w", NULL, 100, NULL), 4900);
    assert_int_equal(km_reply_limiter_take(l, "vk", "w", NULL, 5000, NULL), 0);
    /* many chats: idle buckets are dropped, busy ones kept */
    for (int i = 0; i < 5000; i++) {
        char chat[16];
        snprintf(chat, sizeof(chat), "%d", 100000 + i);
        km_reply_limiter_take(l, "telegram", "many", chat, 10000000LL + i * 1000LL, NULL);
    }
    assert_int_equal(
        km_reply_limiter_take(l, "telegram", "many", "104999", 10000000LL + 4999000, NULL), 1000);
    km_reply_limiter_free(l);
    km_reply_limiter_free(NULL);
}

static void test_send_limited(void **state)
{
    (void)state;
    char *id = NULL;
    int64_t wait = 0;
    struct km_err err;
    srv_script(200, tg_ok, NULL, NULL);
    srv_script(200, tg_ok, NULL, NULL);
    assert_int_equal(rsend("tg", "telegram", NULL, "-1001467208111:1", "a", &id, &wait, &err),
                     KM_OK);
    free(id);
    assert_int_equal(rsend("tg", "telegram", NULL, "-1001467208111:2", "b", &id, &wait, &err),
                     KM_RETRY);
    assert_int_equal(wait, 1000);
    assert_contains(err.msg, "telegram/tg: sending limit reached (1 message per second per chat)");
    assert_int_equal(srv_count(), 1); /* the network was not asked */
    fake_now += 1000;
    assert_int_equal(rsend("tg", "telegram", NULL, "-1001467208111:2", "b", &id, &wait, &err),
                     KM_OK);
    free(id);
    /* a 429 blocks the chat for the time Telegram named */
    fake_now += 1000;
    srv_script(429, "{\"ok\":false,\"error_code\":429,\"parameters\":{\"retry_after\":7}}", NULL,
               NULL);
    assert_int_equal(rsend("tg", "telegram", NULL, "-1001467208111:3", "c", &id, &wait, &err),
                     KM_RETRY);
    assert_int_equal(wait, 7000);
    fake_now += 2000;
    assert_int_equal(rsend("tg", "telegram", NULL, "-1001467208111:3", "c", &id, &wait, &err),
                     KM_RETRY);
    assert_int_equal(wait, 5000);
    assert_int_equal(srv_count(), 3);
    fake_now += 5000;
    srv_script(200, tg_ok, NULL, NULL);
    assert_int_equal(rsend("tg", "telegram", NULL, "-1001467208111:3", "c", &id, &wait, &err),
                     KM_OK);
    free(id);
}

/* ---- against build/fakenet ------------------------------------------------------------ */

/* A request to the fake; returns the body (caller frees). */
static char *fake_http(const char *method, const char *base, const char *path, const char *auth)
{
    struct km_buf body = KM_BUF_INIT;
    char *url = km_asprintf("%s%s", base, path);
    char *hdr = auth != NULL ? km_asprintf("Authorization: Bearer %s", auth) : NULL;
    struct curl_slist *h = hdr != NULL ? curl_slist_append(NULL, hdr) : NULL;
    CURL *e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    FILE *f = open_memstream(&body.data, &body.len);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
    assert_int_equal(curl_easy_perform(e), CURLE_OK);
    fclose(f);
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    free(hdr);
    free(url);
    return body.data;
}

/* Ids of one post per network, as komek's collectors would store them. */
struct fake_posts {
    char *tg_chat, *tg_post, *mst_uri, *vk_post;
};

static void fake_pick(const char *base, const char *token, struct fake_posts *p)
{
    char *b = fake_http("GET", base, "/bot123456:TEST-fake-token/getUpdates?limit=5", NULL);
    yajl_val v = json_of(b), r = km_json_get(v, "result", NULL);
    assert_true(YAJL_IS_ARRAY(r) && r->u.array.len > 0);
    yajl_val m = km_json_get(r->u.array.values[0], "message", NULL);
    p->tg_chat = km_json_scalar_dup(km_json_get(m, "chat", NULL), "id");
    char *mid = km_json_scalar_dup(m, "message_id");
    p->tg_post = km_asprintf("%s:%s", p->tg_chat, mid);
    free(mid), km_json_free(v), free(b);
    b = fake_http("GET", base, "/api/v1/timelines/tag/ikomek?limit=1", NULL);
    v = json_of(b);
    assert_true(YAJL_IS_ARRAY(v) && v->u.array.len == 1);
    p->mst_uri = km_strdup(km_json_str(v->u.array.values[0], "uri"));
    km_json_free(v), free(b);
    b = fake_http("GET", base, "/method/newsfeed.search?q=%23ikomek&count=1&v=5.199", token);
    v = json_of(b);
    yajl_val it = km_json_get(v, "response", "items", NULL);
    assert_true(YAJL_IS_ARRAY(it) && it->u.array.len > 0);
    char *owner = km_json_scalar_dup(it->u.array.values[0], "owner_id");
    char *id = km_json_scalar_dup(it->u.array.values[0], "id");
    p->vk_post = km_asprintf("%s_%s", owner, id);
    free(owner), free(id), km_json_free(v), free(b);
}

/* The n-th reply recorded by the fake has these fields. */
static void fake_check_reply(yajl_val list, size_t n, const char *network, const char *chat,
                             const char *text_start)
{
    assert_true(YAJL_IS_ARRAY(list) && list->u.array.len > n);
    yajl_val r = list->u.array.values[n];
    assert_string_equal(km_json_str(r, "network"), network);
    if (chat != NULL) {
        assert_string_equal(km_json_str(r, "chat_id"), chat);
    }
    assert_non_null(km_json_str(r, "reply_to"));
    assert_true(strncmp(km_json_str(r, "text"), text_start, strlen(text_start)) == 0);
}

static void test_fakenet(void **state)
{
    (void)state;
    const char *base = getenv("KM_FAKENET_URL"), *token = "123456:TEST-fake-token";
    if (base == NULL) {
        skip();
    }
    struct km_config *saved = cfg;
    cfg = cfg_make(cfg_dir, atoi(strrchr(base, ':') + 1), token, token, token);
    struct fake_posts p;
    fake_pick(base, token, &p);
    free(fake_http("DELETE", base, "/_fake/replies", NULL));
    char *id = NULL, *owner = km_asprintf("%.*s", (int)strcspn(p.vk_post, "_"), p.vk_post);
    int64_t wait = 0;
    struct km_err err;
    assert_int_equal(
        rsend("city109", "telegram", NULL, p.tg_post, "Номер 109-2026-000001", &id, &wait, &err),
        KM_OK);
    free(id);
    assert_int_equal(
        rsend("mastodon", "mastodon", NULL, p.mst_uri, "Number 109-2026-000002", &id, &wait, &err),
        KM_OK);
    free(id);
    assert_int_equal(rsend("vk", "vk", NULL, p.vk_post, "Нөмір 109-2026-000003", &id, &wait, &err),
                     KM_OK);
    free(id);
    char *b = fake_http("GET", base, "/_fake/replies", NULL);
    yajl_val list = json_of(b);
    assert_int_equal(list->u.array.len, 3);
    fake_check_reply(list, 0, "telegram", p.tg_chat, "Номер 109-2026-000001");
    assert_string_equal(km_json_str(list->u.array.values[0], "reply_to"),
                        strchr(p.tg_post, ':') + 1);
    fake_check_reply(list, 1, "mastodon", NULL, "@");
    assert_non_null(strstr(km_json_str(list->u.array.values[1], "text"), "109-2026-000002"));
    fake_check_reply(list, 2, "vk", owner, "Нөмір 109-2026-000003");
    km_json_free(list), free(b);
    /* reply-only faults: 429 with retry_after, then 500, then a message that is not there */
    free(fake_http("POST", base, "/_fake/fault?spec=telegram-reply:429", NULL));
    fake_now += 10000;
    assert_int_equal(rsend("city109", "telegram", NULL, p.tg_post, "109-4", &id, &wait, &err),
                     KM_RETRY);
    assert_int_equal(wait, 1000);
    free(fake_http("POST", base, "/_fake/fault?spec=mastodon-reply:http500", NULL));
    assert_int_equal(rsend("mastodon", "mastodon", NULL, p.mst_uri, "109-5", &id, &wait, &err),
                     KM_RETRY);
    fake_now += 10000;
    assert_int_equal(
        rsend("city109", "telegram", NULL, "-1001467208111:1", "109-6", &id, &wait, &err), KM_ERR);
    assert_contains(err.msg, "Bad Request: message to be replied not found");
    km_config_free(cfg);
    cfg = saved;
    free(p.tg_chat), free(p.tg_post), free(p.mst_uri), free(p.vk_post), free(owner);
}

/* ---- setup -------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    km_log_set_level(KM_LOG_LEVEL_ERROR);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                           NULL, srv_handler, NULL, MHD_OPTION_SOCK_ADDR, &addr,
                           MHD_OPTION_NOTIFY_COMPLETED, srv_completed, NULL, MHD_OPTION_END);
    if (srv == NULL) {
        return -1;
    }
    srv_port = MHD_get_daemon_info(srv, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(cfg_dir, sizeof(cfg_dir), "/tmp/komek-reply.XXXXXX");
    if (mkdtemp(cfg_dir) == NULL) {
        return -1;
    }
    cfg = cfg_make(cfg_dir, srv_port, TG_TOKEN, MST_TOKEN, VK_TOKEN);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    MHD_stop_daemon(srv);
    srv_reset();
    km_config_free(cfg);
    char path[128];
    snprintf(path, sizeof(path), "%s/komek.conf", cfg_dir);
    unlink(path);
    rmdir(cfg_dir);
    km_reply_set_clock(NULL);
    curl_global_cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_telegram_request, fresh),
        cmocka_unit_test_setup(test_answers, fresh),
        cmocka_unit_test_setup(test_mastodon_request, fresh),
        cmocka_unit_test_setup(test_mastodon_rate_reset, fresh),
        cmocka_unit_test_setup(test_vk_request, fresh),
        cmocka_unit_test_setup(test_refused_input, fresh),
        cmocka_unit_test_setup(test_unreachable, fresh),
        cmocka_unit_test(test_limits_telegram),
        cmocka_unit_test(test_limits_other),
        cmocka_unit_test_setup(test_send_limited, fresh),
        cmocka_unit_test_setup(test_fakenet, fresh),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
