/* Fuzz target: the configuration loader (common/conf.c: libinih with a line-counting
 * reader, key tables, typed values, secrets), then every [source] through its collector's
 * create(), as komekd does at start, and the effective-config dump.
 *
 * The input is written to a private temporary file. "file:PATH" secrets make the loader
 * read PATH; so that the fuzzer cannot make it block on a terminal or a pipe, every
 * "/dev/", "/proc/" and "/sys/" in the input is defused before loading. */
#include "collectors/collector.h"
#include "common/conf.h"
#include "test/fuzz/fuzz.h"

static FILE *devnull;

static void defuse(uint8_t *s, size_t size)
{
    static const char *const bad[] = {"/dev/", "/proc/", "/sys/"};
    for (size_t i = 0; i < size; i++) {
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
            size_t n = strlen(bad[k]);
            if (size - i >= n && memcmp(s + i, bad[k], n) == 0) {
                s[i + 1] = '_';
            }
        }
    }
}

static void create_sources(const struct km_config *cfg)
{
    for (size_t i = 0; i < cfg->n_sources; i++) {
        const struct km_section *sec = cfg->sources[i];
        const struct km_collector *c = km_collector_find(km_section_get(sec, "type"));
        if (c == NULL) {
            continue;
        }
        void *state = NULL;
        struct km_err err = {{0}};
        int rc = c->create(sec, &state, &err);
        fz_check(rc == KM_OK || rc == KM_EINPUT || rc == KM_ERR, "create rc %d", rc);
        if (rc == KM_OK) {
            c->destroy(state);
        }
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    devnull = fopen("/dev/null", "w");
    fz_check(devnull != NULL, "cannot open /dev/null");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = (uint8_t *)fz_strndup(data, size);
    defuse(copy, size);
    const char *path = fz_write_file("in.conf", copy, size);
    free(copy);
    struct km_config *cfg = NULL;
    struct km_err err = {{0}};
    int rc = km_config_load(path, km_collector_keys, devnull, &cfg, &err);
    fz_check(rc == KM_OK || rc == KM_EINPUT, "rc %d: %s", rc, err.msg);
    if (rc == KM_OK) {
        fz_check(cfg != NULL && cfg->global != NULL, "KM_OK without a config");
        create_sources(cfg);
        km_config_dump(cfg, devnull);
    } else {
        fz_check(err.msg[0] != '\0', "KM_EINPUT without a message");
    }
    km_config_free(cfg);
    return 0;
}
