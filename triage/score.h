/* Triage scoring: category, urgency 0-100 with a reason for every point, priority P1-P4,
 * first-reaction deadline (SLA) and agency of a post.
 *
 * Urgency is a sum of explained contributions (each one a reason line such as
 * `+50 life-safety: "запах газа"`): the category's base, winter and night extras, cues
 * (life-safety, impact, help request, vulnerable people, duration, extreme cold), resonance
 * (engagement and incident size, logarithmic) and dampers (question, thanks, already fixed,
 * suggestion, not urgent), clamped to 0..100. Cue classes add up to their cap from the
 * lexicon; a cue next to a negator ("газом не пахнет") adds nothing and says so. Priority
 * bands: P1 >= KM_TRIAGE_P1_MIN, P2 >= KM_TRIAGE_P2_MIN, P3 >= KM_TRIAGE_P3_MIN, else P4;
 * P1 posts carry the emergency numbers to call as a reason line.
 *
 * Thread-safety: a struct km_triage is immutable once loaded and may be shared by every
 * thread. Snowball stemmers are not thread-safe, so km_triage_score() keeps one pair per
 * thread (created on first use, freed when the thread exits through a pthread key
 * destructor, or by km_triage_thread_end()). Local time (night, winter) comes from the
 * zone's TZif file read once at load (triage/tz.h), never from TZ/tzset(). */
#ifndef KM_TRIAGE_SCORE_H
#define KM_TRIAGE_SCORE_H

#include "common/err.h"
#include "parser/post.h"
#include "triage/lexicon.h"
#include "triage/routing.h"

#include <stdint.h>
#include <stdio.h>

/* Priority bands over the urgency (documented in README "Triage"). */
#define KM_TRIAGE_P1_MIN 70
#define KM_TRIAGE_P2_MIN 50
#define KM_TRIAGE_P3_MIN 20
/* Fewest evidence points for a topical category; below it the post is "other". */
#define KM_TRIAGE_MIN_EVIDENCE 2
/* Most cue reason lines per post (the category, base, winter, night, cold, resonance,
 * clamp and P1 lines come on top): enough for every contribution of a real post, bounded
 * for a pasted wall of keywords. */
#define KM_TRIAGE_MAX_REASONS 24
/* Longest quotation of the original text in a reason, in bytes. */
#define KM_TRIAGE_MAX_QUOTE 80

struct km_triage;

/* Loads every ".lex" file of lexicon_dir and routing_path (NULL: the defaults of
 * km_routing_new()), then the time zone that routing names. Every bad line of every file
 * is reported to report (may be NULL) as "FILE:LINE: message"; err gets the first. Returns
 * KM_OK with *out owned by the caller (km_triage_free()), KM_EINPUT or KM_ERR. */
int km_triage_load(const char *lexicon_dir, const char *routing_path, FILE *report,
                   struct km_triage **out, struct km_err *err);

/* Builds a triage from a lexicon and routing the caller made (tests, komekctl backtest).
 * Takes ownership of both, also on failure (they are freed then). Loads routing's zone.
 * Returns KM_OK with *out owned by the caller, or KM_ERR / KM_EINPUT (zone). */
int km_triage_new_take(struct km_lexicon *lx, struct km_routing *routing, struct km_triage **out,
                       struct km_err *err);
void km_triage_free(struct km_triage *t);

/* The lexicon and routing in use (borrowed). */
const struct km_lexicon *km_triage_lexicon(const struct km_triage *t);
const struct km_routing *km_triage_routing(const struct km_triage *t);

/* Scores p: sets p->lang and p->triage.{scored, category, urgency, priority, reasons,
 * sla_due, agency}, replacing earlier values of those fields (the dedup fields are left
 * alone). incident_size is the number of posts in p's incident (1 or less when alone);
 * now_ms is used when p->created_at is 0, for night/winter and the SLA. Returns KM_OK, or
 * KM_ERR when this thread's stemmers cannot be created (p is then left unscored).
 * Thread-safe: any number of threads may score with one t. */
int km_triage_score(const struct km_triage *t, struct km_post *p, int incident_size,
                    int64_t now_ms);

/* The whole triage of one post, in the order komekd uses: scores p alone (its category is
 * part of its place key), deduplicates it against d's window at now_ms (*r gets the
 * result), and scores it again with its incident's size when it joined one. Returns KM_OK,
 * KM_ERR (no stemmers: p unscored) or the result of km_dedup_check() (KM_RETRY when the
 * window's store is unreachable, with err set; p is then scored alone). */
struct km_dedup;
struct km_dedup_result;
int km_triage_post(const struct km_triage *t, struct km_dedup *d, struct km_post *p,
                   int64_t now_ms, struct km_dedup_result *r, struct km_err *err);

/* Frees the calling thread's stemmers now (they are also freed when a thread exits; the
 * main thread calls this before exit to leave nothing behind). */
void km_triage_thread_end(void);

/* "P1" .. "P4" (a static string; "P4" for anything out of range). */
const char *km_priority_name(int priority);

#endif
