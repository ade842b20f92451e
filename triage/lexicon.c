/* Lexicon loading and compilation (see lexicon.h); the matcher is in lexmatch.c.
 *
 * Every distinct word matcher of the lexicon is an "atom": a surface form, a Snowball stem,
 * a prefix or a Kazakh paradigm. Atoms are registered under their keys in hash maps (exact
 * forms, Kazakh loose keys, ru stems, en stems, prefixes), so that matching a token costs a
 * few hash lookups whatever the size of the lexicon. An entry is a sequence of 1..6 atoms.
 * Stems of lexicon terms are computed here, at load time, with the loader's own stemmers. */
#include "triage/lexicon_impl.h"

#include "common/alloc.h"
#include "triage/kazakh.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libstemmer.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const lx_class_names[KM_CLASS_COUNT] = {
    "snow",         "flooding",  "roads",    "manholes", "transport",     "medical",
    "electricity",  "heating",   "water",    "gas",      "stray_animals", "schools",
    "garbage",      "lighting",  "parking",  "greenery", "public_order",  "elevator",
    "consultation", "gratitude", "other",    "life",     "impact",        "help",
    "vulnerable",   "duration",  "cold",     "question", "thanks",        "fixed",
    "suggestion",   "calm",      "negation",
};

static const char *const lx_mode_names[] = {"word", "stem", "prefix", "phrase",
                                            "not",  "base", "cap"};
static const char *const lx_lang_names[] = {"ru", "kk", "en", "*"};

const char *km_lex_class_name(int cls)
{
    return cls >= 0 && cls < KM_CLASS_COUNT ? lx_class_names[cls] : NULL;
}

int km_lex_class_parse(const char *name)
{
    for (int i = 0; i < KM_CLASS_COUNT; i++) {
        if (strcmp(name, lx_class_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

const char *km_category_name(int category)
{
    return category >= 0 && category < KM_CAT_COUNT ? lx_class_names[category] : "other";
}

int km_lex_stemmers_init(struct km_lex_stemmers *st, struct km_err *err)
{
    st->ru = sb_stemmer_new("russian", NULL);
    st->en = sb_stemmer_new("english", NULL);
    st->cache = km_lex_stem_cache_new();
    if (st->ru == NULL || st->en == NULL) {
        km_lex_stemmers_free(st);
        return km_err_set(err, KM_ERR, "libstemmer has no russian or english stemmer");
    }
    return KM_OK;
}

void km_lex_stemmers_free(struct km_lex_stemmers *st)
{
    if (st->ru != NULL) {
        sb_stemmer_delete(st->ru);
    }
    if (st->en != NULL) {
        sb_stemmer_delete(st->en);
    }
    km_lex_stem_cache_free(st->cache);
    st->ru = st->en = NULL;
    st->cache = NULL;
}

uint64_t km_lexicon_next_generation(void)
{
    static atomic_uint_fast64_t last;
    return (uint64_t)atomic_fetch_add(&last, 1) + 1;
}

struct km_lexicon *km_lexicon_new(void)
{
    struct km_lexicon *lx = km_calloc(1, sizeof(*lx));
    lx->generation = km_lexicon_next_generation();
    lx->exact = km_strmap_new();
    lx->loose = km_strmap_new();
    lx->stem_ru = km_strmap_new();
    lx->stem_en = km_strmap_new();
    lx->prefix = km_trie_new();
    lx->trig_ru = km_trie_new();
    lx->trig_en = km_trie_new();
    lx->atom_ids = km_strmap_new();
    for (int i = 0; i < KM_CLASS_COUNT; i++) {
        lx->base[i] = -1;
        lx->cap[i] = -1;
    }
    return lx;
}

void km_lexicon_free(struct km_lexicon *lx)
{
    if (lx == NULL) {
        return;
    }
    struct km_strmap *maps[] = {lx->exact, lx->loose, lx->stem_ru, lx->stem_en, lx->atom_ids};
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        km_strmap_free(maps[i]);
    }
    km_trie_free(lx->prefix);
    km_trie_free(lx->trig_ru);
    km_trie_free(lx->trig_en);
    for (size_t i = 0; i < lx->n; i++) {
        free((char *)lx->entries[i].term);
        free((char *)lx->entries[i].call);
    }
    for (size_t i = 0; i < lx->n_files; i++) {
        free(lx->files[i]);
    }
    for (uint32_t a = 0; a < lx->n_atoms; a++) {
        free(lx->starts[a].ids);
    }
    free(lx->files);
    free(lx->entries);
    free(lx->starts);
    km_lex_stemmers_free(&lx->st);
    free(lx);
}

size_t km_lexicon_count(const struct km_lexicon *lx)
{
    return lx->n;
}

const struct km_lex_entry *km_lexicon_entry(const struct km_lexicon *lx, size_t i)
{
    return i < lx->n ? &lx->entries[i] : NULL;
}

const struct km_lex_entry *km_lexicon_base(const struct km_lexicon *lx, int cls)
{
    if (cls < 0 || cls >= KM_CLASS_COUNT || lx->base[cls] < 0) {
        return NULL;
    }
    return &lx->entries[lx->base[cls]];
}

int km_lexicon_cap(const struct km_lexicon *lx, int cls)
{
    if (cls < 0 || cls >= KM_CLASS_COUNT || lx->cap[cls] < 0) {
        return -1;
    }
    return lx->entries[lx->cap[cls]].weight;
}

/* ---- atoms ---------------------------------------------------------------------------- */

/* Returns the id of atom (kind, key), creating it when new; *fresh says whether it was. */
static uint32_t lx_atom(struct km_lexicon *lx, char kind, const char *key, bool *fresh)
{
    size_t len = strlen(key);
    char *k = km_malloc(len + 2);
    k[0] = kind;
    memcpy(k + 1, key, len + 1);
    size_t n = 0;
    const uint32_t *v = km_strmap_get(lx->atom_ids, k, len + 1, &n);
    *fresh = n == 0;
    uint32_t id = n > 0 ? v[0] : lx->n_atoms;
    if (n == 0) {
        km_strmap_add(lx->atom_ids, k, len + 1, id);
        if (lx->n_atoms == lx->cap_atoms) {
            lx->cap_atoms = lx->cap_atoms ? lx->cap_atoms * 2 : 256;
            lx->starts = km_realloc(lx->starts, lx->cap_atoms * sizeof(*lx->starts));
        }
        memset(&lx->starts[lx->n_atoms++], 0, sizeof(*lx->starts));
    }
    free(k);
    return id;
}

static void lx_add_key(struct km_strmap *m, const char *key, uint32_t atom)
{
    km_strmap_add(m, key, strlen(key), atom);
}

/* Adds key and its loose Kazakh key to the exact and loose maps. */
static void lx_add_kk_form(struct km_lexicon *lx, const char *form, uint32_t atom)
{
    lx_add_key(lx->exact, form, atom);
    char *loose = km_norm_loose(form);
    lx_add_key(lx->loose, loose, atom);
    free(loose);
}

/* Registers the Kazakh paradigm of root: the root and its generated inflected forms. */
static void lx_add_kk_paradigm(struct km_lexicon *lx, const char *root, unsigned flags,
                               uint32_t atom)
{
    enum km_kazakh_harmony h = (flags & KM_LEX_F_FRONT)  ? KM_KAZAKH_FRONT
                               : (flags & KM_LEX_F_BACK) ? KM_KAZAKH_BACK
                                                         : KM_KAZAKH_AUTO;
    char **forms = NULL;
    size_t n = km_kazakh_forms_harmony(root, h, &forms);
    lx_add_kk_form(lx, root, atom);
    for (size_t i = 0; i < n; i++) {
        lx_add_kk_form(lx, forms[i], atom);
    }
    km_kazakh_forms_free(forms);
}

/* Stem of word with st (a malloc'd string). */
static char *lx_stem(struct sb_stemmer *st, const char *word)
{
    const sb_symbol *s = sb_stemmer_stem(st, (const sb_symbol *)word, (int)strlen(word));
    if (s == NULL) {
        return km_strdup(word); /* out of memory inside libstemmer: match the word itself */
    }
    return km_strndup((const char *)s, (size_t)sb_stemmer_length(st));
}

/* Bytes of the first n characters of s (UTF-8). */
static size_t lx_first_chars(const char *s, size_t n)
{
    size_t i = 0;
    while (s[i] != '\0' && n > 0) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80) {
            i++;
        }
        n--;
    }
    return i;
}

/* A stem atom for ru or en. The trigger is the key prefix a token must start with before
 * it is worth stemming: Russian Snowball only cuts endings, so the whole stem; English
 * Porter2 rewrites endings (happy -> happi), so the first three letters. */
static uint32_t lx_stem_atom(struct km_lexicon *lx, int lang, const char *word)
{
    bool ru = lang == KM_LEX_RU, fresh;
    char *stem = lx_stem(ru ? lx->st.ru : lx->st.en, word);
    uint32_t atom = lx_atom(lx, ru ? 'S' : 'E', stem, &fresh);
    if (fresh) {
        lx_add_key(ru ? lx->stem_ru : lx->stem_en, stem, atom);
        size_t tlen = ru ? strlen(stem) : lx_first_chars(stem, 3);
        km_trie_add(ru ? lx->trig_ru : lx->trig_en, stem, tlen, 0);
    }
    free(stem);
    return atom;
}

/* The atom of one normalised word. how: 'w' surface (kk: paradigm), 's' stem (kk:
 * paradigm), 'p' prefix, '=' exact surface. flags: harmony of a Kazakh paradigm. */
static uint32_t lx_word_atom(struct km_lexicon *lx, int lang, char how, const char *w,
                             unsigned flags)
{
    bool fresh;
    uint32_t atom;
    bool kk = lang == KM_LEX_KK;
    if (how == 'p') {
        atom = lx_atom(lx, kk ? 'R' : 'P', w, &fresh);
        if (fresh) {
            km_trie_add(lx->prefix, w, strlen(w), atom);
            char *loose = kk ? km_norm_loose(w) : NULL;
            if (loose != NULL) {
                km_trie_add(lx->prefix, loose, strlen(loose), atom);
            }
            free(loose);
        }
    } else if (kk && how != '=') {
        char kind = (flags & KM_LEX_F_FRONT) ? 'F' : (flags & KM_LEX_F_BACK) ? 'B' : 'K';
        atom = lx_atom(lx, kind, w, &fresh);
        if (fresh) {
            lx_add_kk_paradigm(lx, w, flags, atom);
        }
    } else if (how == 's') {
        atom = lx_stem_atom(lx, lang, w);
    } else {
        atom = lx_atom(lx, kk ? 'Q' : 'X', w, &fresh);
        if (fresh) {
            if (kk) {
                lx_add_kk_form(lx, w, atom);
            } else {
                lx_add_key(lx->exact, w, atom);
            }
        }
    }
    return atom;
}

/* ---- line parsing --------------------------------------------------------------------- */

#define LX_MAX_FIELDS 16

struct lx_line {
    char *f[LX_MAX_FIELDS];
    int n;
};

/* Splits buf in place into blank-separated fields; "..." is one field. '#' outside quotes
 * starts a comment. Returns NULL or why the line cannot be split. */
static const char *lx_split(char *buf, struct lx_line *l)
{
    char *p = buf;
    l->n = 0;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            p++;
        }
        if (*p == '\0' || *p == '#') {
            return NULL;
        }
        if (l->n == LX_MAX_FIELDS) {
            return "too many fields";
        }
        char *start = p;
        if (*p == '"') {
            start = ++p;
            while (*p != '\0' && *p != '"') {
                p++;
            }
            if (*p != '"') {
                return "unterminated quote";
            }
        } else {
            while (*p != '\0' && !strchr(" \t\r\n#", *p)) {
                p++;
            }
        }
        l->f[l->n++] = start;
        char c = *p;
        if (c == '\0') {
            return NULL;
        }
        *p++ = '\0';
        if (c == '#') {
            return NULL;
        }
    }
}

static int lx_index(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++) {
        if (strcmp(s, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

static bool lx_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        return false;
    }
    *out = (int)v;
    return true;
}

struct lx_ctx {
    struct km_lexicon *lx;
    const char *file;
    int line;
    FILE *report;
    struct km_err *err;
    char why[200];
};

static const char *lx_flag(struct lx_ctx *c, struct km_lex_entry *e, const char *f)
{
    const char *eq = strchr(f, '=');
    size_t klen = eq ? (size_t)(eq - f) : strlen(f);
    static const char *const bare[] = {"winter", "night", "strict", "after",
                                       "front",  "back",  "over"};
    for (int i = 0; i < (int)(sizeof(bare) / sizeof(bare[0])); i++) {
        if (eq == NULL && strcmp(f, bare[i]) == 0) {
            e->flags |= 1u << i;
            return NULL;
        }
    }
    if (eq == NULL) {
        return "unknown flag";
    }
    const char *v = eq + 1;
    if (klen == 4 && strncmp(f, "call", 4) == 0) {
        if (*v == '\0' || strspn(v, "0123456789") != strlen(v) || strlen(v) > 6) {
            return "call= wants an emergency number such as 101";
        }
        free((char *)e->call);
        e->call = km_strdup(v);
        return NULL;
    }
    struct {
        const char *k;
        int *dst;
        long lo, hi;
    } ints[] = {{"winter", &e->winter, -100, 100},
                {"night", &e->night, -100, 100},
                {"below", &e->below, -80, 40},
                {"gap", &e->gap, 0, KM_LEX_MAX_GAP}};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if (strlen(ints[i].k) == klen && strncmp(f, ints[i].k, klen) == 0) {
            snprintf(c->why, sizeof(c->why), "%.*s= wants an integer in %ld..%ld", (int)klen, f,
                     ints[i].lo, ints[i].hi);
            return lx_int(v, ints[i].lo, ints[i].hi, ints[i].dst) ? NULL : c->why;
        }
    }
    return "unknown flag";
}

/* Checks that fields, mode, class and flags fit together. */
static const char *lx_check(const struct km_lex_entry *e, const char *term)
{
    bool meta = e->mode == KM_LEX_BASE || e->mode == KM_LEX_CAP;
    if (meta != (strcmp(term, "-") == 0)) {
        return meta ? "base and cap lines take '-' as TERM" : "TERM '-' only on base/cap lines";
    }
    if (meta != (e->lang == KM_LEX_ANY)) {
        return meta ? "base and cap lines take '*' as LANG" : "LANG '*' only on base/cap lines";
    }
    if (e->block_cls == -1 && e->mode != KM_LEX_NOT) {
        return "CLASS '*' only on not lines";
    }
    if (e->mode == KM_LEX_BASE && e->cls >= KM_CAT_COUNT && e->cls != KM_CUE_COLD) {
        return "base lines are for categories and the cold cue";
    }
    if ((e->mode == KM_LEX_CAP && (e->cls < KM_CAT_COUNT || e->weight < 0)) ||
        (e->cls == KM_CUE_COLD && e->mode != KM_LEX_BASE)) {
        return e->cls == KM_CUE_COLD ? "the cold cue has only a base line"
                                     : "cap lines are for cues, with a weight >= 0";
    }
    if ((e->winter || e->night) && e->mode != KM_LEX_BASE) {
        return "winter=N and night=N go on base lines (use bare winter/night on entries)";
    }
    if (e->call != NULL && e->cls != KM_CUE_LIFE) {
        return "call= goes on life lines";
    }
    if ((e->flags & KM_LEX_F_AFTER) && e->cls != KM_CUE_NEGATION) {
        return "after goes on negation lines";
    }
    if ((e->flags & KM_LEX_F_OVER) && e->cls != KM_CUE_FIXED && e->cls != KM_CUE_CALM) {
        return "over goes on fixed and calm lines";
    }
    if ((e->flags & (KM_LEX_F_FRONT | KM_LEX_F_BACK)) && e->lang != KM_LEX_KK) {
        return "front and back (vowel harmony) go on kk lines";
    }
    if (e->cls == KM_CUE_NEGATION && e->mode == KM_LEX_NOT) {
        return "negation has no not lines";
    }
    return NULL;
}

static void lx_push(struct km_lexicon *lx, const struct km_lex_entry *e)
{
    if (lx->n == lx->cap_entries) {
        lx->cap_entries = lx->cap_entries ? lx->cap_entries * 2 : 256;
        lx->entries = km_realloc(lx->entries, lx->cap_entries * sizeof(*lx->entries));
    }
    if (e->n_words > 0) {
        struct lx_starts *s = &lx->starts[e->words[0]];
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 2;
            s->ids = km_realloc(s->ids, s->cap * sizeof(*s->ids));
        }
        s->ids[s->n++] = (uint32_t)lx->n;
    }
    lx->entries[lx->n++] = *e;
}

/* Compiles the term of e into atoms. Returns NULL or why not. */
static const char *lx_compile_term(struct lx_ctx *c, struct km_lex_entry *e, const char *term)
{
    char *raw = km_strdup(term), *save = NULL, *w;
    const char *why = NULL;
    bool multi = e->mode == KM_LEX_PHRASE || e->mode == KM_LEX_NOT;
    for (w = strtok_r(raw, " \t", &save); w != NULL && why == NULL;
         w = strtok_r(NULL, " \t", &save)) {
        char how = e->mode == KM_LEX_WORD ? 'w' : e->mode == KM_LEX_PREFIX ? 'p' : 's';
        size_t len = strlen(w);
        if (multi && w[0] == '=') {
            how = '=';
            w++;
        } else if ((multi || e->mode == KM_LEX_PREFIX) && len > 1 && w[len - 1] == '*') {
            how = 'p';
            w[len - 1] = '\0';
        }
        char *norm = km_norm_phrase(w);
        if (!multi && e->n_words > 0) {
            why = "several words in TERM: use phrase";
        } else if (*norm == '\0') {
            why = "a word of TERM has no letters or digits";
        } else if (strchr(norm, ' ') != NULL) {
            snprintf(c->why, sizeof(c->why), "'%s' normalises to several words ('%s'): %s", w, norm,
                     multi ? "write them apart" : "use phrase");
            why = c->why;
        } else if (e->n_words == KM_LEX_MAX_WORDS) {
            why = "more than 6 words in a phrase";
        } else if (how == 'p' && (lx_first_chars(norm, 2) == strlen(norm) || strlen(norm) > 62)) {
            why = "a prefix needs 3 to 62 bytes and at least 3 letters";
        } else {
            e->words[e->n_words++] = lx_word_atom(c->lx, e->lang, how, norm, e->flags);
        }
        free(norm);
    }
    if (why == NULL && e->n_words == 0) {
        why = "empty TERM";
    }
    free(raw);
    return why;
}

/* Fills e from the split fields. Returns NULL or why the line is bad. */
static const char *lx_parse_fields(struct lx_ctx *c, struct lx_line *l, struct km_lex_entry *e)
{
    if (l->n < 5) {
        return "want CLASS LANG MODE WEIGHT TERM [FLAG...]";
    }
    e->block_cls = strcmp(l->f[0], "*") == 0 ? -1 : km_lex_class_parse(l->f[0]);
    int lang = lx_index(l->f[1], lx_lang_names, 4);
    int mode = lx_index(l->f[2], lx_mode_names, 7);
    if (e->block_cls == -1 && strcmp(l->f[0], "*") != 0) {
        snprintf(c->why, sizeof(c->why), "unknown class '%s'", l->f[0]);
        return c->why;
    }
    if (lang < 0 || mode < 0) {
        return lang < 0 ? "LANG must be ru, kk, en or *"
                        : "MODE must be word, stem, prefix, phrase, not, base or cap";
    }
    e->cls = (uint8_t)(e->block_cls < 0 ? KM_CLASS_COUNT : e->block_cls); /* any class */
    e->lang = (uint8_t)lang;
    e->mode = (uint8_t)mode;
    e->gap = 2;
    if (!lx_int(l->f[3], -100, 100, &e->weight)) {
        return "WEIGHT must be an integer in -100..100";
    }
    for (int i = 5; i < l->n; i++) {
        const char *why = lx_flag(c, e, l->f[i]);
        if (why != NULL) {
            if (why != c->why) {
                snprintf(c->why, sizeof(c->why), "'%s': %s", l->f[i], why);
            }
            return c->why;
        }
    }
    return lx_check(e, l->f[4]);
}

/* Records a base or cap line; a second one for a class is an error. */
static const char *lx_add_meta(struct lx_ctx *c, const struct km_lex_entry *e)
{
    int *slot = e->mode == KM_LEX_BASE ? &c->lx->base[e->cls] : &c->lx->cap[e->cls];
    if (*slot >= 0) {
        const struct km_lex_entry *prev = &c->lx->entries[*slot];
        snprintf(c->why, sizeof(c->why), "second %s line for %s (first at %s:%d)",
                 lx_mode_names[e->mode], lx_class_names[e->cls], prev->file, prev->line);
        return c->why;
    }
    *slot = (int)c->lx->n;
    lx_push(c->lx, e);
    return NULL;
}

static const char *lx_file_name(struct km_lexicon *lx, const char *file)
{
    for (size_t i = 0; i < lx->n_files; i++) {
        if (strcmp(lx->files[i], file) == 0) {
            return lx->files[i];
        }
    }
    lx->files = km_realloc(lx->files, (lx->n_files + 1) * sizeof(*lx->files));
    lx->files[lx->n_files] = km_strdup(file);
    return lx->files[lx->n_files++];
}

static const char *lx_add_entry(struct lx_ctx *c, char *buf)
{
    struct lx_line l;
    const char *why = lx_split(buf, &l);
    if (why != NULL || l.n == 0) {
        return why;
    }
    struct km_lex_entry e = {.line = c->line, .file = lx_file_name(c->lx, c->file)};
    why = lx_parse_fields(c, &l, &e);
    if (why == NULL && (e.mode == KM_LEX_BASE || e.mode == KM_LEX_CAP)) {
        why = lx_add_meta(c, &e);
        if (why == NULL) {
            e.call = NULL; /* ownership moved into the pushed entry */
        }
    } else if (why == NULL) {
        if (c->lx->st.ru == NULL && km_lex_stemmers_init(&c->lx->st, c->err) != KM_OK) {
            why = "libstemmer has no russian or english stemmer";
        } else if ((why = lx_compile_term(c, &e, l.f[4])) == NULL) {
            e.term = km_strdup(l.f[4]);
            lx_push(c->lx, &e);
            e.call = NULL;
        }
    }
    free((char *)e.call);
    return why;
}

int km_lexicon_add_line(struct km_lexicon *lx, const char *line, const char *file, int lineno,
                        FILE *report, struct km_err *err)
{
    struct lx_ctx c = {.lx = lx, .file = file, .line = lineno, .report = report, .err = err};
    size_t len = strlen(line);
    lx->generation = km_lexicon_next_generation(); /* what a token matches may change */
    const char *why = NULL;
    if (len > KM_LEX_MAX_LINE) {
        why = "line longer than 1024 bytes";
    } else {
        char *buf = km_strdup(line);
        why = lx_add_entry(&c, buf);
        free(buf);
    }
    if (why == NULL) {
        return KM_OK;
    }
    if (report != NULL) {
        fprintf(report, "%s:%d: %s\n", file, lineno, why);
    }
    return km_err_set(err, KM_EINPUT, "%s:%d: %s", file, lineno, why);
}

int km_lexicon_load_file(struct km_lexicon *lx, const char *path, FILE *report, struct km_err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return km_err_set(err, KM_ERR, "%s: cannot open: %s", path, strerror(errno));
    }
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, bad = 0;
    struct km_err first = {{0}}, tmp;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        if (km_lexicon_add_line(lx, line, path, lineno, report, &tmp) != KM_OK && bad++ == 0) {
            first = tmp;
        }
    }
    int rc = ferror(f) ? KM_ERR : bad > 0 ? KM_EINPUT : KM_OK;
    fclose(f);
    free(line);
    if (rc == KM_ERR) {
        return km_err_set(err, KM_ERR, "%s: read error", path);
    }
    if (bad > 0) {
        km_err_set(err, KM_EINPUT, "%s%s", first.msg, bad > 1 ? " (and more)" : "");
    }
    return rc;
}

static int lx_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the "*.lex" files of dir, sorted (malloc'd array of malloc'd strings). */
static int lx_list_dir(const char *dir, char ***names, size_t *n, struct km_err *err)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return km_err_set(err, KM_ERR, "%s: cannot open lexicon directory: %s", dir,
                          strerror(errno));
    }
    struct dirent *de;
    size_t cap = 0;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".lex") != 0) {
            continue;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *names = km_realloc(*names, cap * sizeof(**names));
        }
        (*names)[(*n)++] = km_asprintf("%s/%s", dir, de->d_name);
    }
    closedir(d);
    if (*n > 0) {
        qsort(*names, *n, sizeof(**names), lx_cmp_str);
    }
    return KM_OK;
}

int km_lexicon_load_dir(const char *dir, FILE *report, struct km_lexicon **out, struct km_err *err)
{
    char **names = NULL;
    size_t n = 0;
    struct km_lexicon *lx = km_lexicon_new();
    struct km_err first = {{0}}, tmp;
    int rc = lx_list_dir(dir, &names, &n, err);
    if (rc == KM_OK && n == 0) {
        rc = km_err_set(err, KM_EINPUT, "%s: no .lex files", dir);
    }
    for (size_t i = 0; rc != KM_ERR && i < n; i++) {
        int frc = km_lexicon_load_file(lx, names[i], report, &tmp);
        if (frc != KM_OK && (rc == KM_OK || frc == KM_ERR)) {
            first = tmp;
            rc = frc;
        }
    }
    if (rc != KM_OK && first.msg[0] != '\0') {
        *err = first;
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    free(names);
    if (rc != KM_OK) {
        km_lexicon_free(lx);
        lx = NULL;
    }
    *out = lx;
    return rc;
}
