/* Fuzz target: HTML to text (parser/html.c, libxml2's HTML parser and a tree walk). */
#include "parser/html.h"
#include "test/fuzz/fuzz.h"

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init();
    return 0;
}

/* html.h: never NULL, valid UTF-8, no NUL, never starts or ends with whitespace. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = km_html_to_text((const char *)data, size);
    fz_check(text != NULL, "NULL text");
    size_t len = strlen(text);
    fz_check_str("text", text);
    fz_check(len == 0 || (!is_blank(text[0]) && !is_blank(text[len - 1])),
             "text starts or ends with whitespace: [%s]", text);
    free(text);
    return 0;
}
