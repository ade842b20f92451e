/* A guard for the XML security tests of parser/feed and parser/html: counts every external
 * resource libxml2 tries to reach while it is armed, by two hooks that see all of them:
 *
 *   - the external entity loader (xmlSetExternalEntityLoader): called for every external
 *     DTD subset, general or parameter entity the parser decides to load;
 *   - an input callback (xmlRegisterInputCallbacks) whose match function is asked about
 *     every URI opened for reading, whatever asked for it (catalogs included).
 *
 * Both only record and then defer to libxml2's own behaviour (the saved loader; the match
 * function says "not mine"), so the code under test runs exactly as in komekd. A test
 * asserts xt_guard_end() == 0: not one file or URL was opened. Header-only (static) because
 * each test binary is one .c file. Include after <cmocka.h>. */
#ifndef KM_TEST_XML_TEST_H
#define KM_TEST_XML_TEST_H

#include <libxml/parser.h>
#include <libxml/xmlIO.h>
#include <stdio.h>

static unsigned xt_loads; /* external entity loader calls while armed */
static unsigned xt_opens; /* URIs libxml2 tried to open while armed */
static char xt_last[256]; /* the last of them, for the failure message */
static xmlExternalEntityLoader xt_saved;

static xmlParserInputPtr xt_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
    xt_loads++;
    snprintf(xt_last, sizeof(xt_last), "entity %s", url != NULL ? url : id != NULL ? id : "?");
    return xt_saved(url, id, ctxt);
}

static int xt_match(const char *uri)
{
    xt_opens++;
    snprintf(xt_last, sizeof(xt_last), "open %s", uri != NULL ? uri : "?");
    return 0; /* not ours: libxml2's own handlers decide, as without the guard */
}

/* Arms the guard (not nestable). */
static inline void xt_guard_begin(void)
{
    xt_loads = 0;
    xt_opens = 0;
    xt_last[0] = '\0';
    xt_saved = xmlGetExternalEntityLoader();
    xmlSetExternalEntityLoader(xt_loader);
    assert_true(xmlRegisterInputCallbacks(xt_match, NULL, NULL, NULL) >= 0);
}

/* Disarms it and returns how many external loads or opens were attempted (0 expected);
 * xt_last then names the last one. */
static inline unsigned xt_guard_end(void)
{
    xmlPopInputCallbacks();
    xmlSetExternalEntityLoader(xt_saved);
    return xt_loads + xt_opens;
}

#endif
