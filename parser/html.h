/* HTML to plain text, for Mastodon statuses, RSS descriptions and Atom content.
 *
 * Uses libxml2's HTML parser (no network, no external entities, errors silenced), then
 * walks the tree without recursion: text is kept with every whitespace run (including
 * U+00A0) collapsed to one space; <br> is a line break; block elements (p, div, li, h1-h6,
 * blockquote, tr, ...) are separated by one blank line; script, style, head, template and
 * comments are dropped; character and entity references are decoded. The result never
 * starts or ends with whitespace and is always valid UTF-8 without NUL bytes. libxml2
 * stops at 256 nested elements: text after that point is lost (no crash). */
#ifndef KM_PARSER_HTML_H
#define KM_PARSER_HTML_H

#include <libxml/tree.h>
#include <stddef.h>

/* Converts html[0..len) (need not be NUL-terminated; may be garbage, contain NUL bytes or
 * invalid UTF-8, which becomes U+FFFD) to text. "<p>a <b>b</b></p><p>c</p>" gives
 * "a b\n\nc". Returns a malloc'd string, "" for empty input, never NULL; caller frees.
 * Thread-safe once xmlInitParser() has run. */
char *km_html_to_text(const char *html, size_t len);

/* The same conversion for the children of an element already parsed as XML (an Atom
 * content element of type "xhtml"). Entity references are not followed, so an entity
 * bomb in the document cannot expand here. Returns a malloc'd string, never NULL; caller
 * frees. node may be NULL (gives ""). */
char *km_html_node_to_text(const xmlNode *node);

#endif
