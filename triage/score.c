/* Triage scoring (see score.h). */
#include "triage/score.h"

#include "common/alloc.h"
#include "common/buf.h"
#include "triage/dedup.h"
#include "triage/lang.h"
#include "triage/marks.h"
#include "triage/place.h"
#include "triage/tz.h"

#include <libstemmer.h>
#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Hits kept per post: a 4 KB post matches far fewer entries. */
#define SC_MAX_HITS 512
/* Addresses read per post for the proper-name flags of the matcher. */
#define SC_MAX_PLACES 8
_Static_assert(SC_MAX_PLACES == KM_DEDUP_MAX_REFS, "dedup reads the scorer's addresses");
/* Tokens whose name flags live on the stack; a longer post gets them on the heap. */
#define SC_STACK_NAMES 256
/* Resonance caps: engagement and incident size say "many people care", never "danger". */
#define SC_ENGAGEMENT_MAX 10
#define SC_INCIDENT_MAX   15
/* A phone number: evidence for `other` (adverts, lost pets: every labelled post with one
 * is `other`), and a damper when the post is `other` (README "Triage"). */
#define SC_PHONE_EVIDENCE 4
#define SC_PHONE_DAMPER   25

struct km_triage {
    struct km_lexicon *lx;
    struct km_routing *routing;
    struct km_tz *tz;
};

struct sc_ctx {
    const struct km_triage *t;
    struct km_post *p;
    const char *text; /* p->text, or a copy with its lyrics blanked (same offsets) */
    const struct km_norm_text *nt;
    struct km_place_ref refs[SC_MAX_PLACES]; /* the addresses in text (km_place_find()) */
    size_t n_refs;
    struct km_marks marks;
    size_t n_hits;
    struct km_tz_local lt;
    bool winter, night;
    int64_t when; /* the post's time (created_at, else now) */
    /* From here to hits: the answer, cleared by sc_clear_answer() before each sc_finish(). */
    bool fixed;
    int category;
    int urgency;
    int resonance;                       /* points added by engagement and incident size */
    int life;                            /* points added by life-safety cues */
    int vulnerable;                      /* points added by vulnerable people */
    int injury;                          /* last token of a person hurt (a life cue calling
                                            103) told in the post, or -1 */
    char calls[64];                      /* emergency numbers named by life cues ("101 104") */
    size_t cap_reasons;                  /* allocated slots of p->triage.reasons */
    struct km_lex_hit hits[SC_MAX_HITS]; /* from here on: not zeroed, only n_hits are valid */
    const struct km_lex_entry *ent[SC_MAX_HITS]; /* entry of each hit */
    bool first[SC_MAX_HITS];                     /* no earlier hit has the same entry */
    bool evid[SC_MAX_HITS];                      /* the hit counts as category evidence */
};

/* ---- per-thread stemmers -------------------------------------------------------------- */

static pthread_key_t sc_key;
static pthread_once_t sc_once = PTHREAD_ONCE_INIT;

static void sc_stemmers_destroy(void *p)
{
    km_lex_stemmers_free(p);
    free(p);
}

static void sc_key_init(void)
{
    pthread_key_create(&sc_key, sc_stemmers_destroy);
}

static struct km_lex_stemmers *sc_stemmers(void)
{
    pthread_once(&sc_once, sc_key_init);
    struct km_lex_stemmers *st = pthread_getspecific(sc_key);
    if (st == NULL) {
        st = km_calloc(1, sizeof(*st));
        struct km_err err;
        if (km_lex_stemmers_init(st, &err) != KM_OK) {
            free(st);
            return NULL;
        }
        pthread_setspecific(sc_key, st);
    }
    return st;
}

void km_triage_thread_end(void)
{
    pthread_once(&sc_once, sc_key_init);
    struct km_lex_stemmers *st = pthread_getspecific(sc_key);
    if (st != NULL) {
        pthread_setspecific(sc_key, NULL);
        sc_stemmers_destroy(st);
    }
}

/* ---- loading -------------------------------------------------------------------------- */

int km_triage_new_take(struct km_lexicon *lx, struct km_routing *routing, struct km_triage **out,
                       struct km_err *err)
{
    struct km_triage *t = km_calloc(1, sizeof(*t));
    t->lx = lx;
    t->routing = routing;
    int rc = km_tz_load(km_routing_zone(routing), &t->tz, err);
    if (rc != KM_OK) {
        km_triage_free(t);
        t = NULL;
    }
    *out = t;
    return rc;
}

int km_triage_load(const char *lexicon_dir, const char *routing_path, FILE *report,
                   struct km_triage **out, struct km_err *err)
{
    struct km_lexicon *lx = NULL;
    struct km_routing *r = NULL;
    struct km_err rerr = {{0}};
    int rc = km_lexicon_load_dir(lexicon_dir, report, &lx, err);
    int rrc = routing_path != NULL ? km_routing_load(routing_path, report, &r, &rerr) : KM_OK;
    if (routing_path == NULL) {
        r = km_routing_new();
    }
    if (rc == KM_OK && rrc != KM_OK) {
        *err = rerr;
        rc = rrc;
    }
    if (rc != KM_OK) {
        km_lexicon_free(lx);
        km_routing_free(r);
        *out = NULL;
        return rc;
    }
    return km_triage_new_take(lx, r, out, err);
}

void km_triage_free(struct km_triage *t)
{
    if (t == NULL) {
        return;
    }
    km_lexicon_free(t->lx);
    km_routing_free(t->routing);
    km_tz_free(t->tz);
    free(t);
}

const struct km_lexicon *km_triage_lexicon(const struct km_triage *t)
{
    return t->lx;
}

const struct km_routing *km_triage_routing(const struct km_triage *t)
{
    return t->routing;
}

const char *km_priority_name(int priority)
{
    static const char *const names[] = {"P1", "P2", "P3", "P4"};
    return priority >= 1 && priority <= 4 ? names[priority - 1] : "P4";
}

/* ---- reasons -------------------------------------------------------------------------- */

/* Copies the original text of tokens a..b into out (at most KM_TRIAGE_MAX_QUOTE bytes,
 * cut at a character boundary; quotes and line breaks become spaces). */
static void sc_quote(const struct sc_ctx *c, size_t a, size_t b, char *out, size_t size)
{
    const struct km_norm_token *ta = &c->nt->tokens[a], *tb = &c->nt->tokens[b];
    const char *text = c->p->text;
    size_t start = ta->start, end = tb->end > start ? tb->end : start;
    size_t n = end - start, max = size - 4 < KM_TRIAGE_MAX_QUOTE ? size - 4 : KM_TRIAGE_MAX_QUOTE;
    bool cut = n > max;
    if (cut) {
        n = max;
        while (n > 0 && ((unsigned char)text[start + n] & 0xC0) == 0x80) {
            n--;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char ch = text[start + i];
        out[i] = ch == '"' || ch == '\n' || ch == '\r' || ch == '\t' ? ' ' : ch;
    }
    memcpy(out + n, cut ? "..." : "", cut ? 4 : 1);
}

/* A string being built without printf (reasons are formatted for every post). */
struct sc_str {
    char buf[512];
    size_t n;
};

static void sc_cat(struct sc_str *s, const char *str)
{
    size_t len = strlen(str);
    len = len < sizeof(s->buf) - 1 - s->n ? len : sizeof(s->buf) - 1 - s->n;
    memcpy(s->buf + s->n, str, len);
    s->n += len;
    s->buf[s->n] = '\0';
}

/* Appends v, with its sign ("+25", "-10", "+0") when sign is set. */
static void sc_cat_i64(struct sc_str *s, int64_t v, bool sign)
{
    char tmp[KM_FMT_I64_MAX + 2] = "+";
    size_t n = km_fmt_i64(tmp + 1, v);
    tmp[n + 1] = '\0';
    sc_cat(s, sign && v >= 0 ? tmp : tmp + 1);
}

static void sc_cat_int(struct sc_str *s, int v, bool sign)
{
    sc_cat_i64(s, v, sign);
}

/* Appends "\"quote\"" of tokens a..b. */
static void sc_cat_quote(struct sc_str *s, const struct sc_ctx *c, size_t a, size_t b, size_t max)
{
    char q[KM_TRIAGE_MAX_QUOTE + 4];
    sc_quote(c, a, b, q, max + 4 < sizeof(q) ? max + 4 : sizeof(q));
    sc_cat(s, "\"");
    sc_cat(s, q);
    sc_cat(s, "\"");
}

/* Appends a copy of reason[0..len) to the post's reasons (the array grows by doubling;
 * km_post_add_reason() would format and reallocate for every line). */
static void sc_add_reason(struct sc_ctx *c, const char *reason, size_t len)
{
    struct km_post_triage *t = &c->p->triage;
    if (t->n_reasons == c->cap_reasons) {
        c->cap_reasons = c->cap_reasons > 0 ? 2 * c->cap_reasons : 16;
        t->reasons = km_realloc(t->reasons, c->cap_reasons * sizeof(*t->reasons));
    }
    char *r = km_malloc(len + 1);
    memcpy(r, reason, len);
    r[len] = '\0';
    t->reasons[t->n_reasons++] = r;
}

static void sc_add_str(struct sc_ctx *c, const struct sc_str *s)
{
    sc_add_reason(c, s->buf, s->n);
}

/* A formatted reason, for the lines that are not on every post's path. */
__attribute__((format(printf, 2, 3))) static void sc_reasonf(struct sc_ctx *c, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof(buf)) {
        sc_add_reason(c, buf, (size_t)n);
        return;
    }
    char *big = km_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sc_add_reason(c, big, (size_t)n);
    free(big);
}

static void sc_reason(struct sc_ctx *c, int points, const char *kind, size_t a, size_t b)
{
    if (c->p->triage.n_reasons >= KM_TRIAGE_MAX_REASONS) {
        return;
    }
    struct sc_str s = {.n = 0};
    sc_cat_int(&s, points, true);
    sc_cat(&s, " ");
    sc_cat(&s, kind);
    sc_cat(&s, ": ");
    sc_cat_quote(&s, c, a, b, KM_TRIAGE_MAX_QUOTE);
    sc_add_str(c, &s);
}

/* The entry of hit h (one of c->hits). */
static const struct km_lex_entry *sc_entry(const struct sc_ctx *c, const struct km_lex_hit *h)
{
    return c->ent[h - c->hits];
}

/* False for entries restricted to winter or night outside those times. */
static bool sc_in_season(const struct sc_ctx *c, const struct km_lex_entry *e)
{
    return (!(e->flags & KM_LEX_F_WINTER) || c->winter) &&
           (!(e->flags & KM_LEX_F_NIGHT) || c->night);
}

/* ---- category ------------------------------------------------------------------------- */

/* True if an earlier hit (index < i) is of the same entry: each entry counts once. */
static bool sc_seen_entry(const struct sc_ctx *c, size_t i)
{
    return !c->first[i];
}

/* Fills c->ent and c->first for the hits. */
static void sc_hits_prepare(struct sc_ctx *c)
{
    for (size_t i = 0; i < c->n_hits; i++) {
        c->ent[i] = km_lexicon_entry(c->t->lx, c->hits[i].entry);
        c->first[i] = true;
        for (size_t k = 0; k < i && c->first[i]; k++) {
            c->first[i] = c->hits[k].entry != c->hits[i].entry;
        }
    }
}

/* Tokens after a thanks word (before one in Kazakh) that name whom it thanks. */
#define SC_THANKED_SPAN 3

/* Token i starts with a capital letter in the post's text (Latin, Russian or Kazakh); false
 * in a repaired text, whose offsets do not fit. */
static bool sc_capital(const struct sc_ctx *c, size_t i)
{
    if (c->nt->repaired) {
        return false;
    }
    const unsigned char *o = (const unsigned char *)c->text + c->nt->tokens[i].start;
    return (o[0] >= 'A' && o[0] <= 'Z') || (o[0] == 0xD0 && o[1] <= 0xAF) ||
           ((o[0] == 0xD2 || o[0] == 0xD3) && o[1] % 2 == 0); /* Ә Ғ Қ Ң Ө Ұ Ү Һ */
}

/* The last token of the addressee after thanks word t: SC_THANKED_SPAN tokens, and on
 * while a capitalised name that reaches the last of them goes on ("спасибо аварийной
 * бригаде Астана Су Арнасы": the service's name is one addressee). */
static size_t sc_addressee_end(const struct sc_ctx *c, const struct km_lex_hit *t)
{
    size_t end = t->last + SC_THANKED_SPAN;
    while (end + 1 < c->nt->n_tokens && sc_capital(c, end) && !c->nt->tokens[end + 1].clause &&
           sc_capital(c, end + 1)) {
        end++;
    }
    return end;
}

/* True if tokens a..b lie within the addressee of thanks hit t, in its clause: after
 * "спасибо" / "thanks" ("спасибо аварийной бригаде водоканала", up to a "за" / "for": what
 * they are thanked for may be sarcasm; a capitalised name reaching past the span goes on
 * to its end), before Kazakh "рахмет" ("Жол жөндеушілерге үлкен рахмет"). */
static bool sc_in_addressee(const struct sc_ctx *c, const struct km_lex_hit *t, size_t a, size_t b)
{
    const struct km_norm_token *tok = c->nt->tokens;
    if (sc_entry(c, t)->lang == KM_LEX_KK) {
        if (b >= t->first || t->first - a > SC_THANKED_SPAN) {
            return false;
        }
        for (size_t k = a + 1; k <= t->first; k++) {
            if (tok[k].clause) {
                return false;
            }
        }
        return true;
    }
    if (a <= t->last || b > sc_addressee_end(c, t)) {
        return false;
    }
    for (size_t k = t->last + 1; k <= b; k++) {
        if (tok[k].clause || strcmp(tok[k].text, "за") == 0 || strcmp(tok[k].text, "for") == 0) {
            return false;
        }
    }
    return true;
}

/* True if hit h (of a category other than gratitude) names whom a thanks word of the post
 * thanks: the crew or service thanked is no topic ("спасибо водоканалу" is no water
 * problem). */
static bool sc_thanked(const struct sc_ctx *c, const struct km_lex_hit *h)
{
    if (sc_entry(c, h)->cls == KM_CAT_GRATITUDE) {
        return false;
    }
    for (size_t k = 0; k < c->n_hits; k++) {
        const struct km_lex_hit *t = &c->hits[k];
        if (sc_entry(c, t)->cls == KM_CUE_THANKS && !t->negated &&
            sc_in_addressee(c, t, h->first, h->last)) {
            return true;
        }
    }
    return false;
}

/* True if hit i counts as category evidence: in season, not negated, not the addressee of
 * thanks, and the strongest of its category on its exact token span (a word matched as a
 * stem, a prefix and through a transliteration counts once), each entry once. */
static bool sc_evidence(const struct sc_ctx *c, size_t i, bool thanks)
{
    const struct km_lex_hit *h = &c->hits[i];
    const struct km_lex_entry *e = sc_entry(c, h);
    if (e->cls >= KM_CAT_COUNT || h->negated || !sc_in_season(c, e) || sc_seen_entry(c, i) ||
        (thanks && sc_thanked(c, h))) {
        return false;
    }
    for (size_t k = 0; k < c->n_hits; k++) {
        const struct km_lex_hit *o = &c->hits[k];
        const struct km_lex_entry *oe = sc_entry(c, o);
        if (k != i && oe->cls == e->cls && o->first == h->first && o->last == h->last &&
            !o->negated && sc_in_season(c, oe) &&
            (oe->weight > e->weight || (oe->weight == e->weight && k < i))) {
            return false;
        }
    }
    return true;
}

/* Category points a gas leak's life-safety cue gives gas (sc_gas_danger()). */
#define SC_GAS_LIFE_EVIDENCE 5

/* Category points a strong life-safety cue gives the category of a word on its span
 * (sc_life_topic()). */
#define SC_LIFE_TOPIC_EVIDENCE 5

/* The category line: the points of the chosen category, each word that gave them, the
 * phone number (other), the gas leak (gas) and a danger's own topic (sc_life_topic()) among
 * them, and the runner-up. */
static void sc_category_reason(struct sc_ctx *c, const int *ev, int second, bool in_danger,
                               bool gas_leak, int topic)
{
    struct sc_str s = {.n = 0};
    sc_cat(&s, "category ");
    sc_cat(&s, km_category_name(c->category));
    sc_cat(&s, ": ");
    sc_cat_int(&s, ev[c->category], false);
    sc_cat(&s, " points (");
    int shown = 0;
    for (size_t i = 0; i < c->n_hits && shown < 6; i++) {
        const struct km_lex_entry *e = sc_entry(c, &c->hits[i]);
        if (e->cls != c->category || !c->evid[i]) {
            continue;
        }
        sc_cat(&s, shown++ ? ", " : "");
        sc_cat_quote(&s, c, c->hits[i].first, c->hits[i].last, 36);
        sc_cat(&s, " ");
        sc_cat_int(&s, e->weight, true);
    }
    if (c->category == KM_CAT_OTHER && c->marks.phone != NULL) {
        sc_cat(&s, shown++ ? ", phone number " : "phone number ");
        sc_cat_int(&s, SC_PHONE_EVIDENCE, true);
    }
    if (c->category == KM_CAT_GAS && gas_leak) {
        sc_cat(&s, shown++ ? ", a gas leak " : "a gas leak ");
        sc_cat_int(&s, SC_GAS_LIFE_EVIDENCE, true);
    }
    if (topic >= 0 && c->category == topic) {
        sc_cat(&s, shown++ ? ", a danger named by its words " : "a danger named by its words ");
        sc_cat_int(&s, SC_LIFE_TOPIC_EVIDENCE, true);
    }
    if (second >= 0) {
        sc_cat(&s, "; next ");
        sc_cat(&s, km_category_name(second));
        sc_cat(&s, " ");
        sc_cat_int(&s, ev[second], false);
    } else if (shown == 0) {
        sc_cat(&s, in_danger ? "no topical words; someone in danger" : "no topical words");
    }
    sc_cat(&s, ")");
    sc_add_str(c, &s);
}

/* Life-safety points from which a cue alone says a person is in danger now. */
#define SC_DANGER_MIN 45

/* Hit i is a countable life-safety cue of at least min points: in season, not negated. */
static bool sc_life_hit(const struct sc_ctx *c, size_t i, int min)
{
    const struct km_lex_entry *e = sc_entry(c, &c->hits[i]);
    return e->cls == KM_CUE_LIFE && e->weight >= min && !c->hits[i].negated &&
           sc_in_season(c, e);
}

/* Entry e's cue names emergency number num among its calls ("101 104"). */
static bool sc_calls(const struct km_lex_entry *e, const char *num)
{
    return e->call != NULL && strstr(e->call, num) != NULL;
}

/* True if a strong life-safety cue that calls an ambulance or rescuers counts in the post
 * (in season, not negated): someone is in danger, whatever the post is about. A fire's cue
 * (call 101) is not one: a fire without topical words stays other, as the taxonomy has it. */
static bool sc_person_in_danger(const struct sc_ctx *c)
{
    for (size_t i = 0; i < c->n_hits; i++) {
        const struct km_lex_entry *e = sc_entry(c, &c->hits[i]);
        if (sc_life_hit(c, i, SC_DANGER_MIN) && !sc_calls(e, "101") &&
            (sc_calls(e, "103") || sc_calls(e, "112"))) {
            return true;
        }
    }
    return false;
}

/* The countable hit of an `over` entry (fixed or calm), or NULL. */
static const struct km_lex_hit *sc_over_hit(const struct sc_ctx *c)
{
    for (size_t i = 0; i < c->n_hits; i++) {
        const struct km_lex_entry *e = c->ent[i];
        if ((e->flags & KM_LEX_F_OVER) && !c->hits[i].negated && sc_in_season(c, e)) {
            return &c->hits[i];
        }
    }
    return NULL;
}

/* The post's danger is over, elsewhere or imagined (an `over` cue) or a joke (laughter). */
static bool sc_danger_void(const struct sc_ctx *c)
{
    return sc_over_hit(c) != NULL || c->marks.laugh != NULL;
}

/* True if a life-safety cue that calls the gas service (call=104) counts in the post: in
 * season and not negated ("газом вроде не пахнет" is no leak), nor over or imagined ("если
 * запахнет газом", sc_over_hit()) nor a joke. The leak is then what the post is about,
 * whatever else it names ("мусорка не вывезена, ... и в подъезде пахнет газом"): gas gets
 * SC_GAS_LIFE_EVIDENCE category points. */
static bool sc_gas_danger(const struct sc_ctx *c)
{
    if (sc_danger_void(c)) {
        return false;
    }
    for (size_t i = 0; i < c->n_hits; i++) {
        if (sc_life_hit(c, i, 1) && sc_calls(sc_entry(c, &c->hits[i]), "104")) {
            return true;
        }
    }
    return false;
}

/* Category points from which a word is its category's strong evidence (sc_life_topic()). */
#define SC_LIFE_TOPIC_MIN 4

/* The category of the strongest category word of SC_LIFE_TOPIC_MIN points or more on
 * exactly the span of a countable life-safety cue of SC_DANGER_MIN points or more other
 * than a gas leak's (sc_gas_danger() has those) or a person hurt's (call=103, and medical
 * words: "лежит и не встаёт" is the state of a victim of any hazard): the hazard is what the
 * post is about, whatever else it lists ("урны не вывозят, на парковке машины на газоне ...
 * провод оголённый висит над площадкой" is the wire's). A weak word, or one that is only
 * part of the cue ("водитель внутри"), says nothing of it. -1 if none, or if the danger is
 * over, imagined or a joke. */
static int sc_life_topic(const struct sc_ctx *c)
{
    int best = -1, best_w = 0;
    if (sc_danger_void(c)) {
        return -1;
    }
    for (size_t i = 0; i < c->n_hits; i++) {
        const struct km_lex_hit *h = &c->hits[i];
        const struct km_lex_entry *e = sc_entry(c, h);
        if (!sc_life_hit(c, i, SC_DANGER_MIN) || sc_calls(e, "104") || sc_calls(e, "103")) {
            continue;
        }
        for (size_t k = 0; k < c->n_hits; k++) {
            const struct km_lex_entry *w = sc_entry(c, &c->hits[k]);
            if (c->evid[k] && w->cls < KM_CAT_COUNT && w->cls != KM_CAT_OTHER &&
                w->cls != KM_CAT_MEDICAL &&
                c->hits[k].first == h->first && c->hits[k].last == h->last &&
                w->weight >= SC_LIFE_TOPIC_MIN && w->weight > best_w) {
                best = w->cls;
                best_w = w->weight;
            }
        }
    }
    return best;
}

static void sc_category(struct sc_ctx *c)
{
    int ev[KM_CAT_COUNT] = {0};
    bool thanks = false;
    for (size_t i = 0; i < c->n_hits && !thanks; i++) {
        thanks = sc_entry(c, &c->hits[i])->cls == KM_CUE_THANKS;
    }
    for (size_t i = 0; i < c->n_hits; i++) {
        c->evid[i] = sc_evidence(c, i, thanks);
        if (c->evid[i]) {
            ev[sc_entry(c, &c->hits[i])->cls] += sc_entry(c, &c->hits[i])->weight;
        }
    }
    ev[KM_CAT_OTHER] += c->marks.phone != NULL ? SC_PHONE_EVIDENCE : 0;
    bool gas_leak = sc_gas_danger(c);
    ev[KM_CAT_GAS] += gas_leak ? SC_GAS_LIFE_EVIDENCE : 0;
    int topic = sc_life_topic(c);
    if (topic >= 0) {
        ev[topic] += SC_LIFE_TOPIC_EVIDENCE;
    }
    int best = KM_CAT_OTHER, second = -1;
    for (int k = 0; k < KM_CAT_COUNT; k++) {
        if (ev[k] > ev[best] || (k < best && ev[k] == ev[best] && ev[k] > 0)) {
            best = k;
        }
    }
    if (ev[best] < KM_TRIAGE_MIN_EVIDENCE) {
        best = KM_CAT_OTHER;
    }
    for (int k = 0; k < KM_CAT_COUNT; k++) {
        if (k != best && ev[k] > 0 && (second < 0 || ev[k] > ev[second])) {
            second = k;
        }
    }
    /* No topical word at all, but someone in danger ("дети на тонком льду", "вскрыть
     * дверь"): that is the taxonomy's medical, someone who needs help now, not other's
     * spam and small talk, and it takes medical's base */
    bool in_danger = best == KM_CAT_OTHER && ev[KM_CAT_OTHER] == 0 && second < 0 &&
                     sc_person_in_danger(c);
    c->category = in_danger ? KM_CAT_MEDICAL : best;
    sc_category_reason(c, ev, second, in_danger, gas_leak, topic);
}

/* ---- urgency -------------------------------------------------------------------------- */

static const char *sc_cue_label(int cls)
{
    static const char *const labels[] = {
        "life-safety", "impact", "help request",  "vulnerable", "duration",   "extreme cold",
        "question",    "thanks", "already fixed", "suggestion", "not urgent", "negation"};
    return labels[cls - KM_CUE_LIFE];
}

static void sc_base(struct sc_ctx *c)
{
    const struct km_lex_entry *b = km_lexicon_base(c->t->lx, c->category);
    const char *name = km_category_name(c->category);
    if (b == NULL) {
        return;
    }
    if (b->weight != 0) {
        c->urgency += b->weight;
        struct sc_str s = {.n = 0};
        sc_cat_int(&s, b->weight, true);
        sc_cat(&s, " base: ");
        sc_cat(&s, name);
        sc_add_str(c, &s);
    }
    if (c->winter && b->winter != 0) {
        static const char *const months[] = {"January",   "February", "March",    "April",
                                             "May",       "June",     "July",     "August",
                                             "September", "October",  "November", "December"};
        c->urgency += b->winter;
        struct sc_str s = {.n = 0};
        sc_cat_int(&s, b->winter, true);
        sc_cat(&s, " winter: ");
        sc_cat(&s, name);
        sc_cat(&s, " in ");
        sc_cat(&s, months[(c->lt.month + 11) % 12]);
        sc_add_str(c, &s);
    }
    if (c->night && b->night != 0) {
        c->urgency += b->night;
        sc_reasonf(c, "%+d night: %s at %02d:%02d %s", b->night, name, c->lt.hour, c->lt.minute,
                   km_tz_name(c->t->tz));
    }
}

static bool sc_overlaps(const struct km_lex_hit *h, const struct km_lex_hit *used, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        if (h->first <= used[k].last && used[k].first <= h->last) {
            return true;
        }
    }
    return false;
}

/* Indices of the countable hits of cue class cls, strongest first. */
static size_t sc_cue_hits(const struct sc_ctx *c, int cls, size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_hits; i++) {
        const struct km_lex_entry *e = sc_entry(c, &c->hits[i]);
        if (e->cls != cls || c->hits[i].negated || !sc_in_season(c, e) || sc_seen_entry(c, i)) {
            continue;
        }
        size_t k = n++;
        while (k > 0 && abs(sc_entry(c, &c->hits[idx[k - 1]])->weight) < abs(e->weight)) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = i;
    }
    return n;
}

/* The last token of a person hurt: a countable life cue that names the ambulance (call=103,
 * "в крови", "сломал ногу"), or -1. */
static int sc_injury(const struct sc_ctx *c)
{
    int last = -1;
    for (size_t i = 0; i < c->n_hits; i++) {
        const struct km_lex_entry *e = c->ent[i];
        if (e->cls == KM_CUE_LIFE && e->weight > 0 && e->call != NULL &&
            strcmp(e->call, "103") == 0 && !c->hits[i].negated && sc_in_season(c, e) &&
            (int)c->hits[i].last > last) {
            last = c->hits[i].last;
        }
    }
    return last;
}

/* A rescue or repair told before a person hurt ("вытащили, нога в крови") ends nothing for
 * that person: such a fixed cue (not an `over` one) counts nothing. True, with a "+0" reason
 * line, if h is one. */
static bool sc_fixed_before_injury(struct sc_ctx *c, const struct km_lex_hit *h)
{
    if (sc_entry(c, h)->cls != KM_CUE_FIXED || (sc_entry(c, h)->flags & KM_LEX_F_OVER) ||
        (int)h->last >= c->injury) {
        return false;
    }
    sc_reason(c, 0, "already fixed (a person hurt after it)", h->first, h->last);
    return true;
}

/* Adds the hits of cue class cls, strongest first, each token span once, up to the class
 * cap. Returns the points added. */
static int sc_cue(struct sc_ctx *c, int cls)
{
    size_t idx[SC_MAX_HITS];
    struct km_lex_hit used[SC_MAX_HITS];
    size_t n = sc_cue_hits(c, cls, idx), n_used = 0;
    int cap = km_lexicon_cap(c->t->lx, cls), total = 0;
    for (size_t k = 0; k < n; k++) {
        const struct km_lex_hit *h = &c->hits[idx[k]];
        int pts = sc_entry(c, h)->weight;
        if (pts == 0 || sc_overlaps(h, used, n_used) || sc_fixed_before_injury(c, h)) {
            continue;
        }
        if (cap >= 0 && abs(total + pts) > cap) {
            pts = (pts > 0 ? 1 : -1) * (cap - abs(total));
        }
        if (pts == 0) {
            break;
        }
        sc_reason(c, pts, sc_cue_label(cls), h->first, h->last);
        const char *call = sc_entry(c, h)->call;
        size_t have = strlen(c->calls);
        if (call != NULL && strstr(c->calls, call) == NULL &&
            have + strlen(call) + 2 < sizeof(c->calls)) {
            snprintf(c->calls + have, sizeof(c->calls) - have, "%s%s", have > 0 ? " " : "", call);
        }
        total += pts;
        used[n_used++] = *h;
    }
    c->urgency += total;
    return total;
}

/* One "+0 negated ..." line per negated cue entry, quoting the negator too. */
static void sc_negated(struct sc_ctx *c)
{
    for (size_t i = 0; i < c->n_hits; i++) {
        const struct km_lex_hit *h = &c->hits[i];
        const struct km_lex_entry *e = sc_entry(c, h);
        if (!h->negated || sc_seen_entry(c, i) || e->weight == 0) {
            continue;
        }
        size_t a = h->first, b = h->last;
        for (size_t j = 0; j < c->n_hits; j++) {
            const struct km_lex_hit *n = &c->hits[j];
            if (sc_entry(c, n)->cls == KM_CUE_NEGATION && n->last + 2 >= h->first &&
                n->first <= h->last + 2) {
                a = n->first < a ? n->first : a;
                b = n->last > b ? n->last : b;
            }
        }
        char kind[64];
        snprintf(kind, sizeof(kind), "negated %s",
                 e->cls < KM_CAT_COUNT ? km_category_name(e->cls) : sc_cue_label(e->cls));
        sc_reason(c, 0, kind, a, b);
    }
}

/* Reads the temperature whose minus sign (dash bytes long) is at p, if colder than *coldest. */
static void sc_temp_at(const char *s, const char *p, size_t dash, int *coldest, const char **at,
                       size_t *len)
{
    bool word_start = p == s || strchr(" \t\n(:,", p[-1]) != NULL;
    if (dash == 0 || !word_start || p[dash] < '0' || p[dash] > '9') {
        return;
    }
    int v = 0;
    size_t d = dash;
    while (p[d] >= '0' && p[d] <= '9' && d < dash + 3) {
        v = v * 10 + (p[d++] - '0');
    }
    if ((p[d] >= '0' && p[d] <= '9') || (p[d] == '.' && p[d + 1] >= '0' && p[d + 1] <= '9')) {
        return; /* a longer number, a range or a date, not a temperature */
    }
    if (-v < *coldest) {
        *coldest = -v;
        *at = p;
        *len = d;
    }
}

/* The coldest "-NN" / "−NN" / "минус NN" / "minus NN" temperature in the text (0 if none). */
static int sc_coldest(const char *s, const char **at, size_t *len)
{
    static const char *const words[] = {"\xD0\xBC\xD0\xB8\xD0\xBD\xD1\x83\xD1\x81 ", "minus "};
    int coldest = 0;
    for (const char *p = s; (p = strpbrk(p, "-\xE2")) != NULL; p++) { /* '-' or '−' */
        size_t dash = *p == '-' ? 1 : (p[1] == '\x88' && p[2] == '\x92') ? 3 : 0;
        sc_temp_at(s, p, dash, &coldest, at, len);
    }
    for (size_t w = 0; w < sizeof words / sizeof words[0]; w++) { /* "минус 27" */
        for (const char *p = s; (p = strstr(p, words[w])) != NULL; p++) {
            sc_temp_at(s, p, strlen(words[w]), &coldest, at, len);
        }
    }
    return coldest;
}

static void sc_cold(struct sc_ctx *c)
{
    const struct km_lex_entry *b = km_lexicon_base(c->t->lx, KM_CUE_COLD);
    const char *at = NULL;
    size_t len = 0;
    if (b == NULL || b->weight == 0) {
        return;
    }
    int t = sc_coldest(c->text, &at, &len);
    if (t < 0 && t <= b->below) {
        c->urgency += b->weight;
        sc_reasonf(c, "%+d extreme cold: \"%.*s\" (at or below %d)", b->weight, (int)len, at,
                   b->below);
    }
}

static int64_t sc_pos(int64_t v)
{
    return v > 0 ? v : 0;
}

static void sc_resonance(struct sc_ctx *c, int incident_size)
{
    const struct km_post *p = c->p;
    int64_t e = sc_pos(p->engagement.likes) + 2 * sc_pos(p->engagement.replies) +
                3 * sc_pos(p->engagement.reposts);
    int pts = e > 0 ? (int)(4.0 * log10(1.0 + (double)e)) : 0;
    pts = pts > SC_ENGAGEMENT_MAX ? SC_ENGAGEMENT_MAX : pts;
    if (pts > 0) {
        c->urgency += pts;
        c->resonance += pts;
        /* "%+d resonance: %lld likes, %lld reposts, %lld replies", on most posts */
        struct sc_str s = {.n = 0};
        sc_cat_int(&s, pts, true);
        sc_cat(&s, " resonance: ");
        sc_cat_i64(&s, sc_pos(p->engagement.likes), false);
        sc_cat(&s, " likes, ");
        sc_cat_i64(&s, sc_pos(p->engagement.reposts), false);
        sc_cat(&s, " reposts, ");
        sc_cat_i64(&s, sc_pos(p->engagement.replies), false);
        sc_cat(&s, " replies");
        sc_add_str(c, &s);
    }
    if (incident_size >= 2) {
        pts = (int)lround(5.0 * log2((double)incident_size));
        pts = pts > SC_INCIDENT_MAX ? SC_INCIDENT_MAX : pts;
        c->urgency += pts;
        c->resonance += pts;
        struct sc_str s = {.n = 0}; /* "%+d resonance: incident of %d posts" */
        sc_cat_int(&s, pts, true);
        sc_cat(&s, " resonance: incident of ");
        sc_cat_int(&s, incident_size, false);
        sc_cat(&s, " posts");
        sc_add_str(c, &s);
    }
}

static int sc_priority(int urgency)
{
    return urgency >= KM_TRIAGE_P1_MIN   ? 1
           : urgency >= KM_TRIAGE_P2_MIN ? 2
           : urgency >= KM_TRIAGE_P3_MIN ? 3
                                         : 4;
}

static void sc_emergency(struct sc_ctx *c)
{
    const char *numbers = km_routing_emergency(c->t->routing, c->category);
    char extra[sizeof(c->calls) * 2] = "";
    char *save = NULL, calls[sizeof(c->calls)];
    memcpy(calls, c->calls, sizeof(calls));
    static const char *const names[][2] = {
        {"101", "fire"}, {"102", "police"}, {"103", "ambulance"}, {"104", "gas"}};
    for (char *n = strtok_r(calls, " ", &save); n != NULL; n = strtok_r(NULL, " ", &save)) {
        if (strstr(numbers, n) != NULL) {
            continue;
        }
        const char *what = "";
        for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
            what = strcmp(n, names[k][0]) == 0 ? names[k][1] : what;
        }
        size_t o = strlen(extra);
        if (*what != '\0') {
            snprintf(extra + o, sizeof(extra) - o, "%s %s, ", n, what);
        } else {
            snprintf(extra + o, sizeof(extra) - o, "%s, ", n);
        }
    }
    sc_reasonf(c, "P1 emergency: call %s%s (komek is not an emergency service)", extra, numbers);
}

/* Frees what an earlier scoring left in the fields this function owns. */
static void sc_reset(struct km_post *p)
{
    struct km_post_triage *t = &p->triage;
    free(t->category);
    free(t->agency);
    for (size_t i = 0; i < t->n_reasons; i++) {
        free(t->reasons[i]);
    }
    free(t->reasons);
    t->category = t->agency = NULL;
    t->reasons = NULL;
    t->n_reasons = 0;
    t->urgency = 0;
    t->priority = 4;
    t->sla_due = 0;
    t->scored = false;
}

static int sc_post_lang(enum km_lang lang)
{
    return lang == KM_LANG_RU   ? KM_LEX_RU
           : lang == KM_LANG_KK ? KM_LEX_KK
           : lang == KM_LANG_EN ? KM_LEX_EN
                                : KM_LEX_ANY;
}

/* Takes back the life-safety points of a danger that is over, elsewhere or imagined (an
 * `over` cue: "потушили", "никто не пострадал", "all fine now", news of another city, a
 * drill) or of a joke (laughter): a damper of fixed size cannot outweigh a fire, so
 * "загорелся мусоропровод, потушили" would stay P2. A person hurt now stands: "вытащили"
 * (got them out) is no `over` cue. */
static void sc_over(struct sc_ctx *c)
{
    const struct km_lex_hit *h = c->life > 0 ? sc_over_hit(c) : NULL;
    if (h != NULL) {
        sc_reason(c, -c->life, "danger over", h->first, h->last);
    } else if (c->life > 0 && c->marks.laugh != NULL) {
        sc_reasonf(c, "%+d joke: \"%.*s\" (laughter: no emergency)", -c->life,
                   (int)c->marks.laugh_len, c->marks.laugh);
    } else {
        return;
    }
    c->urgency -= c->life;
}

/* An `other` post with a phone number is an advert or a notice (a lost pet): nothing for
 * the city to do, whatever its words ("ПРОРВАЛО ТРУБУ?? Сантехник 24/7"). */
static void sc_advert(struct sc_ctx *c)
{
    if (c->category != KM_CAT_OTHER || c->marks.phone == NULL) {
        return;
    }
    c->urgency -= SC_PHONE_DAMPER;
    sc_reasonf(c, "%+d not urgent: \"%.*s\" (a phone number: an advert or a notice)",
               -SC_PHONE_DAMPER, (int)c->marks.phone_len, c->marks.phone);
}

/* Cues and dampers in their order; thanks count only for gratitude or a resolved update
 * ("спасибо" inside a complaint is politeness or sarcasm, not a sign that all is well). */
static void sc_urgency(struct sc_ctx *c, int incident_size)
{
    sc_base(c);
    for (int cls = KM_CUE_LIFE; cls <= KM_CUE_DURATION; cls++) {
        int pts = sc_cue(c, cls);
        c->life = cls == KM_CUE_LIFE ? pts : c->life;
        c->vulnerable = cls == KM_CUE_VULNERABLE ? pts : c->vulnerable;
    }
    sc_cold(c);
    sc_resonance(c, incident_size);
    sc_cue(c, KM_CUE_QUESTION);
    c->injury = sc_injury(c);
    c->fixed = sc_cue(c, KM_CUE_FIXED) != 0;
    if (c->fixed || c->category == KM_CAT_GRATITUDE) {
        sc_cue(c, KM_CUE_THANKS);
    }
    sc_cue(c, KM_CUE_SUGGESTION);
    sc_cue(c, KM_CUE_CALM);
    sc_over(c);
    sc_advert(c);
    sc_negated(c);
    /* P1 means danger to life. Many reports of a P2 problem make it more urgent within P2,
     * they do not make it an emergency: resonance alone never crosses into P1. */
    if (c->urgency >= KM_TRIAGE_P1_MIN && c->urgency - c->resonance < KM_TRIAGE_P1_MIN) {
        sc_reasonf(c, "= %d capped at %d: resonance alone does not make P1", c->urgency,
                   KM_TRIAGE_P1_MIN - 1);
        c->urgency = KM_TRIAGE_P1_MIN - 1;
    }
    /* P1 is danger to life: without a life-safety cue or a vulnerable person (an outage at
     * -27 at night, nobody named at risk) a post stays P2. */
    if (c->urgency >= KM_TRIAGE_P1_MIN && c->life <= 0 && c->vulnerable <= 0) {
        sc_reasonf(c, "= %d capped at %d: no danger to a person named", c->urgency,
                   KM_TRIAGE_P1_MIN - 1);
        c->urgency = KM_TRIAGE_P1_MIN - 1;
    }
    if (c->urgency < 0 || c->urgency > 100) {
        sc_reasonf(c, "= %d clamped to %d", c->urgency, c->urgency < 0 ? 0 : 100);
        c->urgency = c->urgency < 0 ? 0 : 100;
    }
}

/* True if hit h, an `other` or `calm` entry (another city: "Алматы"), lies on the
 * capitalised street of a numbered address that no "в" / "in" precedes: "на Алматы 13" is
 * a street of this city, "в Караганде 5 домов" is still elsewhere. */
static bool sc_city_street(const struct sc_ctx *c, const struct km_lex_hit *h,
                           const struct km_place_ref *refs, size_t n_refs)
{
    int cls = km_lexicon_entry(c->t->lx, h->entry)->cls;
    if (cls != KM_CAT_OTHER && cls != KM_CUE_CALM) {
        return false;
    }
    for (size_t i = 0; i < n_refs; i++) {
        const struct km_place_ref *r = &refs[i];
        const char *before = r->street > 0 ? c->nt->tokens[r->street - 1].text : "";
        if (r->kind == KM_PLACE_HOUSE && r->capital && h->first >= r->street &&
            h->last < r->street + r->n_street && strcmp(before, "в") != 0 &&
            strcmp(before, "во") != 0 && strcmp(before, "in") != 0) {
            return true;
        }
    }
    return false;
}

/* Drops the hits of hits[0..n) that sc_city_street() rejects; returns how many are left. */
static size_t sc_drop_city_streets(struct sc_ctx *c, size_t n, const struct km_place_ref *refs,
                                   size_t n_refs)
{
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (!sc_city_street(c, &c->hits[i], refs, n_refs)) {
            c->hits[kept++] = c->hits[i];
        }
    }
    return kept;
}

/* Matches the lexicon; the capitalised street names of the post's addresses
 * ("Кошкарбаева 34", "улица Кенесары") are proper names, read as whole words only (a name
 * after a mere preposition, "на Сарыарке", is not sure enough to drop prefixes). */
static size_t sc_match(struct sc_ctx *c, int lang, struct km_lex_stemmers *st)
{
    const struct km_norm_text *nt = c->nt;
    const struct km_place_ref *refs = c->refs;
    size_t n_refs = c->n_refs = km_place_find(c->text, nt, c->refs, SC_MAX_PLACES);
    bool stack[SC_STACK_NAMES] = {false}, *name = NULL;
    for (size_t i = 0; i < n_refs; i++) {
        if (!refs[i].capital || refs[i].kind == KM_PLACE_NAMED) {
            continue; /* "в Шымкенте" stays a word: another city is evidence for other */
        }
        if (name == NULL) {
            name = nt->n_tokens <= SC_STACK_NAMES ? stack : km_malloc(nt->n_tokens);
            memset(name, 0, nt->n_tokens * sizeof(*name));
        }
        for (size_t k = 0; k < refs[i].n_street; k++) {
            name[refs[i].street + k] = true;
        }
    }
    struct km_lex_post post = {.lang = lang, .name = name};
    size_t n = km_lexicon_match_post(c->t->lx, nt, &post, st, c->hits, SC_MAX_HITS);
    if (name != stack) {
        free(name);
    }
    n = n < SC_MAX_HITS ? n : SC_MAX_HITS;
    return n_refs > 0 ? sc_drop_city_streets(c, n, refs, n_refs) : n;
}

/* What does not depend on the incident's size: language, local time, lexicon matches. */
static void sc_prepare(struct sc_ctx *c, struct km_lex_stemmers *st, int64_t now_ms)
{
    struct km_post *p = c->p;
    c->when = p->created_at > 0 ? p->created_at : now_ms;
    enum km_lang lang = km_lang_guess(c->nt);
    km_post_set(&p->lang, km_lang_code(lang));
    km_tz_localtime(c->t->tz, c->when, &c->lt);
    c->winter = km_routing_is_winter(c->t->routing, c->lt.month);
    c->night = km_routing_is_night(c->t->routing, c->lt.hour);
    c->n_hits = sc_match(c, sc_post_lang(lang), st);
    c->n_hits = c->n_hits < SC_MAX_HITS ? c->n_hits : SC_MAX_HITS;
    sc_hits_prepare(c);
}

/* Clears the answer of an earlier sc_finish(), in c and in the post. */
static void sc_clear_answer(struct sc_ctx *c)
{
    sc_reset(c->p);
    memset(&c->fixed, 0, offsetof(struct sc_ctx, hits) - offsetof(struct sc_ctx, fixed));
}

/* Category, urgency with its reasons, priority, SLA and agency for an incident of
 * incident_size posts. */
static void sc_finish(struct sc_ctx *c, int incident_size)
{
    struct km_post *p = c->p;
    sc_category(c);
    sc_urgency(c, incident_size);
    int prio = sc_priority(c->urgency);
    if (prio == 1) {
        sc_emergency(c);
    }
    p->triage.category = km_strdup(km_category_name(c->category));
    p->triage.urgency = c->urgency;
    p->triage.priority = prio;
    p->triage.sla_due = c->when + km_routing_sla_ms(c->t->routing, prio);
    p->triage.agency = km_strdup(km_routing_agency(c->t->routing, c->category));
    p->triage.scored = true;
}

/* One scoring of p: prepared once, finished for each incident size asked. */
struct sc_session {
    struct sc_ctx c;
    struct km_norm_text *nt;
    char *blanked;
};

/* Prepares s for p; false if the stemmers cannot be created (p unchanged). */
static bool sc_begin(struct sc_session *s, const struct km_triage *t, struct km_post *p,
                     int64_t now_ms)
{
    struct km_lex_stemmers *st = sc_stemmers();
    if (st == NULL) {
        return false;
    }
    sc_reset(p);
    struct sc_ctx *c = &s->c;
    memset(c, 0, offsetof(struct sc_ctx, hits));
    const char *text = p->text != NULL ? p->text : "";
    km_marks_find(text, &c->marks);
    s->blanked = c->marks.lyrics ? km_marks_blank_lyrics(text) : NULL;
    c->text = s->blanked != NULL ? s->blanked : text;
    s->nt = km_norm(c->text, strlen(c->text));
    c->t = t;
    c->p = p;
    c->nt = s->nt;
    sc_prepare(c, st, now_ms);
    return true;
}

static void sc_end(struct sc_session *s)
{
    km_norm_free(s->nt);
    free(s->blanked);
}

int km_triage_score(const struct km_triage *t, struct km_post *p, int incident_size, int64_t now_ms)
{
    struct sc_session s;
    if (!sc_begin(&s, t, p, now_ms)) {
        return KM_ERR;
    }
    sc_finish(&s.c, incident_size);
    sc_end(&s);
    return KM_OK;
}

int km_triage_post(const struct km_triage *t, struct km_dedup *d, struct km_post *p, int64_t now_ms,
                   struct km_dedup_result *r, struct km_err *err)
{
    struct sc_session s;
    if (!sc_begin(&s, t, p, now_ms)) {
        return km_err_set(err, KM_ERR, "cannot create the stemmers");
    }
    sc_finish(&s.c, 1);
    /* the scorer's reading of the text is dedup's too, unless lyrics were blanked in it */
    struct km_dedup_read read = {.nt = s.nt, .refs = s.c.refs, .n_refs = s.c.n_refs};
    int rc = km_dedup_check_read(d, p, s.blanked == NULL ? &read : NULL, now_ms, r, err);
    if (rc == KM_OK && r->size.posts > 1) { /* the matches stand; only the answer changes */
        sc_clear_answer(&s.c);
        sc_finish(&s.c, (int)r->size.posts);
    }
    sc_end(&s);
    return rc;
}
