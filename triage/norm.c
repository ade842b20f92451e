/* Text normalisation for matching and deduplication (see norm.h).
 *
 * One pass over the original bytes: invalid UTF-8 decodes as U+FFFD one byte at a time
 * (so byte ranges stay exact for the original text), URLs, @mentions and an "RT @" prefix
 * are skipped at word starts, '#' starts a hashtag token. Letters and digits are collected
 * per token as code points (ASCII and Cyrillic on a fast path, everything else through
 * utf8proc's NFKD + case fold, recomposed per token), then marks are dropped, ё→е, Latin
 * homoglyphs inside Cyrillic words become Cyrillic, and the token is encoded into one
 * growing storage buffer. Pointers into it are set once at the end. */
#include "triage/norm.h"

#include "common/alloc.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Longest token in code points; a longer run of letters (no real word) is split so that a
 * fixed buffer suffices. NM_SLACK leaves room for one decomposition (at most 18 code
 * points in Unicode 15). */
#define NM_MAX_CPS 256
#define NM_SLACK   32

/* Marks a token whose loose key follows its text in storage, until pointers are fixed. */
static const char nm_has_loose[] = "";

struct nm_state {
    const unsigned char *src;
    size_t len;
    struct km_norm_text *t;
    char *st; /* storage being built */
    size_t st_len, st_cap;
    size_t cap_tokens;
    int32_t cps[NM_MAX_CPS + NM_SLACK];
    size_t ncps;
    bool compose; /* the token needs canonical composition */
    bool in_tag;  /* the current run follows a '#' */
    bool at_word; /* the previous code point separated words */
    bool clause;  /* a clause break was seen since the last token */
    size_t start, end;
};

/* Decodes one code point at i; an invalid sequence is U+FFFD over one byte. */
static size_t nm_decode(struct nm_state *s, size_t i, int32_t *cp)
{
    if (s->src[i] < 0x80) {
        *cp = s->src[i];
        if (*cp == 0) {
            s->t->repaired = true;
        }
        return 1;
    }
    if (s->src[i] >= 0xC2 && s->src[i] <= 0xDF && i + 1 < s->len &&
        (s->src[i + 1] & 0xC0) == 0x80) {
        /* a valid two-byte sequence (Cyrillic, Latin-1): what utf8proc_iterate returns */
        *cp = ((int32_t)(s->src[i] & 0x1F) << 6) | (s->src[i + 1] & 0x3F);
        return 2;
    }
    utf8proc_ssize_t n = utf8proc_iterate(s->src + i, (utf8proc_ssize_t)(s->len - i), cp);
    if (n < 1) {
        s->t->repaired = true;
        *cp = 0xFFFD;
        return 1;
    }
    return (size_t)n;
}

static bool nm_is_space(int32_t cp)
{
    if (cp <= 0x20) {
        return true;
    }
    if (cp < 0x80) {
        return false;
    }
    utf8proc_category_t c = utf8proc_category(cp);
    return c == UTF8PROC_CATEGORY_ZS || c == UTF8PROC_CATEGORY_ZL || c == UTF8PROC_CATEGORY_ZP;
}

static bool nm_ascii_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool nm_prefix_ci(const struct nm_state *s, size_t i, const char *p)
{
    size_t n = strlen(p);
    if (s->len - i < n) {
        return false;
    }
    for (size_t k = 0; k < n; k++) {
        unsigned char c = s->src[i + k];
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c + 32);
        }
        if (c != (unsigned char)p[k]) {
            return false;
        }
    }
    return true;
}

/* Skips to the next white space (the end of a URL). */
static size_t nm_skip_to_space(struct nm_state *s, size_t i)
{
    while (i < s->len) {
        int32_t cp;
        size_t n = nm_decode(s, i, &cp);
        if (nm_is_space(cp)) {
            break;
        }
        i += n;
    }
    return i;
}

/* Top-level domains that make "name.tld" a link even without a scheme. */
static bool nm_is_tld(const unsigned char *p, size_t n)
{
    static const char *const tlds[] = {"com", "org",  "net", "kz",  "ru",   "me",     "io",
                                       "ly",  "info", "gov", "edu", "su",   "uz",     "kg",
                                       "ua",  "by",   "co",  "app", "site", "online", "shop",
                                       "biz", "tv",   "gl",  "gg",  "to"};
    for (size_t k = 0; k < sizeof(tlds) / sizeof(tlds[0]); k++) {
        if (strlen(tlds[k]) == n && memcmp(tlds[k], p, n) == 0) {
            return true;
        }
    }
    return false;
}

/* A bare domain at i ("bit.ly/x", "astana.gov.kz"): returns the end of the link, or i. */
static size_t nm_bare_domain(struct nm_state *s, size_t i)
{
    size_t j = i, last_dot = 0;
    while (j < s->len && (nm_ascii_alnum(s->src[j]) || s->src[j] == '-' ||
                          (s->src[j] == '.' && j + 1 < s->len && nm_ascii_alnum(s->src[j + 1])))) {
        if (s->src[j] == '.') {
            last_dot = j;
        }
        j++;
    }
    if (last_dot == 0) {
        return i;
    }
    unsigned char tld[8];
    size_t n = j - last_dot - 1;
    if (n < 2 || n > sizeof(tld)) {
        return i;
    }
    for (size_t k = 0; k < n; k++) {
        unsigned char c = s->src[last_dot + 1 + k];
        tld[k] = (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
    }
    if (!nm_is_tld(tld, n)) {
        return i;
    }
    return (j < s->len && s->src[j] == '/') ? nm_skip_to_space(s, j) : j;
}

/* An @mention: '@' and the name (letters, digits, '_', inner '.', '-', '@' of a fediverse
 * address). Returns its end. */
static size_t nm_skip_mention(const struct nm_state *s, size_t i)
{
    i++;
    while (i < s->len) {
        unsigned char c = s->src[i];
        bool inner = (c == '.' || c == '-' || c == '@') && i + 1 < s->len &&
                     (nm_ascii_alnum(s->src[i + 1]) || s->src[i + 1] == '_');
        if (!nm_ascii_alnum(c) && c != '_' && !inner) {
            break;
        }
        i++;
    }
    return i;
}

/* At a word start: the end of a URL, mention or "RT @" prefix at i, or i if none. */
static size_t nm_skip_noise(struct nm_state *s, size_t i)
{
    unsigned char c = s->src[i];
    if (c == '@' && i + 1 < s->len && (nm_ascii_alnum(s->src[i + 1]) || s->src[i + 1] == '_')) {
        return nm_skip_mention(s, i);
    }
    if (!nm_ascii_alnum(c)) {
        return i;
    }
    c |= 0x20;
    if ((c == 'h' && (nm_prefix_ci(s, i, "http://") || nm_prefix_ci(s, i, "https://"))) ||
        (c == 'w' && nm_prefix_ci(s, i, "www.")) || (c == 't' && nm_prefix_ci(s, i, "t.me/"))) {
        return nm_skip_to_space(s, i);
    }
    if (i == 0 && c == 'r' && nm_prefix_ci(s, i, "rt @")) {
        return nm_skip_mention(s, 3);
    }
    return nm_bare_domain(s, i);
}

static bool nm_is_latin(int32_t cp)
{
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0x24F) ||
           (cp >= 0x1E00 && cp <= 0x1EFF);
}

static bool nm_is_cyrillic(int32_t cp)
{
    return cp >= 0x400 && cp <= 0x52F;
}

static bool nm_is_kazakh(int32_t cp)
{
    switch (cp) {
    case 0x4D9: /* ә */
    case 0x493: /* ғ */
    case 0x49B: /* қ */
    case 0x4A3: /* ң */
    case 0x4E9: /* ө */
    case 0x4B1: /* ұ */
    case 0x4AF: /* ү */
    case 0x4BB: /* һ */
    case 0x456: /* і */
        return true;
    default:
        return false;
    }
}

/* The Cyrillic look-alike of a lower-case Latin letter, or 0. */
static int32_t nm_homoglyph(int32_t cp)
{
    static const int32_t map['z' - 'a' + 1] = {
        ['a' - 'a'] = 0x430, ['b' - 'a'] = 0x432, ['c' - 'a'] = 0x441, ['e' - 'a'] = 0x435,
        ['h' - 'a'] = 0x43D, ['i' - 'a'] = 0x456, ['k' - 'a'] = 0x43A, ['m' - 'a'] = 0x43C,
        ['o' - 'a'] = 0x43E, ['p' - 'a'] = 0x440, ['t' - 'a'] = 0x442, ['x' - 'a'] = 0x445,
        ['y' - 'a'] = 0x443,
    };
    if (cp >= 'a' && cp <= 'z') {
        return map[cp - 'a'];
    }
    return cp == 0xEB ? 0x435 : 0; /* ë: ё, which folds to е */
}

static int32_t nm_loose_cp(int32_t cp)
{
    switch (cp) {
    case 0x4D9:
        return 0x430; /* ә→а */
    case 0x493:
        return 0x433; /* ғ→г */
    case 0x49B:
        return 0x43A; /* қ→к */
    case 0x4A3:
        return 0x43D; /* ң→н */
    case 0x4E9:
        return 0x43E; /* ө→о */
    case 0x4B1: /* ұ→у */
    case 0x4AF: /* ү→у */
        return 0x443;
    case 0x4BB:
        return 0x445; /* һ→х */
    case 0x456:
        return 0x438; /* і→и */
    default:
        return cp;
    }
}

static bool nm_is_word_cat(utf8proc_category_t c)
{
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) || c == UTF8PROC_CATEGORY_ND;
}

static bool nm_is_mark_cat(utf8proc_category_t c)
{
    return c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME;
}

static void nm_reserve(struct nm_state *s, size_t n)
{
    if (s->st_cap - s->st_len >= n) {
        return;
    }
    while (s->st_cap - s->st_len < n) {
        s->st_cap *= 2;
    }
    s->st = km_realloc(s->st, s->st_cap);
}

/* Letter counts of one token. */
struct nm_counts {
    unsigned letters, cyr, lat, lat_glyph;
};

/* Drops marks left after composition, maps ё→е, counts letters by script. Returns the new
 * number of code points. */
static size_t nm_clean_cps(int32_t *cps, size_t n, struct nm_counts *c)
{
    size_t k = 0;
    for (size_t j = 0; j < n; j++) {
        int32_t cp = cps[j];
        bool digit;
        if (cp < 0x80) {
            digit = cp <= '9';
        } else if (cp >= 0x400 && cp <= 0x4FF && (cp < 0x483 || cp > 0x489)) {
            digit = false; /* the rest of the Cyrillic block are letters */
        } else {
            utf8proc_category_t cat = utf8proc_category(cp);
            if (nm_is_mark_cat(cat)) {
                continue;
            }
            digit = cat == UTF8PROC_CATEGORY_ND;
        }
        if (cp == 0x451) {
            cp = 0x435;
        }
        if (!digit) {
            c->letters++;
            if (nm_is_cyrillic(cp)) {
                c->cyr++;
            } else if (nm_is_latin(cp)) {
                c->lat++;
                c->lat_glyph += cp < 0x100 && nm_homoglyph(cp) != 0;
            }
        }
        cps[k++] = cp;
    }
    return k;
}

/* Encodes cps[0..n) into storage, folded with fold when given; NUL-terminated. */
static void nm_encode(struct nm_state *s, const int32_t *cps, size_t n, int32_t (*fold)(int32_t))
{
    nm_reserve(s, 4 * n + 1);
    unsigned char *o = (unsigned char *)s->st + s->st_len;
    for (size_t j = 0; j < n; j++) {
        int32_t cp = fold != NULL ? fold(cps[j]) : cps[j];
        if (cp < 0x80) {
            *o++ = (unsigned char)cp;
        } else if (cp < 0x800) {
            *o++ = (unsigned char)(0xC0 | (cp >> 6));
            *o++ = (unsigned char)(0x80 | (cp & 0x3F));
        } else {
            o += utf8proc_encode_char(cp, o);
        }
    }
    s->st_len = (size_t)((char *)o - s->st);
    s->st[s->st_len++] = '\0';
}

/* Appends the next token, its text of len bytes just encoded into storage. */
static struct km_norm_token *nm_add_token(struct nm_state *s, size_t len)
{
    struct km_norm_text *t = s->t;
    if (t->n_tokens == s->cap_tokens) {
        s->cap_tokens *= 2;
        t->tokens = km_realloc(t->tokens, s->cap_tokens * sizeof(*t->tokens));
    }
    struct km_norm_token *tok = &t->tokens[t->n_tokens++];
    *tok = (struct km_norm_token){
        .len = len,
        .start = s->start,
        .end = s->end,
        .hashtag = s->in_tag,
        .clause = s->clause && t->n_tokens > 1};
    s->clause = false;
    return tok;
}

/* Adds the letter counts of a token to the text's (hashtags are not counted). */
static void nm_count(struct nm_state *s, unsigned letters, unsigned cyr, unsigned lat,
                     unsigned kazakh)
{
    if (!s->in_tag) {
        s->t->n_letters += letters;
        s->t->cyrillic += cyr;
        s->t->latin += lat;
        s->t->kazakh_letters += kazakh;
    }
}

static void nm_emit(struct nm_state *s, int32_t *cps, size_t n, const struct nm_counts *c)
{
    bool map = c->cyr > 0 && c->lat > 0 && (c->lat == c->lat_glyph || c->cyr > c->lat);
    unsigned kazakh = 0;
    for (size_t j = 0; j < n; j++) {
        int32_t g = map && cps[j] < 0x100 ? nm_homoglyph(cps[j]) : 0;
        if (g != 0) {
            cps[j] = g;
        }
        kazakh += cps[j] >= 0x456 && nm_is_kazakh(cps[j]);
    }
    size_t off = s->st_len;
    nm_encode(s, cps, n, NULL);
    struct km_norm_token *tok = nm_add_token(s, s->st_len - off - 1);
    if (kazakh > 0) {
        tok->loose = nm_has_loose;
        nm_encode(s, cps, n, nm_loose_cp);
    }
    unsigned glyphs = map ? c->lat_glyph : 0;
    nm_count(s, c->letters, c->cyr + glyphs, c->lat - glyphs, kazakh);
}

/* The commonest tokens in one pass: ASCII letters and digits only, or Russian letters а..я
 * only (no ё, no Kazakh letter), needing no composition. Counts and encodes them as
 * nm_clean_cps() and nm_emit() would; returns false, doing nothing, for any other token. */
static bool nm_emit_simple(struct nm_state *s, const int32_t *cps, size_t n)
{
    bool ascii = cps[0] < 0x80;
    unsigned letters = 0;
    for (size_t j = 0; j < n; j++) {
        int32_t cp = cps[j];
        if (ascii ? cp >= 0x80 : (cp < 0x430 || cp > 0x44F)) {
            return false;
        }
        letters += ascii && cp > '9';
    }
    nm_reserve(s, 2 * n + 1);
    unsigned char *o = (unsigned char *)s->st + s->st_len;
    for (size_t j = 0; j < n; j++) {
        if (ascii) {
            *o++ = (unsigned char)cps[j];
        } else {
            *o++ = (unsigned char)(0xC0 | (cps[j] >> 6));
            *o++ = (unsigned char)(0x80 | (cps[j] & 0x3F));
        }
    }
    size_t len = (size_t)((char *)o - (s->st + s->st_len));
    s->st_len += len;
    s->st[s->st_len++] = '\0';
    nm_add_token(s, len);
    if (ascii) {
        nm_count(s, letters, 0, letters, 0);
    } else {
        nm_count(s, (unsigned)n, (unsigned)n, 0, 0); /* one script: no homoglyph mapped */
    }
    return true;
}

/* Ends the current token, if any. */
static void nm_flush(struct nm_state *s)
{
    size_t n = s->ncps;
    if (n == 0) {
        return;
    }
    s->ncps = 0;
    if (!s->compose && nm_emit_simple(s, s->cps, n)) {
        return;
    }
    if (s->compose) {
        s->compose = false;
        utf8proc_ssize_t r = utf8proc_normalize_utf32(s->cps, (utf8proc_ssize_t)n,
                                                      UTF8PROC_COMPOSE | UTF8PROC_STABLE);
        if (r >= 0) {
            n = (size_t)r;
        }
    }
    struct nm_counts c = {0};
    n = nm_clean_cps(s->cps, n, &c);
    if (n > 0) {
        nm_emit(s, s->cps, n, &c);
    }
}

/* Adds one code point of a word at byte range [i, i + n). Marks never start a token;
 * compose says the token needs canonical composition. */
static void nm_add(struct nm_state *s, int32_t cp, bool mark, bool compose, size_t i, size_t n)
{
    if (s->ncps == 0) {
        if (mark) {
            return;
        }
        s->start = i;
    }
    s->cps[s->ncps++] = cp;
    s->end = i + n;
    s->compose = s->compose || mark || compose;
    s->at_word = false;
}

/* A character between words: ends the token and, unless it is '_' in a hashtag, the tag. */
static void nm_separator(struct nm_state *s, int32_t cp)
{
    nm_flush(s);
    if (!(cp == '_' && s->in_tag)) {
        s->in_tag = false;
    }
    s->at_word = true;
}

static void nm_ascii(struct nm_state *s, int32_t cp, size_t i)
{
    if (cp >= 'A' && cp <= 'Z') {
        nm_add(s, cp + 32, false, false, i, 1);
    } else if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9')) {
        nm_add(s, cp, false, false, i, 1);
    } else if (cp == '#') {
        nm_flush(s);
        s->in_tag = true;
        s->at_word = false;
    } else if (cp == '!' || cp == '?' || cp == ';' || cp == ',' || cp == '\n' ||
               (cp == '.' && (i + 1 >= s->len || s->src[i + 1] == ' ' || s->src[i + 1] == '\n'))) {
        nm_separator(s, cp);
        s->clause = true;
    } else {
        nm_separator(s, cp);
    }
}

/* Any other code point: compatibility decomposition and case fold, then each resulting code
 * point is a letter or digit, a mark, or a separator. */
static void nm_other(struct nm_state *s, int32_t cp, size_t i, size_t n)
{
    if (cp >= 0x400 && cp <= 0x45F) {
        /* Russian and Ukrainian letters: upper case is 0x400-0x42F */
        nm_add(s, cp < 0x410 ? cp + 0x50 : (cp < 0x430 ? cp + 0x20 : cp), false, false, i, n);
        return;
    }
    utf8proc_category_t cat = utf8proc_category(cp);
    if (cat == UTF8PROC_CATEGORY_CF) {
        return; /* ZWJ, ZWNJ, soft hyphen, zero-width space: invisible inside words */
    }
    if (cp >= 0x460 && cp <= 0x4FF) {
        if (nm_is_word_cat(cat) || nm_is_mark_cat(cat)) {
            nm_add(s, utf8proc_tolower(cp), nm_is_mark_cat(cat), false, i, n);
        } else {
            nm_separator(s, cp);
        }
        return;
    }
    int32_t out[NM_SLACK];
    int last = 0;
    utf8proc_ssize_t r = utf8proc_decompose_char(
        cp, out, NM_SLACK, UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD, &last);
    if (r < 1 || r > NM_SLACK) {
        nm_separator(s, cp);
        return;
    }
    for (utf8proc_ssize_t k = 0; k < r; k++) {
        utf8proc_category_t c = utf8proc_category(out[k]);
        if (nm_is_word_cat(c) || nm_is_mark_cat(c)) {
            nm_add(s, out[k], nm_is_mark_cat(c), r > 1, i, n);
        } else {
            nm_separator(s, out[k]);
        }
    }
}

static void nm_scan(struct nm_state *s)
{
    size_t i = 0;
    while (i < s->len) {
        if (s->at_word && s->ncps == 0) {
            size_t j = nm_skip_noise(s, i);
            if (j != i) {
                i = j;
                continue;
            }
        }
        int32_t cp;
        size_t n = 1;
        unsigned char b = s->src[i];
        if (b >= 'a' && b <= 'z' && s->ncps > 0 && s->ncps < NM_MAX_CPS - 1) {
            nm_add(s, b, false, false, i, 1); /* inside a word: the commonest byte */
            i++;
            continue;
        }
        if (b >= 0xD0 && b <= 0xD1 && i + 1 < s->len && (s->src[i + 1] & 0xC0) == 0x80) {
            cp = ((int32_t)(b & 0x1F) << 6) | (s->src[i + 1] & 0x3F); /* Russian letters */
            n = 2;
        } else {
            n = nm_decode(s, i, &cp);
        }
        if (cp < 0x80) {
            nm_ascii(s, cp, i);
        } else {
            nm_other(s, cp, i, n);
        }
        if (s->ncps >= NM_MAX_CPS) {
            nm_flush(s);
        }
        i += n;
    }
    nm_flush(s);
}

/* Sets token pointers into the final storage and writes the joined text after them. */
static void nm_finish(struct nm_state *s)
{
    struct km_norm_text *t = s->t;
    size_t total = 1;
    for (size_t k = 0; k < t->n_tokens; k++) {
        total += t->tokens[k].hashtag ? 0 : t->tokens[k].len + 1;
    }
    nm_reserve(s, total);
    char *p = s->st;
    for (size_t k = 0; k < t->n_tokens; k++) {
        struct km_norm_token *tok = &t->tokens[k];
        tok->text = p;
        p += tok->len + 1;
        if (tok->loose == nm_has_loose) {
            tok->loose = p;
            p += tok->len + 1; /* folding keeps the byte length: 2-byte letters to 2-byte */
        } else {
            tok->loose = tok->text;
        }
    }
    char *out = s->st + s->st_len;
    t->text = out;
    for (size_t k = 0; k < t->n_tokens; k++) {
        if (!t->tokens[k].hashtag) {
            if (out != t->text) {
                *out++ = ' ';
            }
            memcpy(out, t->tokens[k].text, t->tokens[k].len);
            out += t->tokens[k].len;
        }
    }
    *out++ = '\0';
    s->st_len = (size_t)(out - s->st);
    t->storage = s->st;
}

struct km_norm_text *km_norm(const char *text, size_t len)
{
    struct km_norm_text *t = km_calloc(1, sizeof(*t));
    if (text == NULL) {
        len = 0;
    }
    struct nm_state s = {.src = (const unsigned char *)text,
                         .len = len,
                         .t = t,
                         .st_cap = 2 * len + 64,
                         .cap_tokens = len / 6 + 8,
                         .at_word = true};
    s.st = km_malloc(s.st_cap);
    t->tokens = km_malloc(s.cap_tokens * sizeof(*t->tokens));
    nm_scan(&s);
    nm_finish(&s);
    return t;
}

void km_norm_free(struct km_norm_text *t)
{
    if (t == NULL) {
        return;
    }
    free(t->tokens);
    free(t->storage);
    free(t);
}

char *km_norm_phrase(const char *phrase)
{
    struct km_norm_text *t = km_norm(phrase, phrase != NULL ? strlen(phrase) : 0);
    size_t total = 1;
    for (size_t k = 0; k < t->n_tokens; k++) {
        total += t->tokens[k].len + 1;
    }
    char *out = km_malloc(total), *p = out;
    for (size_t k = 0; k < t->n_tokens; k++) {
        if (p != out) {
            *p++ = ' ';
        }
        memcpy(p, t->tokens[k].text, t->tokens[k].len);
        p += t->tokens[k].len;
    }
    *p = '\0';
    km_norm_free(t);
    return out;
}

char *km_norm_loose(const char *word)
{
    size_t len = word != NULL ? strlen(word) : 0;
    char *out = km_malloc(len + 1);
    size_t i = 0, o = 0;
    while (i < len) {
        int32_t cp;
        utf8proc_ssize_t n =
            utf8proc_iterate((const utf8proc_uint8_t *)word + i, (utf8proc_ssize_t)(len - i), &cp);
        if (n < 1) {
            out[o++] = word[i++]; /* not normalised input: copied as is */
            continue;
        }
        int32_t f = nm_loose_cp(cp);
        if (f == cp) {
            memcpy(out + o, word + i, (size_t)n);
            o += (size_t)n;
        } else {
            o += (size_t)utf8proc_encode_char(f, (utf8proc_uint8_t *)out + o);
        }
        i += (size_t)n;
    }
    out[o] = '\0';
    return out;
}
