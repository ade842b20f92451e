#include "test/fake/fake_replies.h"

#include "common/alloc.h"
#include "test/fake/fake_text.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct fr_reply {
    char *network, *chat_id, *reply_to, *text;
};

static pthread_mutex_t fr_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fr_reply *fr_v;
static size_t fr_n, fr_cap;

void km_fake_replies_add(const char *network, const char *chat_id, const char *reply_to,
                         const char *text)
{
    pthread_mutex_lock(&fr_lock);
    if (fr_n < KM_FAKE_REPLIES_MAX) {
        if (fr_n == fr_cap) {
            fr_cap = fr_cap > 0 ? 2 * fr_cap : 16;
            fr_v = km_realloc(fr_v, fr_cap * sizeof(*fr_v));
        }
        fr_v[fr_n++] = (struct fr_reply){km_strdup(network), km_strdup(chat_id),
                                         km_strdup(reply_to), km_strdup(text)};
    }
    pthread_mutex_unlock(&fr_lock);
}

void km_fake_replies_json(struct km_buf *b)
{
    pthread_mutex_lock(&fr_lock);
    km_buf_putc(b, '[');
    for (size_t i = 0; i < fr_n; i++) {
        km_buf_puts(b, i > 0 ? ",{\"network\":" : "{\"network\":");
        km_fake_json_str(b, fr_v[i].network, 0);
        km_buf_puts(b, ",\"chat_id\":");
        km_fake_json_str(b, fr_v[i].chat_id, 0);
        km_buf_puts(b, ",\"reply_to\":");
        km_fake_json_str(b, fr_v[i].reply_to, 0);
        km_buf_puts(b, ",\"text\":");
        km_fake_json_str(b, fr_v[i].text, 0);
        km_buf_putc(b, '}');
    }
    km_buf_puts(b, "]\n");
    pthread_mutex_unlock(&fr_lock);
}

void km_fake_replies_clear(void)
{
    pthread_mutex_lock(&fr_lock);
    for (size_t i = 0; i < fr_n; i++) {
        free(fr_v[i].network);
        free(fr_v[i].chat_id);
        free(fr_v[i].reply_to);
        free(fr_v[i].text);
    }
    fr_n = 0;
    pthread_mutex_unlock(&fr_lock);
}

void km_fake_replies_fini(void)
{
    km_fake_replies_clear();
    pthread_mutex_lock(&fr_lock);
    free(fr_v);
    fr_v = NULL;
    fr_cap = 0;
    pthread_mutex_unlock(&fr_lock);
}

bool km_fake_replies_path(const char *method, const char *url)
{
    if (strcmp(method, "POST") != 0) {
        return false;
    }
    if (strncmp(url, "/bot", 4) == 0) {
        const char *slash = strchr(url + 4, '/');
        return slash != NULL && strcmp(slash, "/sendMessage") == 0;
    }
    return strcmp(url, "/api/v1/statuses") == 0 || strcmp(url, "/method/wall.createComment") == 0;
}
