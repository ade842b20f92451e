/* Matching a normalised post against the lexicon (km_lexicon_match, see lexicon.h).
 *
 * Per token: a few hash lookups collect the atoms it matches (its surface form, its Kazakh
 * loose key, the prefixes the lexicon knows, its Snowball stem when a lexicon stem could
 * fit, and for Latin tokens the same again on a Cyrillic transliteration, for Russian and
 * Kazakh typed in Latin letters, but not in English posts nor for English words among
 * English words; a proper name, the street of an address, gets no prefixes). Then three
 * passes over the entries that start with those atoms: exclusions (which block tokens for
 * a class), negators, and everything else, each phrase extended word by word within its
 * gap (and its clause). Cost is linear in the tokens of the post; the stemmer runs only on
 * tokens that share a prefix with some lexicon stem. The atoms of a token depend on its text,
 * whether it is a name and (Latin words) whether it is English here, so each thread keeps
 * the atoms of recent tokens: citizens' words repeat, and a hit replaces the lookups by one
 * hash. */
#include "triage/lexicon_impl.h"

#include "common/alloc.h"
#include "triage/lang.h"

#include <libstemmer.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* Atoms collected for one token; a token matching more is a lexicon with many overlapping
 * entries, and the first ones are enough. */
#define LM_MAX_TOKEN_ATOMS 32
/* Longest token stemmed or transliterated, in bytes; a longer "word" is noise. */
#define LM_MAX_WORD 128
/* Widest phrase gap that still asks for words in one clause (the default gap is 2). */
#define LM_CLAUSE_GAP 2
/* How far a negator reaches: "не пахнет газом" (before), "газ иісі жоқ" (after). */
#define LM_NEG_REACH 2
/* Stem cache: slots (a power of two) and the longest word cached, in bytes. 2048 slots of
 * about 100 bytes keep the frequent words of a day's posts at 200 KB per thread. */
#define LM_CACHE_SLOTS 2048
#define LM_CACHE_WORD  46

struct lm_cache_slot {
    uint64_t hash; /* of the word, with the stemmer's identity mixed in; 0 = empty */
    uint8_t wlen, slen;
    char word[LM_CACHE_WORD];
    char stem[LM_CACHE_WORD];
};

/* Token cache: slots (a power of two), the longest token and the most atoms cached. A slot
 * is one cache line; 32768 of them hold a day's frequent words at 2 MB per thread (half
 * as many cost 3 % of the triage rate on make bench's 100,000 posts). */
#define LM_TOKEN_SLOTS 32768
#define LM_TOKEN_WORD  30
#define LM_TOKEN_ATOMS 6

struct lm_token_slot {
    uint64_t hash; /* of the token text, with the name and English flags mixed in; 0 = empty */
    uint8_t wlen, n_atoms;
    char word[LM_TOKEN_WORD];
    uint32_t atoms[LM_TOKEN_ATOMS];
};

_Static_assert(sizeof(struct lm_token_slot) == 64, "a token slot is one cache line");

struct km_lex_stem_cache {
    struct lm_cache_slot slots[LM_CACHE_SLOTS];
    uint64_t generation;          /* of the lexicon the token slots were filled from */
    struct lm_token_slot *tokens; /* LM_TOKEN_SLOTS, allocated when first matching */
};

struct lm_state {
    const struct km_lexicon *lx;
    const struct km_norm_text *nt;
    size_t n; /* tokens considered */
    uint32_t *atoms;
    uint32_t *off; /* atoms of token i: atoms[off[i] .. off[i + 1]) */
    size_t n_atoms, cap_atoms;
    bool atoms_heap; /* atoms was malloc'd (else it is the caller's stack buffer) */
    uint64_t *blocked; /* per token: classes it may not match */
    uint8_t *neg;      /* per token: 1 negates what follows, 2 what precedes */
    int post_lang;
    const bool *name; /* per token: a proper name, no prefix entries (or NULL) */
    struct km_lex_stemmers *st;
    struct km_lex_hit *hits;
    size_t cap_hits, n_hits;
};

static void lm_grow_atoms(struct lm_state *s)
{
    s->cap_atoms *= 2;
    if (s->atoms_heap) {
        s->atoms = km_realloc(s->atoms, s->cap_atoms * sizeof(*s->atoms));
        return;
    }
    uint32_t *a = km_malloc(s->cap_atoms * sizeof(*a));
    memcpy(a, s->atoms, s->n_atoms * sizeof(*a));
    s->atoms = a;
    s->atoms_heap = true;
}

static void lm_add(struct lm_state *s, const uint32_t *v, size_t n, size_t first)
{
    for (size_t k = 0; k < n; k++) {
        bool seen = false;
        for (size_t j = first; j < s->n_atoms && !seen; j++) {
            seen = s->atoms[j] == v[k];
        }
        if (seen || s->n_atoms - first >= LM_MAX_TOKEN_ATOMS) {
            continue;
        }
        if (s->n_atoms == s->cap_atoms) {
            lm_grow_atoms(s);
        }
        s->atoms[s->n_atoms++] = v[k];
    }
}

static void lm_lookup(struct lm_state *s, const struct km_strmap *m, const char *key, size_t len,
                      size_t first)
{
    size_t n = 0;
    const uint32_t *v = km_strmap_get(m, key, len, &n);
    lm_add(s, v, n, first);
}

/* Walks the prefixes of w through the trie m, one step per byte, stopping where the trie
 * ends (after a byte or two for most tokens). Returns true if some prefix that ends at a
 * character boundary is a key; with add, adds the values of every such prefix instead of
 * stopping at the first. */
static bool lm_prefixes(struct lm_state *s, const struct km_trie *m, const char *w, size_t len,
                        bool add, size_t first)
{
    bool any = false;
    uint32_t node = 0;
    for (size_t i = 0; i < len; i++) {
        node = km_trie_step(m, node, (unsigned char)w[i]);
        if (node == 0) {
            break;
        }
        if (i + 1 < len && ((unsigned char)w[i + 1] & 0xC0) == 0x80) {
            continue; /* inside a character */
        }
        size_t n = 0;
        const uint32_t *v = km_trie_values(m, node, &n);
        if (n > 0) {
            if (!add) {
                return true;
            }
            lm_add(s, v, n, first);
            any = true;
        }
    }
    return any;
}

struct km_lex_stem_cache *km_lex_stem_cache_new(void)
{
    return km_calloc(1, sizeof(struct km_lex_stem_cache));
}

void km_lex_stem_cache_free(struct km_lex_stem_cache *c)
{
    if (c != NULL) {
        free(c->tokens);
    }
    free(c);
}

/* Stems w with st through the cache; the result is in the cache slot or the stemmer. */
static const char *lm_stem_word(struct km_lex_stemmers *sts, struct sb_stemmer *st, const char *w,
                                size_t len, size_t *slen)
{
    struct lm_cache_slot *slot = NULL;
    uint64_t h = XXH3_64bits_withSeed(w, len, st == sts->ru ? 1 : 2) | 1;
    if (sts->cache != NULL && len < LM_CACHE_WORD) {
        slot = &sts->cache->slots[h & (LM_CACHE_SLOTS - 1)];
        if (slot->hash == h && slot->wlen == len && memcmp(slot->word, w, len) == 0) {
            *slen = slot->slen;
            return slot->stem;
        }
    }
    const sb_symbol *r = sb_stemmer_stem(st, (const sb_symbol *)w, (int)len);
    if (r == NULL) {
        return NULL;
    }
    *slen = (size_t)sb_stemmer_length(st);
    if (slot != NULL && *slen < LM_CACHE_WORD) {
        slot->hash = h;
        slot->wlen = (uint8_t)len;
        slot->slen = (uint8_t)*slen;
        memcpy(slot->word, w, len);
        memcpy(slot->stem, r, *slen);
    }
    return (const char *)r;
}

static void lm_stem(struct lm_state *s, struct sb_stemmer *st, const struct km_strmap *stems,
                    const char *w, size_t len, size_t first)
{
    size_t slen = 0;
    const char *r = lm_stem_word(s->st, st, w, len, &slen);
    if (r != NULL) {
        lm_lookup(s, stems, r, slen, first);
    }
}

/* One transliteration rule: from (flen bytes) becomes to (tlen bytes). */
struct lm_rule {
    const char *from, *to;
    uint8_t flen, tlen;
};

#define LM_RULE(f, t) {f, t, sizeof(f) - 1, sizeof(t) - 1}

/* Digraphs and Kazakh Latin letters, tried in this order before single letters. */
static const struct lm_rule lm_di[] = {
    LM_RULE("shch", "щ"), LM_RULE("sch", "щ"), LM_RULE("zh", "ж"), LM_RULE("kh", "х"),
    LM_RULE("ch", "ч"),   LM_RULE("sh", "ш"),  LM_RULE("ts", "ц"), LM_RULE("yu", "ю"),
    LM_RULE("ya", "я"),   LM_RULE("yo", "е"),  LM_RULE("ye", "е"), LM_RULE("iu", "ю"),
    LM_RULE("ia", "я"),   LM_RULE("ä", "а"),   LM_RULE("ğ", "г"),  LM_RULE("ı", "ы"),
    LM_RULE("ñ", "н"),    LM_RULE("ń", "н"),   LM_RULE("ö", "о"),  LM_RULE("ş", "ш"),
    LM_RULE("ü", "у"),    LM_RULE("ū", "у"),   LM_RULE("ç", "ч"),
};

/* The first rule of lm_di that matches at w[i..len), or NULL. */
static const struct lm_rule *lm_digraph(const char *w, size_t i, size_t len)
{
    for (size_t k = 0; k < sizeof(lm_di) / sizeof(lm_di[0]); k++) {
        const struct lm_rule *r = &lm_di[k];
        if (r->from[0] == w[i] && r->flen <= len - i && memcmp(w + i, r->from, r->flen) == 0) {
            return r;
        }
    }
    return NULL;
}

static bool lm_latin_vowel(char c)
{
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

/* Latin letter (ASCII or a Kazakh Latin letter) -> Cyrillic, for Russian and Kazakh typed
 * in Latin letters. Digraphs first. Returns bytes written, or 0 if w has another char. */
static size_t lm_translit(const char *w, size_t len, char *out, size_t cap)
{
    static const char *const one[26] = {"а", "б", "ц", "д", "е", "ф",  "г", "х", "и",
                                        "ж", "к", "л", "м", "н", "о",  "п", "к", "р",
                                        "с", "т", "у", "в", "в", "кс", "ы", "з"};
    size_t o = 0, i = 0;
    while (i < len) {
        const struct lm_rule *r = lm_digraph(w, i, len);
        const char *rep = r != NULL ? r->to : NULL;
        size_t used = r != NULL ? r->flen : 0, rlen = r != NULL ? r->tlen : 0;
        if (rep == NULL && w[i] >= 'a' && w[i] <= 'z') {
            bool after_vowel = i > 0 && lm_latin_vowel(w[i - 1]);
            bool before_vowel = i + 1 < len && lm_latin_vowel(w[i + 1]);
            /* i/y after a vowel and not before one is й: "qaida" -> кайда, "novyy" */
            rep = (w[i] == 'i' || w[i] == 'y') && after_vowel && !before_vowel ? "й"
                                                                               : one[w[i] - 'a'];
            used = 1;
            rlen = w[i] == 'x' ? 4 : 2;
        }
        if (rep == NULL || o + rlen >= cap) {
            return 0;
        }
        memcpy(out + o, rep, rlen);
        o += rlen;
        i += used;
    }
    out[o] = '\0';
    return o;
}

static bool lm_is_cyrillic(const char *w)
{
    unsigned char c = (unsigned char)w[0];
    return c >= 0xD0 && c <= 0xD3;
}

/* Russian-side lookups of a Cyrillic word: stem (when a stem may fit). */
static void lm_cyr_stem(struct lm_state *s, const char *w, size_t len, size_t first)
{
    if (len <= LM_MAX_WORD && lm_prefixes(s, s->lx->trig_ru, w, len, false, first)) {
        lm_stem(s, s->st->ru, s->lx->stem_ru, w, len, first);
    }
}

/* Token i is a Latin word. */
static bool lm_is_latin(const struct lm_state *s, size_t i)
{
    char c = s->nt->tokens[i].text[0];
    return c >= 'a' && c <= 'z';
}

/* Latin token i is English here: the post is English, or the token and a Latin neighbour
 * are frequent English words ("it's", "on the"; in "ne znaete do skolki", "do" is
 * Russian). */
static bool lm_english_here(const struct lm_state *s, size_t i)
{
    const struct km_norm_token *t = s->nt->tokens;
    if (s->post_lang == KM_LEX_EN) {
        return true;
    }
    if (!km_lang_english_word(t[i].text, t[i].len)) {
        return false;
    }
    return (i > 0 && lm_is_latin(s, i - 1) && km_lang_english_word(t[i - 1].text, t[i - 1].len)) ||
           (i + 1 < s->n && lm_is_latin(s, i + 1) &&
            km_lang_english_word(t[i + 1].text, t[i + 1].len));
}

/* Latin token t: English stem, then unless it is English here the lookups of its Cyrillic
 * transliteration, prefixes only when it is no proper name. */
static void lm_latin(struct lm_state *s, const struct km_norm_token *t, bool english,
                     size_t first, bool name)
{
    const char *w = t->text;
    size_t len = t->len;
    if (len > LM_MAX_WORD) {
        return;
    }
    if (lm_prefixes(s, s->lx->trig_en, w, len, false, first)) {
        lm_stem(s, s->st->en, s->lx->stem_en, w, len, first);
    }
    if (english) {
        return;
    }
    char cyr[LM_MAX_WORD * 4 + 1];
    size_t clen = lm_translit(w, len, cyr, sizeof(cyr));
    if (clen == 0) {
        return;
    }
    const struct km_lexicon *lx = s->lx;
    lm_lookup(s, lx->exact, cyr, clen, first);
    lm_lookup(s, lx->loose, cyr, clen, first);
    if (!name) {
        lm_prefixes(s, lx->prefix, cyr, clen, true, first);
    }
    lm_cyr_stem(s, cyr, clen, first);
}

/* The lookups of token t, which depend on its text, whether it is a proper name and, for a
 * Latin word, whether it is English here (see lm_english_here()). */
static void lm_token_lookups(struct lm_state *s, const struct km_norm_token *t, bool name,
                             bool english, size_t first)
{
    const struct km_lexicon *lx = s->lx;
    lm_lookup(s, lx->exact, t->text, t->len, first);
    const char *loose = t->loose != NULL ? t->loose : t->text;
    size_t llen = loose == t->text ? t->len : strlen(loose);
    lm_lookup(s, lx->loose, loose, llen, first);
    if (!name) {
        lm_prefixes(s, lx->prefix, t->text, t->len, true, first);
    }
    if (!name && loose != t->text && (llen != t->len || memcmp(loose, t->text, llen) != 0)) {
        lm_prefixes(s, lx->prefix, loose, llen, true, first);
    }
    if (lm_is_cyrillic(t->text)) {
        lm_cyr_stem(s, t->text, t->len, first);
    } else if (t->text[0] >= 'a' && t->text[0] <= 'z') {
        lm_latin(s, t, english, first, name);
    }
}

/* The cache slot of token t (name and english as for lm_token_lookups()) in this thread's
 * cache, emptied when it was filled from another lexicon; NULL when t is too long to cache.
 * *h is its hash. */
static struct lm_token_slot *lm_token_slot(struct lm_state *s, const struct km_norm_token *t,
                                           bool name, bool english, uint64_t *h)
{
    struct km_lex_stem_cache *c = s->st->cache;
    if (c == NULL || t->len >= LM_TOKEN_WORD) {
        return NULL;
    }
    if (c->tokens == NULL) {
        c->tokens = km_calloc(LM_TOKEN_SLOTS, sizeof(*c->tokens));
    } else if (c->generation != s->lx->generation) {
        memset(c->tokens, 0, LM_TOKEN_SLOTS * sizeof(*c->tokens));
    }
    c->generation = s->lx->generation;
    *h = (XXH3_64bits(t->text, t->len) << 3) | 1u | (name ? 2u : 0u) | (english ? 4u : 0u);
    return &c->tokens[(*h >> 3) & (LM_TOKEN_SLOTS - 1)];
}

/* Adds atoms v[0..n), distinct and in the order a token's lookups found them. */
static void lm_add_cached(struct lm_state *s, const uint32_t *v, size_t n)
{
    while (s->cap_atoms - s->n_atoms < n) {
        lm_grow_atoms(s);
    }
    memcpy(s->atoms + s->n_atoms, v, n * sizeof(*v));
    s->n_atoms += n;
}

/* Collects the atoms of token i, from the token cache when it has them. */
static void lm_token(struct lm_state *s, size_t i)
{
    const struct km_norm_token *t = &s->nt->tokens[i];
    size_t first = s->n_atoms;
    s->off[i] = (uint32_t)first;
    bool name = s->name != NULL && s->name[i];
    bool english = lm_is_latin(s, i) && lm_english_here(s, i);
    uint64_t h = 0;
    struct lm_token_slot *slot = lm_token_slot(s, t, name, english, &h);
    if (slot != NULL && slot->hash == h && slot->wlen == t->len &&
        memcmp(slot->word, t->text, t->len) == 0) {
        lm_add_cached(s, slot->atoms, slot->n_atoms);
        return;
    }
    lm_token_lookups(s, t, name, english, first);
    size_t n = s->n_atoms - first;
    if (slot != NULL && n <= LM_TOKEN_ATOMS) {
        slot->hash = h;
        slot->wlen = (uint8_t)t->len;
        slot->n_atoms = (uint8_t)n;
        memcpy(slot->word, t->text, t->len);
        memcpy(slot->atoms, s->atoms + first, n * sizeof(*slot->atoms));
    }
}

static bool lm_has(const struct lm_state *s, size_t tok, uint32_t atom)
{
    for (uint32_t k = s->off[tok]; k < s->off[tok + 1]; k++) {
        if (s->atoms[k] == atom) {
            return true;
        }
    }
    return false;
}

static bool lm_blocked(const struct lm_state *s, size_t tok, const struct km_lex_entry *e)
{
    return e->mode != KM_LEX_NOT && (s->blocked[tok] >> e->cls & 1);
}

/* Matches e with its first word at token i; fills pos[] with the matched tokens. A phrase
 * of words in order (gap <= LM_CLAUSE_GAP) stays within one clause: in "сын в порядке,
 * попил воды" there is no "в воде"; a wider gap= asks for words near each other, which
 * may be in two clauses ("лифт тоқтап қалды, ішінде бала"). */
static bool lm_match_at(const struct lm_state *s, const struct km_lex_entry *e, size_t i,
                        size_t *pos)
{
    if (lm_blocked(s, i, e)) {
        return false;
    }
    pos[0] = i;
    const struct km_norm_token *tok = s->nt->tokens;
    bool in_clause = e->gap <= LM_CLAUSE_GAP;
    for (int k = 1; k < e->n_words; k++) {
        size_t j = pos[k - 1] + 1, end = pos[k - 1] + 2 + (size_t)e->gap;
        while (j < s->n && j < end && !(in_clause && tok[j].clause) &&
               (!lm_has(s, j, e->words[k]) || lm_blocked(s, j, e))) {
            j++;
        }
        if (j >= s->n || j >= end || (in_clause && tok[j].clause)) {
            return false;
        }
        pos[k] = j;
    }
    return true;
}

/* Cues that a negator cancels, and category phrases ("газом не пахнет" is no evidence of
 * a gas smell); single category words are not ("не горит свет" is still about light). */
static bool lm_negatable(const struct km_lex_entry *e)
{
    int cls = e->cls;
    return (cls >= KM_CUE_LIFE && cls <= KM_CUE_DURATION) || cls == KM_CUE_FIXED ||
           (cls < KM_CAT_COUNT && e->n_words > 1);
}

/* True if a negator lies inside the match (not one of its words), or within reach before
 * it, or (Kazakh жоқ, емес) within LM_NEG_REACH after it, in the same clause. */
static bool lm_negated(const struct lm_state *s, const size_t *pos, int n, size_t reach)
{
    size_t a = pos[0], b = pos[n - 1];
    for (size_t j = a, k = 0; j <= b; j++) {
        if (k < (size_t)n && pos[k] == j) {
            k++;
        } else if (s->neg[j]) {
            return true;
        }
    }
    /* Outwards from the match, stopping at a clause break: in "трубку не берет!! помогите"
     * the "не" belongs to the first clause and leaves the call for help standing. */
    const struct km_norm_token *tok = s->nt->tokens;
    for (size_t j = a; j > 0 && a - j < reach && !tok[j].clause; j--) {
        if (s->neg[j - 1] & 1) {
            return true;
        }
    }
    for (size_t j = b + 1; j < s->n && j <= b + LM_NEG_REACH && !tok[j].clause; j++) {
        if (s->neg[j] & 2) {
            return true;
        }
    }
    return false;
}

/* Records a match of entry id found at pos[]. pass 0: exclusions, 1: negators, 2: rest. */
static void lm_found(struct lm_state *s, uint32_t id, const size_t *pos, int pass)
{
    const struct km_lex_entry *e = &s->lx->entries[id];
    size_t a = pos[0], b = pos[e->n_words - 1];
    if (pass == 0) {
        uint64_t mask = e->block_cls < 0 ? ~0ull : 1ull << e->block_cls;
        for (size_t j = a; j <= b; j++) {
            s->blocked[j] |= mask;
        }
        return;
    }
    if (pass == 1) {
        for (size_t j = a; j <= b; j++) {
            s->neg[j] |= (e->flags & KM_LEX_F_AFTER) ? 2 : 1;
        }
    }
    if (s->n_hits < s->cap_hits) {
        struct km_lex_hit *h = &s->hits[s->n_hits];
        h->entry = id;
        h->first = (uint16_t)a;
        h->last = (uint16_t)b;
        /* a category phrase reaches one token back: "не пахнет газом", not "не знаете до ..." */
        size_t reach = e->cls < KM_CAT_COUNT ? 1 : LM_NEG_REACH;
        h->negated = pass == 2 && lm_negatable(e) && lm_negated(s, pos, e->n_words, reach);
    }
    s->n_hits++;
}

/* The pass of entry e for this post (see lm_found), or -1 when it takes part in none. */
static int lm_pass_of(const struct lm_state *s, const struct km_lex_entry *e)
{
    if ((e->flags & KM_LEX_F_STRICT) && s->post_lang != KM_LEX_ANY && s->post_lang != e->lang) {
        return -1;
    }
    if (e->mode == KM_LEX_NOT) {
        return 0;
    }
    return e->cls == KM_CUE_NEGATION ? 1 : 2;
}

/* An entry that may start at token tok, and its pass. */
struct lm_cand {
    uint32_t id;
    uint16_t tok;
    uint8_t pass;
};

#define LM_STACK_CANDS 512

/* Collects the candidates of every pass in one walk over the entries (each entry is read
 * once, not once per pass) into *cands (a heap array when it outgrows buf); returns their
 * count. */
static size_t lm_candidates(const struct lm_state *s, struct lm_cand *buf, struct lm_cand **cands)
{
    size_t n = 0, cap = LM_STACK_CANDS;
    *cands = buf;
    for (size_t i = 0; i < s->n; i++) {
        for (uint32_t k = s->off[i]; k < s->off[i + 1]; k++) {
            const struct lx_starts *st = &s->lx->starts[s->atoms[k]];
            for (uint32_t m = 0; m < st->n; m++) {
                int pass = lm_pass_of(s, &s->lx->entries[st->ids[m]]);
                if (pass < 0) {
                    continue;
                }
                if (n == cap) {
                    struct lm_cand *c = km_malloc(2 * cap * sizeof(*c));
                    memcpy(c, *cands, n * sizeof(*c));
                    if (*cands != buf) {
                        free(*cands);
                    }
                    *cands = c;
                    cap *= 2;
                }
                (*cands)[n++] = (struct lm_cand){st->ids[m], (uint16_t)i, (uint8_t)pass};
            }
        }
    }
    return n;
}

/* Runs pass 0 (exclusions), 1 (negators) and 2 (the rest) over the candidates, in order. */
static void lm_passes(struct lm_state *s)
{
    struct lm_cand buf[LM_STACK_CANDS], *cands = NULL;
    size_t n = lm_candidates(s, buf, &cands);
    size_t pos[KM_LEX_MAX_WORDS];
    for (int pass = 0; pass < 3; pass++) {
        for (size_t c = 0; c < n; c++) {
            const struct km_lex_entry *e = &s->lx->entries[cands[c].id];
            if (cands[c].pass == pass && lm_match_at(s, e, cands[c].tok, pos)) {
                lm_found(s, cands[c].id, pos, pass);
            }
        }
    }
    if (cands != buf) {
        free(cands);
    }
}

/* Per-post arrays on the stack for posts of up to LM_STACK_TOKENS tokens (nearly all). */
#define LM_STACK_TOKENS 128

struct lm_stack {
    uint32_t atoms[LM_STACK_TOKENS * 4];
    uint32_t off[LM_STACK_TOKENS + 1];
    uint64_t blocked[LM_STACK_TOKENS];
    uint8_t neg[LM_STACK_TOKENS];
};

size_t km_lexicon_match(const struct km_lexicon *lx, const struct km_norm_text *nt, int post_lang,
                        struct km_lex_stemmers *st, struct km_lex_hit *hits, size_t cap)
{
    struct km_lex_post post = {.lang = post_lang, .name = NULL};
    return km_lexicon_match_post(lx, nt, &post, st, hits, cap);
}

size_t km_lexicon_match_post(const struct km_lexicon *lx, const struct km_norm_text *nt,
                             const struct km_lex_post *post, struct km_lex_stemmers *st,
                             struct km_lex_hit *hits, size_t cap)
{
    struct lm_state s = {.lx = lx,
                         .nt = nt,
                         .post_lang = post->lang,
                         .name = post->name,
                         .st = st,
                         .hits = hits,
                         .cap_hits = cap};
    s.n = nt->n_tokens < KM_LEX_MAX_TOKENS ? nt->n_tokens : KM_LEX_MAX_TOKENS;
    if (s.n == 0 || lx->n_atoms == 0) {
        return 0;
    }
    struct lm_stack stack;
    bool small = s.n <= LM_STACK_TOKENS;
    s.cap_atoms = small ? sizeof(stack.atoms) / sizeof(stack.atoms[0]) : s.n * 2 + 16;
    s.atoms_heap = !small;
    s.atoms = small ? stack.atoms : km_malloc(s.cap_atoms * sizeof(*s.atoms));
    s.off = small ? stack.off : km_malloc((s.n + 1) * sizeof(*s.off));
    s.blocked = small ? stack.blocked : km_malloc(s.n * sizeof(*s.blocked));
    s.neg = small ? stack.neg : km_malloc(s.n);
    memset(s.blocked, 0, s.n * sizeof(*s.blocked));
    memset(s.neg, 0, s.n);
    for (size_t i = 0; i < s.n; i++) {
        lm_token(&s, i);
    }
    s.off[s.n] = (uint32_t)s.n_atoms;
    lm_passes(&s);
    if (s.atoms_heap) {
        free(s.atoms);
    }
    if (!small) {
        free(s.off);
        free(s.blocked);
        free(s.neg);
    }
    return s.n_hits;
}
