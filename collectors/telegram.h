/* What the Telegram collector (telegram.c) and the Telegram replies (reply_telegram.c)
 * share. */
#ifndef KM_COLLECTORS_TELEGRAM_H
#define KM_COLLECTORS_TELEGRAM_H

#include <stdbool.h>

/* True if token is a bot token, "<digits>:<letters, digits, '_' or '-'>"; anything else
 * would also change the meaning of the request URL it is pasted into. Pure. */
bool km_telegram_token_valid(const char *token);

#endif
