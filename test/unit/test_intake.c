/* Unit tests for intake/server.c: the listen address rules, and every refusal of the HTTP
 * intake over a real loopback connection (libcurl). Redis is pointed at a closed port, so an
 * accepted webhook gets 503 + Retry-After; the 200 path is in test/integration/
 * test_webhooks.sh with a real Redis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "app/setup.h"
#include "common/alloc.h"
#include "common/buf.h"
#include "common/hmac.h"
#include "intake/server.h"
#include "triage/tags.h"

#define TG_SECRET "tg-Secret_109"
#define WH_SECRET "0123456789abcdef0123"
#define UPDATE                                                                                     \
    "{\"update_id\":1,\"message\":{\"message_id\":7,\"chat\":{\"id\":-100,\"type\":"               \
    "\"supergroup\"},\"date\":1795372861,\"text\":\"#109 test\"}}"

static void test_listen_off(void **state)
{
    (void)state;
    assert_true(km_intake_listen_off(NULL));
    assert_true(km_intake_listen_off(""));
    assert_true(km_intake_listen_off("off"));
    assert_true(km_intake_listen_off("OFF"));
    assert_false(km_intake_listen_off("127.0.0.1:8088"));
    assert_false(km_intake_listen_off("no"));
}

static void test_parse_listen(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        bool public_ok;
        int rc;
        int family;
        unsigned port;
        const char *msg;
    } cases[] = {
        {"127.0.0.1:8088", false, KM_OK, AF_INET, 8088, NULL},
        {"127.1.2.3:0", false, KM_OK, AF_INET, 0, NULL},
        {"localhost:65535", false, KM_OK, AF_INET, 65535, NULL},
        {"[::1]:8088", false, KM_OK, AF_INET6, 8088, NULL},
        {"[::ffff:127.0.0.1]:80", false, KM_OK, AF_INET6, 80, NULL},
        {"0.0.0.0:8088", true, KM_OK, AF_INET, 8088, NULL},
        {"[::]:8443", true, KM_OK, AF_INET6, 8443, NULL},
        {"0.0.0.0:8088", false, KM_EINPUT, 0, 0,
         "listen: 0.0.0.0:8088 is not a loopback address; the intake speaks plain HTTP: put a "
         "TLS proxy in front and set listen_public = yes"},
        {"192.168.1.5:80", false, KM_EINPUT, 0, 0, "listen: 192.168.1.5:80 is not a loopback"},
        {"[::2]:80", false, KM_EINPUT, 0, 0, "listen: [::2]:80 is not a loopback"},
        {"127.0.0.1", false, KM_EINPUT, 0, 0, "listen: '127.0.0.1' is not host:port"},
        {"127.0.0.1:", false, KM_EINPUT, 0, 0, "listen: '127.0.0.1:' is not host:port"},
        {"127.0.0.1:65536", false, KM_EINPUT, 0, 0, "listen: '127.0.0.1:65536' is not"},
        {"127.0.0.1:-1", false, KM_EINPUT, 0, 0, "listen: '127.0.0.1:-1' is not"},
        {"127.0.0.1:80x", false, KM_EINPUT, 0, 0, "listen: '127.0.0.1:80x' is not"},
        {":8088", false, KM_EINPUT, 0, 0, "listen: ':8088' is not host:port"},
        {"::1:8088", false, KM_EINPUT, 0, 0, "listen: '::1:8088' is not host:port"},
        {"[::1]", false, KM_EINPUT, 0, 0, "listen: '[::1]' is not host:port"},
        {"[::1]8088", false, KM_EINPUT, 0, 0, "listen: '[::1]8088' is not host:port"},
        {"komek.example.kz:80", true, KM_EINPUT, 0, 0,
         "listen: 'komek.example.kz' is not a numeric IP address"},
        {"127.0.0.1.5:80", false, KM_EINPUT, 0, 0, "listen: '127.0.0.1.5' is not a numeric"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sockaddr_storage ss;
        socklen_t len = 0;
        struct km_err err = {{0}};
        int rc = km_intake_parse_listen(cases[i].value, cases[i].public_ok, &ss, &len, &err);
        if (rc != cases[i].rc) {
            fail_msg("case %zu (%s): rc %d '%s'", i, cases[i].value, rc, err.msg);
        }
        if (rc != KM_OK) {
            if (strncmp(err.msg, cases[i].msg, strlen(cases[i].msg)) != 0) {
                fail_msg("case %zu: '%s'", i, err.msg);
            }
            continue;
        }
        assert_int_equal(ss.ss_family, cases[i].family);
        unsigned port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
                                                : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        assert_int_equal(port, cases[i].port);
        assert_int_equal(len, ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
                                                      : sizeof(struct sockaddr_in6));
    }
}

/* ---- a running intake ------------------------------------------------------------------ */

struct fixture {
    char dir[64];
    char conf[96];
    struct km_config *cfg;
    struct km_tags *tags;
    struct km_intake *in;
    unsigned port;
};

static const char conf_text[] =
    "[komek]\n"
    "redis = redis://127.0.0.1:1/0\n" /* nothing listens there: Redis is down */
    "redis_timeout = 500ms\n"
    "tags = %s/etc/tags.list\n"
    "listen = %s\n"
    "\n[source tg]\ntype = telegram_webhook\nsecret_token = " TG_SECRET "\n"
    "max_body = 2k\n"
    "\n[source wh]\ntype = webhook\nsecret = " WH_SECRET "\n"
    "\n[source off]\ntype = webhook\nsecret = " WH_SECRET "\nenabled = no\n"
    "\n[source news]\ntype = rss\nurl = http://127.0.0.1:1/rss.xml\n";

/* Writes the configuration with listen and loads it. */
static struct km_config *load_conf(struct fixture *f, const char *listen)
{
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    FILE *fp = fopen(f->conf, "w");
    assert_non_null(fp);
    fprintf(fp, conf_text, cwd, listen);
    fclose(fp);
    struct km_config *cfg = NULL;
    struct km_err err = {{0}};
    if (km_app_load_config(f->conf, &cfg, &err) != KM_OK) {
        fail_msg("config: %s", err.msg);
    }
    return cfg;
}

static int setup(void **state)
{
    struct fixture *f = km_calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/komek-intake.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->conf, sizeof(f->conf), "%s/komek.conf", f->dir);
    f->cfg = load_conf(f, "127.0.0.1:0");
    assert_int_equal(km_app_load_tags(f->cfg, &f->tags), KM_OK);
    struct km_err err = {{0}};
    if (km_intake_new(f->cfg, f->tags, &f->in, &err) != KM_OK) {
        fail_msg("intake: %s", err.msg);
    }
    f->port = km_intake_port(f->in);
    assert_true(f->port > 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    km_intake_free(f->in);
    km_tags_free(f->tags);
    km_config_free(f->cfg);
    unlink(f->conf);
    rmdir(f->dir);
    free(f);
    return 0;
}

struct reply {
    long status;
    struct km_buf body;
    char retry_after[16];
    char allow[16];
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    km_buf_append(&((struct reply *)arg)->body, data, size * n);
    return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    size_t len = size * n;
    if (len > 13 && strncasecmp(data, "Retry-After: ", 13) == 0) {
        snprintf(r->retry_after, sizeof(r->retry_after), "%.*s", (int)strcspn(data + 13, "\r\n"),
                 data + 13);
    }
    if (len > 7 && strncasecmp(data, "Allow: ", 7) == 0) {
        snprintf(r->allow, sizeof(r->allow), "%.*s", (int)strcspn(data + 7, "\r\n"), data + 7);
    }
    return len;
}

/* One request to the intake. body NULL = no body; chunked sends it without a length. */
struct call {
    const char *method, *path, *type, *body;
    const char *header; /* one extra "Name: value", or NULL */
    bool chunked;
};

static size_t read_body(char *buf, size_t size, size_t n, void *arg)
{
    const char **p = arg;
    size_t len = strlen(*p);
    size_t take = len < size * n ? len : size * n;
    memcpy(buf, *p, take);
    *p += take;
    return take;
}

static void do_call(const struct fixture *f, const struct call *c, struct reply *r)
{
    memset(r, 0, sizeof(*r));
    km_buf_init(&r->body);
    CURL *h = curl_easy_init();
    assert_non_null(h);
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", f->port, c->path);
    struct curl_slist *hdrs = NULL;
    char line[512];
    if (c->type != NULL) {
        snprintf(line, sizeof(line), "Content-Type: %s", c->type);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (c->header != NULL) {
        hdrs = curl_slist_append(hdrs, c->header);
    }
    const char *cursor = c->body;
    if (c->chunked) {
        hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
        curl_easy_setopt(h, CURLOPT_READDATA, &cursor);
    } else if (c->body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        r->status = -(long)rc;
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    }
    km_buf_putc(&r->body, '\0');
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
}

static char *signed_header(const char *body)
{
    unsigned char mac[KM_SHA256_LEN];
    assert_true(km_hmac_sha256(WH_SECRET, strlen(WH_SECRET), body, strlen(body), mac));
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "X-Hub-Signature-256: sha256=");
    for (size_t i = 0; i < KM_SHA256_LEN; i++) {
        km_buf_printf(&b, "%02x", mac[i]);
    }
    return km_buf_take(&b);
}

static void test_answers(void **state)
{
    struct fixture *f = *state;
    char big[3000];
    memset(big, ' ', sizeof(big) - 1);
    big[0] = '{';
    big[sizeof(big) - 2] = '}';
    big[sizeof(big) - 1] = '\0';
    char huge[6000];
    memset(huge, ' ', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    char *good_sig = signed_header("{\"network\":\"p\",\"id\":\"1\",\"text\":\"#109\"}");
    char *bad_json_sig = signed_header("{\"network\":\"p\",");
    const char *tg_ok = "X-Telegram-Bot-Api-Secret-Token: " TG_SECRET;
    const char *json = "application/json";
    const struct {
        struct call c;
        long status;
        const char *body; /* prefix of the answer */
    } cases[] = {
        {{"GET", "/webhook/tg", NULL, NULL, NULL, false},
         405,
         "{\"ok\":false,\"error\":\"method GET not allowed: use POST\"}"},
        {{"PUT", "/webhook/wh", json, "{}", NULL, false}, 405, "{\"ok\":false"},
        {{"POST", "/webhook/nope", json, "{}", NULL, false},
         404,
         "{\"ok\":false,\"error\":\"no webhook here"},
        {{"POST", "/webhook/off", json, "{}", NULL, false}, 404, "{\"ok\":false"},
        {{"POST", "/webhook/news", json, "{}", NULL, false}, 404, "{\"ok\":false"},
        {{"POST", "/webhook/tg/", json, "{}", NULL, false}, 404, "{\"ok\":false"},
        {{"POST", "/", json, "{}", NULL, false}, 404, "{\"ok\":false"},
        {{"POST", "/webhook/tg", "text/plain", UPDATE, tg_ok, false},
         415,
         "{\"ok\":false,\"error\":\"Content-Type text/plain is not application/json\"}"},
        {{"POST", "/webhook/tg", NULL, UPDATE, tg_ok, false}, 415, "{\"ok\":false"},
        {{"POST", "/webhook/tg", "application/jsonx", UPDATE, tg_ok, false}, 415, "{\"ok\""},
        {{"POST", "/webhook/tg", json, big, tg_ok, false},
         413,
         "{\"ok\":false,\"error\":\"body of 2999 bytes is larger than max_body (2048)\"}"},
        {{"POST", "/webhook/tg", json, big, tg_ok, true},
         413,
         "{\"ok\":false,\"error\":\"body is larger than max_body (2048 bytes)\"}"},
        /* Past twice the cap, the connection is closed without an answer (status 0). */
        {{"POST", "/webhook/tg", json, huge, tg_ok, true}, 0, ""},
        {{"POST", "/webhook/tg", json, UPDATE, "X-Telegram-Bot-Api-Secret-Token: nope", false},
         401,
         "{\"ok\":false,\"error\":\"telegram_webhook/tg: wrong X-Telegram-Bot-Api-Secret-Token"},
        {{"POST", "/webhook/tg", json, UPDATE, NULL, false}, 401, "{\"ok\":false"},
        {{"POST", "/webhook/wh", json, "{}", NULL, false},
         401,
         "{\"ok\":false,\"error\":\"webhook/wh: no X-Hub-Signature-256 header\"}"},
        {{"POST", "/webhook/wh", json, "{\"network\":\"p\",", bad_json_sig, false},
         400,
         "{\"ok\":false,\"error\":\"webhook/wh: offset "},
        {{"POST", "/webhook/tg", json, "{\"update_id\":", tg_ok, false},
         400,
         "{\"ok\":false,\"error\":\"telegram_webhook/tg: offset "},
        /* Accepted, but Redis is down: the sender must retry. */
        {{"POST", "/webhook/tg", "application/json; charset=utf-8", UPDATE, tg_ok, false},
         503,
         "{\"ok\":false,\"error\":"},
        {{"POST", "/webhook/wh", json, "{\"network\":\"p\",\"id\":\"1\",\"text\":\"#109\"}",
          good_sig, true},
         503,
         "{\"ok\":false"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct reply r;
        do_call(f, &cases[i].c, &r);
        if (r.status < 0) {
            r.status = 0; /* no answer: a curl error */
        }
        if (r.status != cases[i].status ||
            strncmp(r.body.data, cases[i].body, strlen(cases[i].body)) != 0) {
            fail_msg("case %zu: %s %s: %ld '%s'", i, cases[i].c.method, cases[i].c.path, r.status,
                     r.body.data);
        }
        if (r.status == 405) {
            assert_string_equal(r.allow, "POST");
        }
        if (r.status == 503) {
            assert_string_equal(r.retry_after, "5");
        }
        km_buf_free(&r.body);
    }
    struct km_intake_stats s;
    km_intake_get_stats(f->in, &s);
    static const unsigned want[KM_INTAKE_NANSWERS] = {
        [KM_INTAKE_OK] = 0,        [KM_INTAKE_BAD_REQUEST] = 2, [KM_INTAKE_UNAUTHORIZED] = 3,
        [KM_INTAKE_NOT_FOUND] = 5, [KM_INTAKE_BAD_METHOD] = 2,  [KM_INTAKE_TOO_LARGE] = 3,
        [KM_INTAKE_BAD_TYPE] = 3,  [KM_INTAKE_UNAVAILABLE] = 2, [KM_INTAKE_FAILED] = 0,
    };
    for (size_t a = 0; a < KM_INTAKE_NANSWERS; a++) {
        if (s.answers[a] != want[a]) {
            fail_msg("answers of kind %zu (HTTP %u): %llu, want %u", a,
                     km_intake_answer_status((enum km_intake_answer)a),
                     (unsigned long long)s.answers[a], want[a]);
        }
    }
    assert_int_equal(s.posts, 0);
    free(good_sig);
    free(bad_json_sig);
}

static void test_wanted(void **state)
{
    struct fixture *f = *state;
    assert_true(km_intake_wanted(f->cfg));
    struct km_config *cfg = load_conf(f, "off");
    assert_false(km_intake_wanted(cfg));
    struct km_intake *in = NULL;
    struct km_err err = {{0}};
    assert_int_equal(km_intake_new(cfg, f->tags, &in, &err), KM_EINPUT);
    assert_null(in);
    km_config_free(cfg);
    cfg = load_conf(f, "0.0.0.0:0");
    assert_int_equal(km_intake_new(cfg, f->tags, &in, &err), KM_EINPUT);
    assert_null(in);
    char want[256];
    snprintf(want, sizeof(want), "%s:5: listen: 0.0.0.0:0 is not a loopback address", f->conf);
    if (strncmp(err.msg, want, strlen(want)) != 0) {
        fail_msg("'%s'", err.msg);
    }
    km_config_free(cfg);
    /* The port the running intake holds cannot be taken twice. */
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", f->port);
    cfg = load_conf(f, listen);
    assert_int_equal(km_intake_new(cfg, f->tags, &in, &err), KM_ERR);
    assert_null(in);
    km_config_free(cfg);
    km_intake_free(NULL);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_off),
        cmocka_unit_test(test_parse_listen),
        cmocka_unit_test_setup_teardown(test_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wanted, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
