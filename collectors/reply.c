/* km_reply_send(): finds the source, applies the sending limits, dispatches to the
 * network's sender (collectors/reply_telegram.c, reply_mastodon.c, reply_vk.c). */
#include "collectors/reply.h"

#include "collectors/reply_limit.h"
#include "collectors/reply_net.h"
#include "common/alloc.h"
#include "common/log.h"
#include "common/time.h"
#include "common/utf8.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The process's sending limits, shared by every thread that replies (desk requests). */
static pthread_mutex_t rp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct km_reply_limiter *rp_limiter;
static int64_t (*rp_clock)(void) = km_time_mono_ms;

static const char *const rp_networks[] = {"telegram", "mastodon", "vk"};

bool km_reply_supported(const char *network)
{
    for (size_t i = 0; network != NULL && i < sizeof(rp_networks) / sizeof(rp_networks[0]); i++) {
        if (strcmp(network, rp_networks[i]) == 0) {
            return true;
        }
    }
    return false;
}

void km_reply_set_clock(int64_t (*mono_ms)(void))
{
    pthread_mutex_lock(&rp_lock);
    km_reply_limiter_free(rp_limiter);
    rp_limiter = NULL;
    rp_clock = mono_ms != NULL ? mono_ms : km_time_mono_ms;
    pthread_mutex_unlock(&rp_lock);
}

/* The shared limiter (created on first use) and the current time. */
static struct km_reply_limiter *rp_limits(int64_t *now_ms)
{
    pthread_mutex_lock(&rp_lock);
    if (rp_limiter == NULL) {
        rp_limiter = km_reply_limiter_new();
    }
    struct km_reply_limiter *l = rp_limiter;
    *now_ms = rp_clock();
    pthread_mutex_unlock(&rp_lock);
    return l;
}

static const struct km_section *rp_find(const struct km_config *cfg, const char *source)
{
    for (size_t i = 0; cfg != NULL && source != NULL && i < cfg->n_sources; i++) {
        const char *name = cfg->sources[i]->name;
        if (name != NULL && strcmp(name, source) == 0) {
            return cfg->sources[i];
        }
    }
    return NULL;
}

/* Checks what does not depend on the source: network, post id, text. */
static int rp_check_input(const char *network, const char *post_id, const char *text,
                          struct km_err *err)
{
    if (!km_reply_supported(network)) {
        return km_err_set(err, KM_EINPUT, "replies are not supported for %s",
                          network != NULL ? network : "(no network)");
    }
    if (post_id == NULL || *post_id == '\0') {
        return km_err_set(err, KM_EINPUT, "%s: no post to reply to", network);
    }
    if (text == NULL || text[strspn(text, " \t\r\n")] == '\0') {
        return km_err_set(err, KM_EINPUT, "%s: the reply text is empty", network);
    }
    if (!km_utf8_valid(text, strlen(text), NULL)) {
        return km_err_set(err, KM_EINPUT, "%s: the reply text is not valid UTF-8", network);
    }
    return KM_OK;
}

/* Fills t from [source NAME]; *url_out is the trimmed url (caller frees). */
static int rp_target(const struct km_config *cfg, const char *source, const char *network,
                     struct km_reply_target *t, char **url_out, struct km_err *err)
{
    const struct km_section *sec = rp_find(cfg, source);
    if (sec == NULL) {
        return km_err_set(err, KM_EINPUT, "%s: no [source %s] in %s", network,
                          source != NULL ? source : "(none)", cfg != NULL ? cfg->path : "config");
    }
    const char *type = km_section_get(sec, "type");
    if (type != NULL && strcmp(type, "telegram_webhook") == 0 && strcmp(network, "telegram") == 0) {
        return km_err_set(err, KM_EINPUT,
                          "telegram/%s: a telegram_webhook source has no bot "
                          "token; reply through a type = telegram source of the same bot",
                          source);
    }
    if (type == NULL || strcmp(type, network) != 0) {
        return km_err_set(err, KM_EINPUT, "%s/%s: [source %s] is of type %s, not %s", network,
                          source, source, type != NULL ? type : "(none)", network);
    }
    const char *url = km_section_get(sec, "url");
    if (url == NULL || *url == '\0') {
        return km_err_set(err, KM_EINPUT, "%s/%s: [source %s] has no url", network, source, source);
    }
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/') {
        n--;
    }
    *url_out = km_strndup(url, n);
    *t = (struct km_reply_target){.network = network,
                                  .source = source,
                                  .url = *url_out,
                                  .token = km_section_get(sec, "token"),
                                  .ca_file = km_section_get(sec, "ca_file"),
                                  .api_version = km_section_get(sec, "api_version"),
                                  .timeout_ms = km_section_get_ms(sec, "timeout")};
    return KM_OK;
}

/* The chat the per-chat limits count (Telegram only); NULL elsewhere. Caller frees. */
static int rp_chat(const char *network, const char *chat_id, const char *post_id,
                   const char *source, char **chat, struct km_err *err)
{
    int64_t message = 0;
    *chat = NULL;
    if (strcmp(network, "telegram") != 0) {
        return KM_OK;
    }
    if (km_reply_tg_target(chat_id, post_id, chat, &message) != KM_OK) {
        return km_err_set(err, KM_EINPUT,
                          "telegram/%s: cannot reply to '%s': expected a post "
                          "id CHAT:MESSAGE",
                          source, post_id);
    }
    return KM_OK;
}

static int rp_dispatch(const struct km_reply_target *t, const char *chat_id, const char *post_id,
                       const char *text, struct km_reply_outcome *out, struct km_err *err)
{
    if (t->network == NULL) {
        return km_err_set(err, KM_EINPUT, "reply: no network");
    }
    if (strcmp(t->network, "telegram") == 0) {
        return km_reply_telegram(t, chat_id, post_id, text, out, err);
    }
    if (strcmp(t->network, "mastodon") == 0) {
        return km_reply_mastodon(t, post_id, text, out, err);
    }
    return km_reply_vk(t, post_id, text, out, err);
}

int km_reply_send(const struct km_config *cfg, const char *source, const char *network,
                  const char *chat_id, const char *post_id, const char *text, char **message_id,
                  int64_t *retry_after_ms, struct km_err *err)
{
    struct km_reply_target t = {0};
    struct km_reply_outcome out = {0};
    char *url = NULL, *chat = NULL;
    const char *rule = NULL;
    int64_t now = 0;
    *message_id = NULL;
    *retry_after_ms = 0;
    int rc = rp_check_input(network, post_id, text, err);
    rc = rc == KM_OK ? rp_target(cfg, source, network, &t, &url, err) : rc;
    rc = rc == KM_OK ? rp_chat(network, chat_id, post_id, source, &chat, err) : rc;
    if (rc != KM_OK) {
        goto out;
    }
    struct km_reply_limiter *lim = rp_limits(&now);
    int64_t wait = km_reply_limiter_take(lim, network, source, chat, now, &rule);
    if (wait > 0) {
        *retry_after_ms = wait;
        rc = km_err_set(err, KM_RETRY, "%s/%s: sending limit reached (%s); retry in %lld ms",
                        network, source, rule != NULL ? rule : "network", (long long)wait);
        goto out;
    }
    rc = rp_dispatch(&t, chat, post_id, text, &out, err);
    if (rc == KM_OK) {
        *message_id = out.message_id;
        out.message_id = NULL;
        KM_LOG_INFO("reply sent: %s/%s to %s as %s", network, source, post_id, *message_id);
    } else if (rc == KM_RETRY) {
        *retry_after_ms = out.retry_after_ms > 0 ? out.retry_after_ms : KM_REPLY_RETRY_DEFAULT_MS;
        if (out.blocked) {
            km_reply_limiter_block(lim, network, source, chat, now, now + *retry_after_ms);
        }
    }
out:
    free(out.message_id);
    free(url);
    free(chat);
    return rc;
}
