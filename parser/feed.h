/* RSS 2.0, RSS 1.0 (RDF) and Atom 1.0 feeds on libxml2.
 *
 * Documents are read with XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING and
 * never with NOENT, DTDLOAD or HUGE: no external DTD or entity is loaded, entity
 * references are not substituted, and the text readers here skip entity-reference nodes,
 * so neither an XXE ("<!ENTITY x SYSTEM 'file:///etc/passwd'>") nor a billion-laughs bomb
 * reaches the items. libxml2 2.9.14 also refuses documents nested deeper than 256.
 * Call xmlInitParser() once before threads start (main() does). */
#ifndef KM_PARSER_FEED_H
#define KM_PARSER_FEED_H

#include "common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct km_feed_item {
    char *id;             /* RSS guid, Atom id, RDF rdf:about; else the link; NULL if none */
    char *title;          /* plain text (Atom type="html" turned into text), whitespace collapsed;
                           * NULL if none. Every string here is NULL rather than "" */
    char *link;           /* RSS link, Atom link rel="alternate" (or without rel) href */
    char *summary;        /* content:encoded, else description (RSS/RDF); atom:content, else
                           * atom:summary; HTML (RSS always, Atom type="html"/"xhtml") turned
                           * into text by km_html_to_text(); plain text whitespace-collapsed */
    char *author;         /* dc:creator, else RSS author; Atom author/name (entry, else feed) */
    int64_t published_ms; /* pubDate (RFC 822) or dc:date; Atom published, else updated
                           * (RFC 3339); 0 if absent or unparseable */
    char **categories;    /* RSS category, dc:subject, Atom category/@term; no duplicates */
    size_t n_categories;
};

struct km_feed {
    const char *format;         /* "rss", "rdf" or "atom" (static string) */
    char *title;                /* channel / feed title; NULL if none */
    long ttl_minutes;           /* RSS <ttl>; 0 if absent or invalid */
    bool repaired;              /* invalid UTF-8 was replaced by U+FFFD to read the document */
    struct km_feed_item *items; /* in document order */
    size_t n;
};

/* Parses buf[0..len). On KM_OK *out is the feed (free with km_feed_free()); strings are
 * UTF-8 whatever the document's encoding. Returns KM_EINPUT with err set to "empty body",
 * "line N: <libxml2 message>" for malformed XML or "not an RSS or Atom feed" for another
 * root element; *out is then NULL. A UTF-8 document with invalid bytes is repaired and
 * read again (repaired = true) rather than rejected. Thread-safe. */
int km_feed_parse(const char *buf, size_t len, struct km_feed **out, struct km_err *err);

/* Frees the feed, its items and their strings. NULL is fine. */
void km_feed_free(struct km_feed *f);

#endif
