/* komekctl's desk commands over the desk's HTTP API with libcurl (see desk.h). */
#include "ctl/desk.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "parser/json.h"

#include <curl/curl.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXIT_FAIL  1
#define EXIT_USAGE 2
/* Seconds a desk request may take: a reply waits for the network (up to 15 s). */
#define DK_TIMEOUT_S 30L

struct dk_args {
    const char *cmd, *item, *url, *user, *password_file;
    const char *network, *category, *source, *lang, *priority, *limit, *agency, *note;
    const char *kind, *reason, *template, *text;
    bool json, incident;
};

/* One signed-in conversation with the desk. */
struct dk_client {
    CURL *curl;
    char *base;         /* "http://127.0.0.1:8089" without a trailing '/' */
    char csrf[128];     /* from the login answer */
    long status;        /* of the last request */
    struct km_buf body; /* of the last request */
    bool too_big;
};

static int dk_usage(void)
{
    fprintf(
        stderr,
        "usage: komekctl desk [--network N] [--category C] [--source S] [--lang L]\n"
        "                     [--priority PN] [--limit N] [--json]\n"
        "       komekctl claim ID | release ID\n"
        "       komekctl ticket-from-item ID [--category C] [--agency A] [--priority PN]\n"
        "                     [--note TEXT] [--incident]   (also: komekctl ticket ID ...)\n"
        "       komekctl dismiss ID --kind duplicate|spam|not_for_us --reason TEXT\n"
        "       komekctl reply ID --template NAME | --text TEXT [--lang L]\n"
        "common options: --url URL --user LOGIN [--password-file FILE]\n"
        "ID is NETWORK:POST_ID. The password is the first line of FILE, else $KOMEK_PASSWORD.\n");
    return EXIT_USAGE;
}

bool km_ctl_desk_handles(int argc, char **argv)
{
    static const char *const cmds[] = {"desk",    "claim", "release", "ticket-from-item",
                                       "dismiss", "reply", NULL};
    for (size_t i = 0; cmds[i] != NULL; i++) {
        if (strcmp(argv[0], cmds[i]) == 0) {
            return true;
        }
    }
    return strcmp(argv[0], "ticket") == 0 && argc > 1 && strchr(argv[1], ':') != NULL;
}

static int dk_parse(int argc, char **argv, struct dk_args *a)
{
    static const struct option longopts[] = {
        {"url", required_argument, NULL, 'U'},
        {"user", required_argument, NULL, 'u'},
        {"password-file", required_argument, NULL, 'p'},
        {"network", required_argument, NULL, 'N'},
        {"category", required_argument, NULL, 'C'},
        {"source", required_argument, NULL, 'S'},
        {"lang", required_argument, NULL, 'L'},
        {"priority", required_argument, NULL, 'P'},
        {"limit", required_argument, NULL, 'n'},
        {"agency", required_argument, NULL, 'A'},
        {"note", required_argument, NULL, 'o'},
        {"kind", required_argument, NULL, 'k'},
        {"reason", required_argument, NULL, 'r'},
        {"template", required_argument, NULL, 't'},
        {"text", required_argument, NULL, 'x'},
        {"json", no_argument, NULL, 'j'},
        {"incident", no_argument, NULL, 'i'},
        {NULL, 0, NULL, 0},
    };
    const char **slot[128] = {0};
    slot['U'] = &a->url, slot['u'] = &a->user, slot['p'] = &a->password_file;
    slot['N'] = &a->network, slot['C'] = &a->category, slot['S'] = &a->source;
    slot['L'] = &a->lang, slot['P'] = &a->priority, slot['n'] = &a->limit;
    slot['A'] = &a->agency, slot['o'] = &a->note, slot['k'] = &a->kind;
    slot['r'] = &a->reason, slot['t'] = &a->template, slot['x'] = &a->text;
    a->cmd = strcmp(argv[0], "ticket") == 0 ? "ticket-from-item" : argv[0];
    optind = 0; /* glibc: a fresh scan of the sub-command's arguments */
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (ch == 'j' || ch == 'i') {
            *(ch == 'j' ? &a->json : &a->incident) = true;
        } else if (ch > 0 && ch < 128 && slot[ch] != NULL) {
            *slot[ch] = optarg;
        } else {
            return dk_usage();
        }
    }
    bool desk = strcmp(a->cmd, "desk") == 0;
    if (argc - optind != (desk ? 0 : 1) || a->user == NULL) {
        return dk_usage();
    }
    a->item = desk ? NULL : argv[optind];
    return 0;
}

static size_t dk_write(char *data, size_t size, size_t n, void *arg)
{
    struct dk_client *c = arg;
    if (c->body.len + size * n > KM_CTL_DESK_BODY_MAX) {
        c->too_big = true;
        return 0;
    }
    km_buf_append(&c->body, data, size * n);
    return size * n;
}

/* method path (body may be NULL); 0 with c->status and c->body, or EXIT_FAIL. */
static int dk_call(struct dk_client *c, const char *method, const char *path, const char *body)
{
    struct curl_slist *h = NULL;
    char *url = km_asprintf("%s%s", c->base, path);
    char csrf[160];
    snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", c->csrf);
    h = curl_slist_append(h, "Content-Type: application/json");
    h = c->csrf[0] != '\0' ? curl_slist_append(h, csrf) : h;
    km_buf_reset(&c->body);
    c->too_big = false;
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c->curl, CURLOPT_HTTPGET, body == NULL ? 1L : 0L);
    if (body != NULL) {
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    }
    CURLcode rc = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);
    curl_slist_free_all(h);
    if (rc != CURLE_OK) {
        fprintf(stderr, "komekctl: %s: %s\n", url,
                c->too_big ? "answer too large" : curl_easy_strerror(rc));
    }
    free(url);
    return rc == CURLE_OK ? 0 : EXIT_FAIL;
}

/* The desk's base URL: --url, else desk_listen (a wildcard address means this host). */
static char *dk_base(const struct km_config *cfg, const char *url)
{
    const char *listen = km_section_get(cfg->global, "desk_listen");
    const char *tls = km_section_get(cfg->global, "desk_tls_cert");
    if (url != NULL) {
        size_t len = strlen(url);
        return km_strndup(url, len > 0 && url[len - 1] == '/' ? len - 1 : len);
    }
    if (listen == NULL || listen[0] == '\0' || strcmp(listen, "off") == 0) {
        return NULL;
    }
    const char *port = strrchr(listen, ':');
    bool any = strncmp(listen, "0.0.0.0:", 8) == 0 || strncmp(listen, "[::]:", 5) == 0 ||
               listen[0] == ':' || port == NULL;
    return any ? km_asprintf("%s://127.0.0.1:%s", tls ? "https" : "http", port ? port + 1 : listen)
               : km_asprintf("%s://%s", tls ? "https" : "http", listen);
}

/* The password: first line of file, else $KOMEK_PASSWORD. NULL if neither. */
static char *dk_password(const char *file)
{
    if (file == NULL) {
        const char *env = getenv("KOMEK_PASSWORD");
        return env != NULL ? km_strdup(env) : NULL;
    }
    FILE *f = fopen(file, "r");
    char line[1100];
    char *pw = NULL;
    if (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        pw = km_strdup(line);
    }
    if (f == NULL) {
        fprintf(stderr, "komekctl: %s: cannot read\n", file);
    } else {
        fclose(f);
    }
    return pw;
}

/* Prints the desk's error answer ("HTTP 409: ... (held by X)"). */
static int dk_refused(const struct dk_client *c)
{
    yajl_val v = NULL;
    struct km_err err = {{0}};
    km_json_parse(c->body.data ? c->body.data : "", c->body.len, &v, NULL, &err);
    const char *msg = v != NULL ? km_json_str(v, "error") : NULL;
    const char *by = v != NULL ? km_json_str(v, "claimed_by") : NULL;
    fprintf(stderr, "komekctl: desk answered %ld: %s%s%s%s\n", c->status,
            msg != NULL ? msg : "(no message)", by != NULL ? " (held by " : "",
            by != NULL ? by : "", by != NULL ? ")" : "");
    km_json_free(v);
    return EXIT_FAIL;
}

/* Signs in as user; 0 or an exit status. */
static int dk_login(struct dk_client *c, const char *user, const char *password)
{
    struct km_buf b = KM_BUF_INIT;
    yajl_val v = NULL;
    struct km_err err = {{0}};
    km_buf_puts(&b, "{\"login\":");
    km_json_escape(&b, user);
    km_buf_puts(&b, ",\"password\":");
    km_json_escape(&b, password);
    km_buf_puts(&b, ",\"lang\":\"en\"}");
    int rc = dk_call(c, "POST", "/api/login", b.data);
    if (rc == 0 && c->status != 200) {
        rc = dk_refused(c);
    }
    if (rc == 0 && km_json_parse(c->body.data, c->body.len, &v, NULL, &err) == KM_OK &&
        km_json_str(v, "csrf") != NULL) {
        snprintf(c->csrf, sizeof(c->csrf), "%s", km_json_str(v, "csrf"));
    } else if (rc == 0) {
        fprintf(stderr, "komekctl: the desk's login answer has no CSRF token\n");
        rc = EXIT_FAIL;
    }
    km_json_free(v);
    km_buf_free(&b);
    return rc;
}

/* "/api/items/ID/action" with ID percent-encoded (action "" for the item itself). */
static char *dk_item_path(struct dk_client *c, const char *item, const char *action)
{
    char *esc = curl_easy_escape(c->curl, item, 0);
    char *path =
        km_asprintf("/api/items/%s%s%s", esc != NULL ? esc : "", action[0] ? "/" : "", action);
    curl_free(esc);
    return path;
}

/* Appends ,"key":value for a string option that was given. */
static void dk_opt(struct km_buf *b, const char *key, const char *value)
{
    if (value != NULL) {
        km_buf_printf(b, ",\"%s\":", key);
        km_json_escape(b, value);
    }
}

/* Prints one queue item as a line: priority, time to the SLA, id, category, holder, text. */
static void dk_print_item(yajl_val it, int64_t now)
{
    int64_t due = 0;
    const char *sla = km_json_str(it, "sla_due");
    char left[24] = "-";
    if (sla != NULL && km_time_parse_rfc3339(sla, &due) == KM_OK) {
        long long s = (long long)(due - now) / 1000;
        if (s < 0) {
            snprintf(left, sizeof(left), "BREACHED");
        } else {
            snprintf(left, sizeof(left), "%lld:%02lld", s / 60, s % 60);
        }
    }
    const char *text = km_json_str(it, "text");
    const char *prio = km_json_str(it, "priority"), *cat = km_json_str(it, "category");
    const char *by = km_json_str(it, "claimed_by");
    size_t len = text != NULL ? strcspn(text, "\r\n") : 0;
    len = len > 60 ? 60 : len;
    while (len > 0 && text != NULL && ((unsigned char)text[len] & 0xC0) == 0x80) {
        len--; /* do not cut a UTF-8 character */
    }
    printf("%-3s %9s  %-32s %-12s %-10s %.*s\n", prio ? prio : "-", left,
           km_json_str(it, "id") ? km_json_str(it, "id") : "?", cat ? cat : "-", by ? by : "-",
           (int)len, text ? text : "");
}

static int dk_cmd_queue(struct dk_client *c, const struct dk_args *a)
{
    struct km_buf q = KM_BUF_INIT;
    const char *keys[] = {"network", "category", "source", "lang", "priority", "limit"};
    const char *vals[] = {a->network, a->category, a->source, a->lang, a->priority, a->limit};
    km_buf_puts(&q, "/api/queue");
    for (size_t i = 0; i < 6; i++) {
        if (vals[i] != NULL) {
            char *esc = curl_easy_escape(c->curl, vals[i], 0);
            km_buf_printf(&q, "%c%s=%s", q.len == 10 ? '?' : '&', keys[i], esc ? esc : "");
            curl_free(esc);
        }
    }
    int rc = dk_call(c, "GET", q.data, NULL);
    km_buf_free(&q);
    if (rc != 0 || c->status != 200) {
        return rc != 0 ? rc : dk_refused(c);
    }
    if (a->json) {
        printf("%s\n", c->body.data);
        return 0;
    }
    yajl_val v = NULL;
    struct km_err err = {{0}};
    if (km_json_parse(c->body.data, c->body.len, &v, NULL, &err) != KM_OK) {
        fprintf(stderr, "komekctl: the desk's queue: %s\n", err.msg);
        return EXIT_FAIL;
    }
    yajl_val items = km_json_get(v, "items", NULL);
    size_t n = YAJL_IS_ARRAY(items) ? YAJL_GET_ARRAY(items)->len : 0;
    printf("%-3s %9s  %-32s %-12s %-10s %s\n", "PRI", "SLA LEFT", "ID", "CATEGORY", "CLAIMED",
           "TEXT");
    for (size_t i = 0; i < n; i++) {
        dk_print_item(YAJL_GET_ARRAY(items)->values[i], km_time_now_ms());
    }
    printf("%zu item(s)\n", n);
    km_json_free(v);
    return 0;
}

/* The JSON body of an item action (without the command's fixed members). */
static char *dk_action_body(const struct dk_args *a)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_printf(&b, "{\"incident\":%s", a->incident ? "true" : "false");
    dk_opt(&b, "category", a->category);
    dk_opt(&b, "agency", a->agency);
    dk_opt(&b, "priority", a->priority);
    dk_opt(&b, "note", a->note);
    dk_opt(&b, "kind", a->kind);
    dk_opt(&b, "reason", a->reason);
    dk_opt(&b, "template", a->template);
    dk_opt(&b, "text", a->text);
    dk_opt(&b, "lang", a->lang);
    km_buf_putc(&b, '}');
    return km_buf_take(&b);
}

/* Prints the success line of an action from its answer. */
static void dk_print_done(const struct dk_args *a, const struct dk_client *c)
{
    yajl_val v = NULL;
    struct km_err err = {{0}};
    km_json_parse(c->body.data ? c->body.data : "", c->body.len, &v, NULL, &err);
    const char *s = NULL;
    if (strcmp(a->cmd, "claim") == 0) {
        s = v != NULL ? km_json_str(v, "claim_expires") : NULL;
        printf("claimed %s until %s\n", a->item, s ? s : "?");
    } else if (strcmp(a->cmd, "ticket-from-item") == 0) {
        s = v != NULL ? km_json_str(v, "number") : NULL;
        printf(c->status == 201 ? "created ticket %s\n" : "%s already exists\n", s ? s : "?");
    } else if (strcmp(a->cmd, "reply") == 0) {
        s = v != NULL ? km_json_str(v, "message_id") : NULL;
        printf("sent reply %s: %s\n", s ? s : "?", v ? km_json_str(v, "text") : "");
    } else {
        printf("%s: %s done\n", a->item, a->cmd);
    }
    km_json_free(v);
}

static int dk_cmd_item(struct dk_client *c, const struct dk_args *a)
{
    const char *action = strcmp(a->cmd, "ticket-from-item") == 0 ? "ticket" : a->cmd;
    if (strcmp(a->cmd, "dismiss") == 0 && (a->kind == NULL || a->reason == NULL)) {
        return dk_usage();
    }
    if (strcmp(a->cmd, "reply") == 0 && (a->template == NULL) == (a->text == NULL)) {
        return dk_usage();
    }
    char *path = dk_item_path(c, a->item, action);
    char *body = dk_action_body(a);
    int rc = dk_call(c, "POST", path, body);
    if (rc == 0 && c->status != 200 && c->status != 201) {
        rc = dk_refused(c);
    } else if (rc == 0) {
        dk_print_done(a, c);
    }
    free(path);
    free(body);
    return rc;
}

int km_ctl_desk(const struct km_config *cfg, int argc, char **argv)
{
    struct dk_args a = {0};
    struct dk_client c = {.body = KM_BUF_INIT};
    char *password = NULL;
    int rc = dk_parse(argc, argv, &a);
    if (rc != 0) {
        return rc;
    }
    c.base = dk_base(cfg, a.url);
    password = dk_password(a.password_file);
    if (c.base == NULL || password == NULL) {
        fprintf(stderr, "komekctl: %s\n",
                c.base == NULL ? "the desk is off (desk_listen): give --url"
                               : "no password: --password-file or KOMEK_PASSWORD");
        rc = EXIT_USAGE;
        goto out;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (c.curl = curl_easy_init()) == NULL) {
        fprintf(stderr, "komekctl: libcurl could not start\n");
        rc = EXIT_FAIL;
        goto out;
    }
    curl_easy_setopt(c.curl, CURLOPT_COOKIEFILE, ""); /* cookies in memory only */
    curl_easy_setopt(c.curl, CURLOPT_WRITEFUNCTION, dk_write);
    curl_easy_setopt(c.curl, CURLOPT_WRITEDATA, &c);
    curl_easy_setopt(c.curl, CURLOPT_TIMEOUT, DK_TIMEOUT_S);
    curl_easy_setopt(c.curl, CURLOPT_NOSIGNAL, 1L);
    rc = dk_login(&c, a.user, password);
    if (rc == 0) {
        rc = strcmp(a.cmd, "desk") == 0 ? dk_cmd_queue(&c, &a) : dk_cmd_item(&c, &a);
        dk_call(&c, "POST", "/api/logout", "{}"); /* best effort: the session also expires */
    }
out:
    if (c.curl != NULL) {
        curl_easy_cleanup(c.curl);
        curl_global_cleanup();
    }
    if (password != NULL) {
        memset(password, 0, strlen(password));
        free(password);
    }
    free(c.base);
    km_buf_free(&c.body);
    return rc;
}
