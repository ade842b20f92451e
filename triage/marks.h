/* Marks in a post's raw text that its words do not carry: km_norm() drops emoji and reads
 * digits one group at a time, yet "😂" says the post is a joke, "🎶 ... 🎶" quotes a song
 * and "+7 700 000 00 00" is the contact line of an advert or a notice. triage/score.c
 * reads them (README "Triage"):
 *   - laughter (😂 🤣 😹): a joke ("горю на работе 😂") is no emergency: life-safety is
 *     taken back;
 *   - lyrics, the text between two music marks (🎶 🎵 🎼 ♪ ♫) or after an unpaired one to
 *     the end of its line: a quoted song ("жүрегім өртеніп барады") is no report, its words
 *     are not matched;
 *   - a phone number (+7 or 8, then ten digits in groups): evidence for `other` (adverts,
 *     lost pets), and a damper when the post is `other`.
 * Pure functions, thread-safe. */
#ifndef KM_TRIAGE_MARKS_H
#define KM_TRIAGE_MARKS_H

#include <stdbool.h>
#include <stddef.h>

/* Digits of a Kazakhstan phone number with its country or trunk prefix (+7 / 8). */
#define KM_MARKS_PHONE_DIGITS 11

struct km_marks {
    const char *laugh; /* the first laughing emoji in the text, or NULL */
    size_t laugh_len;
    const char *phone; /* the first phone number, from its '+' or first digit, or NULL */
    size_t phone_len;
    bool lyrics; /* the text has a music mark, so maybe lyrics (km_marks_blank_lyrics()) */
};

/* Finds the marks of text (NUL-terminated UTF-8; NULL reads as ""). Pointers in *m point
 * into text. One pass over the bytes. */
void km_marks_find(const char *text, struct km_marks *m);

/* A copy of text with its lyrics overwritten by spaces, byte for byte, so the offsets of
 * everything else stay valid: the text between two music marks (a run of marks and blanks
 * counts as one), or after an unpaired one to the end of its line. Returns NULL when
 * nothing was blanked; otherwise the caller frees the copy. */
char *km_marks_blank_lyrics(const char *text);

#endif
