/* Replies on Mastodon: POST /api/v1/statuses with in_reply_to_id
 * (https://docs.joinmastodon.org/methods/statuses/#create).
 *
 * komek keeps a status by its URI (global), but in_reply_to_id wants the status's id on the
 * source's own instance, which differs for statuses from other instances. So the status is
 * first looked up: GET /api/v2/search?q=URI&type=statuses&resolve=true (ids of the fallback
 * form "HOST/ID" use GET /api/v1/statuses/ID). The lookup also gives the author, who is
 * mentioned at the start of the reply (Mastodon notifies mentioned accounts, not the
 * author of the status replied to), and the visibility, which the reply keeps. Posting
 * sends an Idempotency-Key derived from (source, post, text), so that repeating a request
 * whose answer was lost does not post twice. Errors are {"error":"..."}; a 429 carries
 * X-RateLimit-Reset (ISO 8601). */
#include "collectors/reply_net.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "common/time.h"
#include "parser/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Wait after a 429 without X-RateLimit-Reset or Retry-After: Mastodon's windows are
 * 5 minutes (requests) to 3 hours (statuses); a minute is a polite first guess. */
#define MSTR_RETRY_DEFAULT_MS 60000

/* The status replied to, as the instance knows it. */
struct mstr_target {
    char *id;         /* local id */
    char *acct;       /* "user" or "user@domain"; NULL if unknown */
    char *visibility; /* NULL if unknown */
};

static void mstr_target_clear(struct mstr_target *s)
{
    free(s->id);
    free(s->acct);
    free(s->visibility);
}

/* Milliseconds until X-RateLimit-Reset, or -1 if absent or unreadable. */
static int64_t mstr_reset_ms(const struct km_reply_http_resp *r)
{
    const char *v = km_response_header(&r->resp, "X-RateLimit-Reset");
    int64_t at = 0;
    if (v == NULL || km_time_parse_rfc3339(v, &at) != KM_OK) {
        return -1;
    }
    int64_t ms = at - r->resp.received_at_ms;
    return ms < 0 ? 0 : ms;
}

/* Any answer but 200: what = "looking up the status" or "posting". */
static int mstr_refused(const struct km_reply_target *t, const struct km_reply_http_resp *r,
                        const char *what, struct km_reply_outcome *out, struct km_err *err)
{
    yajl_val root = NULL;
    if (km_json_parse(r->resp.body, r->resp.body_len, &root, NULL, NULL) != KM_OK) {
        root = NULL;
    }
    const char *msg = km_json_str(root, "error");
    long status = r->resp.status;
    int rc;
    if (status == 429) {
        int64_t ms = mstr_reset_ms(r);
        out->retry_after_ms = ms > 0 ? ms : km_reply_retry_after(r, MSTR_RETRY_DEFAULT_MS);
        if (out->retry_after_ms <= 0 || out->retry_after_ms > KM_REPLY_RETRY_MAX_MS) {
            out->retry_after_ms = MSTR_RETRY_DEFAULT_MS;
        }
        out->blocked = true;
        rc = km_err_set(err, KM_RETRY, "mastodon/%s: %s: %s", t->source, what,
                        msg != NULL ? msg : "Too many requests");
    } else if (status >= 500) {
        out->retry_after_ms = km_reply_retry_after(r, KM_REPLY_RETRY_DEFAULT_MS);
        rc = km_err_set(err, KM_RETRY, "mastodon/%s: %s: HTTP %ld%s%s", t->source, what, status,
                        msg != NULL ? ": " : "", msg != NULL ? msg : "");
    } else {
        rc = km_err_set(err, KM_ERR, "mastodon/%s: %s: HTTP %ld: %s%s", t->source, what, status,
                        msg != NULL ? msg : "refused",
                        status == 401 || status == 403
                            ? " (the token needs the write:statuses and read:search scopes)"
                            : "");
    }
    km_json_free(root);
    return rc;
}

/* GET url; on 200 parses the body into *root. */
static int mstr_get(const struct km_reply_target *t, const char *url, const char *what,
                    yajl_val *root, struct km_reply_outcome *out, struct km_err *err)
{
    struct km_reply_http_resp resp = {0};
    char *auth = km_asprintf("Bearer %s", t->token);
    struct km_reply_http_req req = {.method = "GET", .url = url, .auth = auth};
    int rc = km_reply_http(t, &req, &resp, err);
    *root = NULL;
    if (rc != KM_OK) {
        out->retry_after_ms = KM_REPLY_RETRY_DEFAULT_MS;
    } else if (resp.resp.status != 200) {
        rc = mstr_refused(t, &resp, what, out, err);
    } else if (km_json_parse(resp.resp.body, resp.resp.body_len, root, NULL, NULL) != KM_OK) {
        *root = NULL;
        rc = km_err_set(err, KM_ERR, "mastodon/%s: %s: unreadable answer", t->source, what);
    }
    km_reply_http_resp_free(&resp);
    free(auth);
    return rc;
}

/* The lookup URL for post_id, or NULL if post_id is neither a URI nor "HOST/ID". */
static char *mstr_lookup_url(const struct km_reply_target *t, const char *post_id, bool *search)
{
    struct km_buf b = KM_BUF_INIT;
    *search = strncmp(post_id, "https://", 8) == 0 || strncmp(post_id, "http://", 7) == 0;
    if (*search) {
        km_buf_printf(&b, "%s/api/v2/search?q=", t->url);
        km_url_escape(&b, post_id);
        km_buf_puts(&b, "&type=statuses&resolve=true&limit=1");
        return km_buf_take(&b);
    }
    const char *slash = strrchr(post_id, '/');
    const char *id = slash != NULL ? slash + 1 : "";
    if (*id == '\0' || strspn(id, "0123456789") != strlen(id)) {
        return NULL;
    }
    return km_asprintf("%s/api/v1/statuses/%s", t->url, id);
}

static int mstr_lookup(const struct km_reply_target *t, const char *post_id, struct mstr_target *s,
                       struct km_reply_outcome *out, struct km_err *err)
{
    bool search = false;
    yajl_val root = NULL;
    char *url = mstr_lookup_url(t, post_id, &search);
    if (url == NULL) {
        return km_err_set(err, KM_EINPUT,
                          "mastodon/%s: cannot reply to '%s': expected a status "
                          "URI",
                          t->source, post_id);
    }
    int rc = mstr_get(t, url, "looking up the status", &root, out, err);
    yajl_val st = root;
    if (rc == KM_OK && search) {
        yajl_val list = km_json_get(root, "statuses", NULL);
        st = YAJL_IS_ARRAY(list) && list->u.array.len > 0 ? list->u.array.values[0] : NULL;
    }
    s->id = rc == KM_OK ? km_json_scalar_dup(st, "id") : NULL;
    if (rc == KM_OK && s->id == NULL) {
        rc = km_err_set(err, KM_ERR,
                        "mastodon/%s: status %s not found on the instance "
                        "(deleted, or not visible to this account)",
                        t->source, post_id);
    }
    if (rc == KM_OK) {
        s->acct = km_strdup(km_json_str(km_json_get(st, "account", NULL), "acct"));
        s->visibility = km_strdup(km_json_str(st, "visibility"));
    }
    km_json_free(root);
    free(url);
    return rc;
}

/* The status text: "@acct " first unless the text already mentions the author. */
static char *mstr_status_text(const struct mstr_target *s, const char *text)
{
    if (s->acct == NULL || *s->acct == '\0') {
        return km_strdup(text);
    }
    char *mention = km_asprintf("@%s", s->acct);
    const char *p = strstr(text, mention);
    size_t n = strlen(mention);
    bool has = p != NULL && (p[n] == '\0' || p[n] == ' ' || p[n] == ',' || p[n] == '\n');
    char *out = has ? km_strdup(text) : km_asprintf("%s %s", mention, text);
    free(mention);
    return out;
}

static char *mstr_body(const struct mstr_target *s, const char *status)
{
    struct km_buf b = KM_BUF_INIT;
    km_buf_puts(&b, "{\"status\":");
    km_json_escape(&b, status);
    km_buf_puts(&b, ",\"in_reply_to_id\":");
    km_json_escape(&b, s->id);
    if (s->visibility != NULL) {
        km_buf_puts(&b, ",\"visibility\":");
        km_json_escape(&b, s->visibility);
    }
    km_buf_putc(&b, '}');
    return km_buf_take(&b);
}

static int mstr_post(const struct km_reply_target *t, const struct mstr_target *s,
                     const char *post_id, const char *text, struct km_reply_outcome *out,
                     struct km_err *err)
{
    char key[17];
    char *status = mstr_status_text(s, text);
    char *body = mstr_body(s, status);
    char *url = km_asprintf("%s/api/v1/statuses", t->url);
    char *auth = km_asprintf("Bearer %s", t->token);
    struct km_reply_http_resp resp = {0};
    km_reply_idempotency_key(t->source, post_id, text, key);
    struct km_reply_http_req req = {.method = "POST",
                                    .url = url,
                                    .body = body,
                                    .auth = auth,
                                    .content_type = "application/json",
                                    .idempotency = key};
    int rc = km_reply_http(t, &req, &resp, err);
    yajl_val root = NULL;
    if (rc != KM_OK) {
        out->retry_after_ms = KM_REPLY_RETRY_DEFAULT_MS;
    } else if (resp.resp.status != 200) {
        rc = mstr_refused(t, &resp, "posting", out, err);
    } else if (km_json_parse(resp.resp.body, resp.resp.body_len, &root, NULL, NULL) != KM_OK ||
               (out->message_id = km_json_scalar_dup(root, "id")) == NULL) {
        rc = km_err_set(err, KM_ERR,
                        "mastodon/%s: posting: unreadable answer; the reply may "
                        "have been posted",
                        t->source);
    }
    km_json_free(root);
    km_reply_http_resp_free(&resp);
    free(status);
    free(body);
    free(url);
    free(auth);
    return rc;
}

int km_reply_mastodon(const struct km_reply_target *t, const char *post_id, const char *text,
                      struct km_reply_outcome *out, struct km_err *err)
{
    int rc = KM_OK;
    struct mstr_target s = {0};
    if (t->token == NULL || *t->token == '\0') {
        rc = km_err_set(err, KM_EINPUT,
                        "mastodon/%s: replies need token = (an access token "
                        "with the write:statuses and read:search scopes)",
                        t->source);
        goto out;
    }
    if (!km_url_secret_safe(t->url)) {
        rc = km_err_set(err, KM_EINPUT,
                        "mastodon/%s: url must use https:// to send the token "
                        "(http:// only on loopback)",
                        t->source);
        goto out;
    }
    rc = mstr_lookup(t, post_id, &s, out, err);
    if (rc == KM_OK) {
        rc = mstr_post(t, &s, post_id, text, out, err);
    }
out:
    mstr_target_clear(&s);
    km_reply_scrub(err, t->token);
    return rc;
}
