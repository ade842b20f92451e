/* The triage lexicon: supervisor-edited word lists (the .lex files of etc/lexicon/) compiled into
 * hash tables, and the matcher that finds their entries in a normalised post.
 *
 * One entry per line, fields separated by blanks, '#' starts a comment:
 *
 *     CLASS  LANG  MODE    WEIGHT  TERM            [FLAG ...]
 *     gas    ru    phrase  6       "запах газа"
 *     life   ru    phrase  50      "запах газа"    call=104
 *     heating *    base    25      -               winter=10
 *
 * CLASS is a category (snow ... other) or a cue (life, impact, help, vulnerable, duration,
 * cold, question, thanks, fixed, suggestion, calm, negation). LANG is ru, kk, en or '*'
 * (base and cap lines only). MODE: word (surface form; Kazakh: the root and its generated
 * inflected forms), stem (Snowball stem for ru/en; Kazakh: same as word), prefix (token
 * starts with TERM), phrase (words in order, at most `gap` other tokens between two, in one
 * clause when gap <= 2; a word written `x*` is a prefix, `=x` an exact surface form,
 * otherwise a stem / Kazakh paradigm), not (an exclusion: tokens it covers never match
 * CLASS, '*' = any class), base (category base urgency, or the cold cue's points) and cap
 * (most points a cue class may add). See etc/lexicon/README.lex for the whole format.
 *
 * Thread-safety: a loaded lexicon is immutable; any number of threads may match against it
 * at once. Snowball stemmers are not thread-safe, so the matcher takes the caller's own
 * struct km_lex_stemmers (score.c keeps one per thread). */
#ifndef KM_TRIAGE_LEXICON_H
#define KM_TRIAGE_LEXICON_H

#include "common/err.h"
#include "triage/norm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Categories, exactly as ../shared/corpus/README.md lists them (the index is stable). */
enum km_category {
    KM_CAT_SNOW,
    KM_CAT_FLOODING,
    KM_CAT_ROADS,
    KM_CAT_MANHOLES,
    KM_CAT_TRANSPORT,
    KM_CAT_MEDICAL,
    KM_CAT_ELECTRICITY,
    KM_CAT_HEATING,
    KM_CAT_WATER,
    KM_CAT_GAS,
    KM_CAT_STRAY_ANIMALS,
    KM_CAT_SCHOOLS,
    KM_CAT_GARBAGE,
    KM_CAT_LIGHTING,
    KM_CAT_PARKING,
    KM_CAT_GREENERY,
    KM_CAT_PUBLIC_ORDER,
    KM_CAT_ELEVATOR,
    KM_CAT_CONSULTATION,
    KM_CAT_GRATITUDE,
    KM_CAT_OTHER,
    KM_CAT_COUNT
};

/* Urgency cues: classes after the categories. */
enum km_cue {
    KM_CUE_LIFE = KM_CAT_COUNT, /* danger to life or health now */
    KM_CUE_IMPACT,              /* a building or street affected now: outage, blocked road */
    KM_CUE_HELP,                /* an explicit request for help */
    KM_CUE_VULNERABLE,          /* children, elderly, disabled, pregnant people */
    KM_CUE_DURATION,            /* "третий день": it has gone on for a while */
    KM_CUE_COLD,                /* extreme frost in the text ("-31"); base line only */
    KM_CUE_QUESTION,            /* damper: an information question */
    KM_CUE_THANKS,              /* damper: thanks (counted only with gratitude or "fixed") */
    KM_CUE_FIXED,               /* damper: already fixed, service restored */
    KM_CUE_SUGGESTION,          /* damper: a proposal, nothing broken now */
    KM_CUE_CALM,                /* damper: "не срочно", "всё норм" */
    KM_CUE_NEGATION,            /* negators that cancel a nearby cue ("не", "жоқ") */
    KM_CLASS_COUNT
};

enum km_lex_lang { KM_LEX_RU, KM_LEX_KK, KM_LEX_EN, KM_LEX_ANY };

enum km_lex_mode {
    KM_LEX_WORD,
    KM_LEX_STEM,
    KM_LEX_PREFIX,
    KM_LEX_PHRASE,
    KM_LEX_NOT,
    KM_LEX_BASE,
    KM_LEX_CAP
};

/* Entry flags. */
#define KM_LEX_F_WINTER 1u  /* counts only in winter months (routing.conf [time] winter) */
#define KM_LEX_F_NIGHT  2u  /* counts only at night (routing.conf [time] night) */
#define KM_LEX_F_STRICT 4u  /* counts only when the post's language is LANG (or mixed) */
#define KM_LEX_F_AFTER  8u  /* negation: the negator follows what it negates (kk "жоқ") */
#define KM_LEX_F_FRONT  16u /* kk: front-vowel suffixes for a misleading root (loan words) */
#define KM_LEX_F_BACK   32u /* kk: back-vowel suffixes */
/* fixed, calm: the danger is over, elsewhere or imagined ("потушили", "all fine now", news of
 * another city, a drill): the post's life-safety points are taken back */
#define KM_LEX_F_OVER   64u

/* Words in one phrase: the longest useful phrase is short ("упал в открытый люк"). */
#define KM_LEX_MAX_WORDS 6
/* Most other tokens allowed between two phrase words (the `gap=` flag). */
#define KM_LEX_MAX_GAP 8
/* Tokens of a post that are matched: about 4 KB of text; a longer post is matched on its
 * first part only, which keeps the per-post cost bounded. */
#define KM_LEX_MAX_TOKENS 1024
/* Longest lexicon line, in bytes: a longer one is a mistake (a pasted paragraph). */
#define KM_LEX_MAX_LINE 1024

/* One compiled entry. Strings are owned by the lexicon. */
struct km_lex_entry {
    uint8_t cls;      /* enum km_category or enum km_cue */
    uint8_t lang;     /* enum km_lex_lang */
    uint8_t mode;     /* enum km_lex_mode */
    uint8_t flags;    /* KM_LEX_F_* */
    int weight;       /* category: evidence points; cue: urgency points (negative = damper) */
    int winter;       /* base lines: extra points in winter */
    int night;        /* base lines: extra points at night */
    int below;        /* cold base line: degrees Celsius at or below which it counts */
    int gap;          /* phrase: most tokens between two words */
    int block_cls;    /* not lines: class blocked, or -1 for every class */
    const char *term; /* as written in the file */
    const char *call; /* life cues: emergency number to show on P1 ("101"), or NULL */
    const char *file; /* file and line it came from, for komekctl check and reasons */
    int line;
    int n_words;
    uint32_t words[KM_LEX_MAX_WORDS]; /* atom ids */
};

/* One place where an entry matched: tokens first..last of the km_norm_text. */
struct km_lex_hit {
    uint32_t entry;
    uint16_t first, last;
    bool negated; /* a negator in or next to the span cancels this cue */
};

/* The Snowball stemmers one thread uses while matching (not thread-safe objects), with a
 * small cache of recent stems: citizens' vocabulary repeats, and a cache hit costs one
 * hash instead of a Snowball run. */
struct km_lex_stem_cache;
struct km_lex_stemmers {
    struct sb_stemmer *ru, *en;
    struct km_lex_stem_cache *cache;
};

struct km_lexicon;

/* Name of a class ("gas", "life", ...); NULL if cls is out of range. */
const char *km_lex_class_name(int cls);
/* Class index of a name, or -1. */
int km_lex_class_parse(const char *name);
/* Category name for a category index ("other" for anything out of range). */
const char *km_category_name(int category);

/* Creates the stemmers (sb_stemmer_new "russian" / "english", UTF-8) and their cache.
 * Returns KM_OK or KM_ERR (libstemmer lacks an algorithm). Free with
 * km_lex_stemmers_free(). */
int km_lex_stemmers_init(struct km_lex_stemmers *st, struct km_err *err);
void km_lex_stemmers_free(struct km_lex_stemmers *st);

/* Creates an empty lexicon to which lines are added. Never NULL. */
struct km_lexicon *km_lexicon_new(void);
void km_lexicon_free(struct km_lexicon *lx);

/* Parses and adds one line (comment and blank lines are accepted and ignored). A bad line
 * is written to report (may be NULL) as "FILE:LINE: message" and into err. Returns KM_OK
 * or KM_EINPUT. Not thread-safe (loading is single-threaded). */
int km_lexicon_add_line(struct km_lexicon *lx, const char *line, const char *file, int lineno,
                        FILE *report, struct km_err *err);

/* Adds every line of one file. Every bad line is reported; err gets the first. Returns
 * KM_OK, KM_EINPUT (bad lines; the good ones were added) or KM_ERR (cannot read). */
int km_lexicon_load_file(struct km_lexicon *lx, const char *path, FILE *report, struct km_err *err);

/* Loads every ".lex" file of dir in name order into a new lexicon. Every bad line of every
 * file is reported as "FILE:LINE: message"; err gets the first and the count. Returns KM_OK
 * with *out owned by the caller (km_lexicon_free()), or KM_EINPUT / KM_ERR and *out NULL. */
int km_lexicon_load_dir(const char *dir, FILE *report, struct km_lexicon **out, struct km_err *err);

size_t km_lexicon_count(const struct km_lexicon *lx);
/* Entry i (borrowed, valid as long as lx). */
const struct km_lex_entry *km_lexicon_entry(const struct km_lexicon *lx, size_t i);
/* Base line of class cls (category base or the cold cue), or NULL. */
const struct km_lex_entry *km_lexicon_base(const struct km_lexicon *lx, int cls);
/* Cap of cue class cls in points (absolute value), or -1 when there is none. */
int km_lexicon_cap(const struct km_lexicon *lx, int cls);

/* Finds every entry of lx in the normalised text nt (the first KM_LEX_MAX_TOKENS tokens).
 * post_lang is the post's language (KM_LEX_RU/KK/EN, or KM_LEX_ANY when mixed or
 * unknown) for entries with the strict flag. Exclusions are applied; negator entries are
 * returned first, then the others in token order, cues and category phrases near a
 * negator with negated set. Writes at most cap hits and returns how many were found
 * (which may exceed cap). st is the calling thread's stemmers (and stem cache).
 * Thread-safe for distinct st. */
size_t km_lexicon_match(const struct km_lexicon *lx, const struct km_norm_text *nt, int post_lang,
                        struct km_lex_stemmers *st, struct km_lex_hit *hits, size_t cap);

/* What the matcher is told about a post besides its tokens. */
struct km_lex_post {
    int lang; /* KM_LEX_RU/KK/EN, or KM_LEX_ANY when mixed or unknown: strict entries, and
                 in an English post Latin words are not transliterated ("it" is no "ит") */
    const bool *name; /* NULL, or one flag per token of nt: the token is a proper name (a
                         street of an address, triage/place.h), matched as a whole word
                         only: no prefix entry applies ("Кошкарбаева" is not "кошк-") */
};

/* km_lexicon_match() with what post tells (borrowed, read during the call only). Latin
 * words that are frequent English words (km_lang_english_word()) are never transliterated.
 * Thread-safe for distinct st. */
size_t km_lexicon_match_post(const struct km_lexicon *lx, const struct km_norm_text *nt,
                             const struct km_lex_post *post, struct km_lex_stemmers *st,
                             struct km_lex_hit *hits, size_t cap);

#endif
