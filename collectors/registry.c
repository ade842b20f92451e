/* The collector registry: a hand-written static list (no dlopen), the equivalent of Fluent
 * Bit's generated plugin list. Adding a collector means adding its descriptor here. */
#include "collectors/collector.h"

#include <stddef.h>
#include <string.h>

extern const struct km_collector km_collector_telegram;
extern const struct km_collector km_collector_mastodon;
extern const struct km_collector km_collector_rss;
extern const struct km_collector km_collector_vk;
extern const struct km_collector km_collector_telegram_webhook;
extern const struct km_collector km_collector_webhook;
extern const struct km_collector km_collector_x;
extern const struct km_collector km_collector_bluesky;
extern const struct km_collector km_collector_instagram;
extern const struct km_collector km_collector_json;

static const struct km_collector *const registry[] = {
    &km_collector_telegram,
    &km_collector_mastodon,
    &km_collector_rss,
    &km_collector_vk,
    &km_collector_telegram_webhook,
    &km_collector_webhook,
    &km_collector_x,
    &km_collector_bluesky,
    &km_collector_instagram,
    &km_collector_json,
    NULL,
};

const struct km_collector *km_collector_find(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; registry[i] != NULL; i++) {
        if (strcmp(registry[i]->name, name) == 0) {
            return registry[i];
        }
    }
    return NULL;
}

const struct km_conf_key *km_collector_keys(const char *type)
{
    const struct km_collector *c = km_collector_find(type);
    return c != NULL ? c->keys : NULL;
}

const struct km_collector *const *km_collector_all(void)
{
    return registry;
}
