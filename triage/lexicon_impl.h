/* Internals of the lexicon shared by lexicon.c (loading) and lexmatch.c (matching). Not
 * for other modules: use lexicon.h. */
#ifndef KM_TRIAGE_LEXICON_IMPL_H
#define KM_TRIAGE_LEXICON_IMPL_H

#include "triage/lexicon.h"
#include "triage/strmap.h"
#include "triage/trie.h"

/* Entries whose first word is one atom. */
struct lx_starts {
    uint32_t *ids;
    uint32_t n, cap;
};

struct km_lexicon {
    struct km_lex_entry *entries;
    size_t n, cap_entries;
    struct km_strmap *exact;    /* surface form -> atoms (ru/en words, kk forms) */
    struct km_strmap *loose;    /* Kazakh loose key of a kk form -> atoms */
    struct km_strmap *stem_ru;  /* Russian Snowball stem -> atoms */
    struct km_strmap *stem_en;  /* English Snowball stem -> atoms */
    struct km_trie *prefix;     /* prefix (and kk loose prefix) -> atoms */
    struct km_trie *trig_ru;    /* token prefixes worth stemming with the ru stemmer */
    struct km_trie *trig_en;    /* the same for en */
    struct km_strmap *atom_ids; /* kind + key -> atom id, while loading */
    struct lx_starts *starts;   /* atom id -> entries whose first word it is */
    uint32_t n_atoms, cap_atoms;
    int base[KM_CLASS_COUNT]; /* entry index of the base line, or -1 */
    int cap[KM_CLASS_COUNT];  /* entry index of the cap line, or -1 */
    char **files;             /* file names entries point to */
    size_t n_files;
    struct km_lex_stemmers st; /* the loader's stemmers (stems of terms at load time) */
    uint64_t generation; /* unique per lexicon and per change: keys the token cache */
};

/* A new value for km_lexicon.generation, never given before in this process. */
uint64_t km_lexicon_next_generation(void);

/* The stem and token cache of struct km_lex_stemmers (lexmatch.c). */
struct km_lex_stem_cache *km_lex_stem_cache_new(void);
void km_lex_stem_cache_free(struct km_lex_stem_cache *c);

#endif
