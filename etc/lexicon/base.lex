# base.lex — base urgency of each category, its winter and night extras, and the caps of
# the urgency cues. Part of the komek triage lexicon (etc/lexicon/*.lex, read in name order).
#
# README (the same format in every .lex file)
#   One entry per line, blank-separated fields; '#' starts a comment; quote a TERM with
#   blanks: "запах газа".
#     CLASS  LANG  MODE  WEIGHT  TERM  [FLAG ...]
#   CLASS  a category (snow flooding roads manholes transport medical electricity heating
#          water gas stray_animals schools garbage lighting parking greenery public_order
#          elevator consultation gratitude other) or a cue (life impact help vulnerable
#          duration cold question thanks fixed suggestion calm negation); '*' on not lines.
#   LANG   ru, kk or en ('*' on base and cap lines).
#   MODE   word    the surface form (Kazakh: the root and its generated inflected forms)
#          stem    same Snowball stem (ru, en); Kazakh: as word
#          prefix  the token starts with TERM (at least 3 letters)
#          phrase  the words in order, at most gap (default 2) other tokens between two;
#                  x* = prefix, =x = exact form, else stem (Kazakh: inflected forms);
#                  with gap <= 2 the words stay in one clause (a ! ? ; , newline or ". "
#                  ends it: "в порядке, попил воды" is no "в воде"), a wider gap= may cross
#          not     exclusion: tokens it covers never count for CLASS ('*' = any class)
#          base    category base urgency (TERM '-'); the cold cue's points
#          cap     most points (absolute) one cue class may add (TERM '-')
#   WEIGHT category lines: evidence for the category (the highest sum wins);
#          cue lines: urgency points (negative for dampers); -100..100.
#   FLAGS  winter / night (the line counts only then), strict (only in posts of LANG),
#          after (negation: the negator follows, as Kazakh жоқ), over (fixed and calm:
#          the danger is over, elsewhere or imagined, "потушили", a drill, news: the
#          post's life-safety points are taken back whole), call=N (life: number
#          shown on P1), gap=N (phrase), on base lines winter=N night=N (extra points)
#          and below=N (cold: degrees Celsius at or below which it counts).
#   Besides words (triage/marks.h): laughter (😂) takes life-safety back as over does;
#   text between music marks (🎶 ... 🎶) is a song and is not matched; a phone number
#   is 4 points for other and, in an other post, -25 (an advert or a notice). A post
#   with neither a life-safety point nor a vulnerable person stays below P1.
#   Winter months and night hours come from routing.conf [time] (Asia/Almaty).
#   Check a change with `komekctl check`; every bad line is reported as FILE:LINE.
#
# Bands (README "Triage"): P1 >= 70, P2 >= 50, P3 >= 20, else P4. A topical category alone
# is P3 (25); a building or street affected now (impact, up to 25) makes P2; danger to life
# makes P1: 70 for cues that are an emergency on their own (fire, gas smell, unconscious),
# 40-50 for those that are one together with a category (a bite, boiling water, a person
# stuck in a lift).

# class        lang mode  weight term  flags
snow           *    base  25     -
flooding       *    base  25     -
roads          *    base  25     -
manholes       *    base  25     -     night=5
transport      *    base  25     -
medical        *    base  30     -     night=5
electricity    *    base  25     -     winter=5 night=5
heating        *    base  25     -     winter=5 night=5
water          *    base  25     -     winter=5
gas            *    base  30     -     winter=5
stray_animals  *    base  25     -     night=5
schools        *    base  25     -
garbage        *    base  25     -
lighting       *    base  25     -     night=5
parking        *    base  25     -
greenery       *    base  25     -
public_order   *    base  25     -     night=5
elevator       *    base  25     -     night=5
consultation   *    base  0      -
gratitude      *    base  0      -
other          *    base  0      -

# Extreme frost written in the post ("-31", "−34").
cold           *    base  10     -     below=-25

# Caps: a cue class adds its strongest matches up to this many points.
life           *    cap   70     -
impact         *    cap   25     -
help           *    cap   10     -
vulnerable     *    cap   10     -
duration       *    cap   5      -
question       *    cap   10     -
thanks         *    cap   10     -
fixed          *    cap   45     -
suggestion     *    cap   30     -
calm           *    cap   45     -
