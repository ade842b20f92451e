/* Text normalisation for matching and deduplication (pure, thread-safe, no I/O).
 *
 * The post keeps its original text; triage works on a normalised copy: utf8proc NFKC +
 * case fold, ё→е, URLs, @mentions, emoji and punctuation removed, Latin homoglyphs inside
 * Cyrillic words mapped to Cyrillic (a e o p c x y k m t h b → а е о р с х у к м т н в),
 * tokens split on non-letters/digits. Each token also has a "loose" key for Kazakh typed
 * with Russian letters (ә→а ғ→г қ→к ң→н ө→о ұ→у ү→у һ→х і→и). Invalid UTF-8 is repaired
 * (U+FFFD) first, never a crash. */
#ifndef KM_TRIAGE_NORM_H
#define KM_TRIAGE_NORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One token of normalised text. Strings point into the owning km_norm_text. */
struct km_norm_token {
    const char *text;  /* normalised form, NUL-terminated */
    const char *loose; /* Kazakh-folded key (same as text when nothing folds) */
    size_t len;        /* bytes of text */
    size_t start, end; /* byte range of the token in the ORIGINAL text, for reasons */
    bool hashtag;      /* the token was a #hashtag (kept as a token without '#') */
    bool clause;       /* a clause break (! ? ; , a newline, or '.' before a blank) comes
                          between it and the token before: negation does not reach across */
};

struct km_norm_text {
    char *text;     /* the whole normalised text, tokens joined by single spaces, without
                       hashtags: the key for exact and near-duplicate detection (points
                       into storage; never NULL, "" when nothing is left) */
    struct km_norm_token *tokens; /* every token in order, hashtags included */
    size_t n_tokens;
    size_t n_letters; /* letters in text, for the short-text guard */
    unsigned cyrillic, latin, kazakh_letters; /* letter counts by script in text (hashtags
                                                  not counted, homoglyphs counted after
                                                  mapping); kazakh_letters counts
                                                  ә ғ қ ң ө ұ ү һ і */
    bool repaired; /* the input had invalid UTF-8 */
    char *storage; /* owned backing store of the token strings */
};

/* Normalises text[0..len). Returns a new object; free with km_norm_free(). Never NULL. */
struct km_norm_text *km_norm(const char *text, size_t len);
void km_norm_free(struct km_norm_text *t);

/* Normalises one word or phrase the same way (for lexicon entries and tags): a malloc'd
 * string, tokens joined by single spaces. Caller frees. */
char *km_norm_phrase(const char *phrase);
/* The loose Kazakh-folded key of an already normalised word. Caller frees. */
char *km_norm_loose(const char *word);

#endif
