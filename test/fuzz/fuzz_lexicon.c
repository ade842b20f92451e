/* Fuzz target: the lexicon loader (triage/lexicon.c: km_lexicon_load_file and
 * km_lexicon_add_line), then the matcher with the loaded entries on a few fixed posts.
 *
 * Oracles: loading returns KM_OK or KM_EINPUT (never KM_ERR for a readable file); every
 * entry has a valid class, mode and language; hits stay inside the post's tokens. */
#include "triage/lexicon.h"
#include "triage/norm.h"
#include "test/fuzz/fuzz.h"

static struct km_lex_stemmers stemmers;
static struct km_norm_text *texts[3];

static void check_entries(const struct km_lexicon *lx)
{
    size_t n = km_lexicon_count(lx);
    for (size_t i = 0; i < n; i++) {
        const struct km_lex_entry *e = km_lexicon_entry(lx, (uint32_t)i);
        /* a "not" line for every class ('*') has class KM_CLASS_COUNT */
        bool any = e->mode == KM_LEX_NOT && e->block_cls == -1 && e->cls == KM_CLASS_COUNT;
        fz_check((e->cls < KM_CLASS_COUNT || any) && e->mode <= KM_LEX_CAP && e->lang <= KM_LEX_ANY,
                 "entry %zu: class %u mode %u lang %u", i, e->cls, e->mode, e->lang);
        fz_check(e->n_words >= 0 && e->n_words <= KM_LEX_MAX_WORDS, "entry %zu: %d words", i,
                 e->n_words);
    }
    for (int c = 0; c < KM_CLASS_COUNT; c++) {
        (void)km_lexicon_base(lx, c);
        (void)km_lexicon_cap(lx, c);
    }
}

static void match(const struct km_lexicon *lx)
{
    struct km_lex_hit hits[64];
    for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        for (int lang = KM_LEX_RU; lang <= KM_LEX_ANY; lang++) {
            size_t n = km_lexicon_match(lx, texts[t], lang, &stemmers, hits, 64);
            for (size_t i = 0; i < n && i < 64; i++) {
                fz_check(hits[i].entry < km_lexicon_count(lx), "hit of entry %u", hits[i].entry);
                fz_check(hits[i].first <= hits[i].last && hits[i].last < texts[t]->n_tokens,
                         "hit %u..%u of %zu tokens", hits[i].first, hits[i].last,
                         texts[t]->n_tokens);
            }
        }
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    struct km_err err = {{0}};
    if (km_lex_stemmers_init(&stemmers, &err) != KM_OK) {
        fprintf(stderr, "fuzz_lexicon: %s\n", err.msg);
        exit(1);
    }
    static const char *const samples[] = {
        "Запах газа в подъезде, дети дома! Третий день не можем дозвониться #Астана 109",
        "Көшеде жарық жоқ, балалар қорқады. Көмектесіңіздер #iKomek",
        "No heating since Monday, -31 outside, elderly neighbour, please help #Astana",
    };
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        texts[i] = km_norm(samples[i], strlen(samples[i]));
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_write_file("in.lex", data, size);
    struct km_lexicon *lx = km_lexicon_new();
    struct km_err err = {{0}};
    int rc = km_lexicon_load_file(lx, path, NULL, &err);
    fz_check(rc == KM_OK || rc == KM_EINPUT, "rc %d: %s", rc, err.msg);
    fz_check(rc == KM_OK || err.msg[0] != '\0', "KM_EINPUT without a message");
    check_entries(lx);
    match(lx);
    km_lexicon_free(lx);
    return 0;
}
