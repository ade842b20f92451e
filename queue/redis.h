/* One Redis connection that parses komek's Redis URLs, authenticates, selects the database
 * and reconnects by itself; the building block of queue.c.
 *
 * Commands always go in as argument vectors with explicit lengths (redisCommandArgv,
 * redisAppendCommandArgv), never through a format string. An I/O error drops the
 * connection and returns KM_RETRY; the next km_redis_call() connects again. Error replies
 * return KM_RETRY when they mean "not now" (LOADING, BUSY, MASTERDOWN, TRYAGAIN,
 * CLUSTERDOWN, READONLY, OOM, NOGROUP) and KM_ERR otherwise. Not thread-safe. */
#ifndef KM_QUEUE_REDIS_H
#define KM_QUEUE_REDIS_H

#include "common/err.h"

#include <hiredis/hiredis.h>

#include <stddef.h>
#include <stdint.h>

struct km_redis;

/* Parses url ("redis://[[user]:password@]host[:port][/db]", user and password
 * %-encoded, or an absolute unix socket path; NULL means redis://127.0.0.1:6379) without
 * connecting. password (may be NULL) overrides the URL's. timeout_ms bounds connecting and
 * each command. Returns KM_OK with *out (free with km_redis_free()) or KM_EINPUT with a
 * message that never contains the password. */
int km_redis_new(const char *url, const char *password, int64_t timeout_ms,
                 struct km_redis **out, struct km_err *err);
/* Closes the connection and frees rd; NULL is ignored. */
void km_redis_free(struct km_redis *rd);

/* "host:port" or the socket path, for messages; borrowed from rd. */
const char *km_redis_where(const struct km_redis *rd);

/* Runs one command, connecting first if needed. A connection that was idle may have been
 * closed by a Redis restart, which shows only when it is used: then it reconnects once and
 * repeats the command, so use it only for commands that are safe to repeat. extra_ms
 * lengthens the timeout for this command (XREADGROUP BLOCK). On KM_OK *out is the reply,
 * never an error reply; release it with freeReplyObject(). */
int km_redis_call(struct km_redis *rd, int argc, const char **argv, const size_t *lens,
                  int64_t extra_ms, redisReply **out, struct km_err *err);

/* Like km_redis_call() on the current connection only: no connecting, no repeat (for a
 * command inside a WATCH). KM_RETRY if not connected. */
int km_redis_exec(struct km_redis *rd, int argc, const char **argv, const size_t *lens,
                  redisReply **out, struct km_err *err);

/* Buffers a command for pipelining (sent by the next km_redis_read()). KM_RETRY if not
 * connected or the command could not be buffered. */
int km_redis_append(struct km_redis *rd, int argc, const char **argv, const size_t *lens,
                    struct km_err *err);

/* Sends what km_redis_append() buffered without waiting for any reply (the server works on
 * it while the caller does something else; km_redis_read() then reads the replies).
 * KM_RETRY (connection dropped) if not connected or the write fails. */
int km_redis_send(struct km_redis *rd, struct km_err *err);

/* Reads the next reply of a pipeline, error replies included; what names the command in
 * messages. On KM_OK *out is the reply (freeReplyObject()). */
int km_redis_read(struct km_redis *rd, redisReply **out, const char *what, struct km_err *err);

/* Fills err from error reply r of command what; returns KM_RETRY or KM_ERR (see above). */
int km_redis_reply_error(const struct km_redis *rd, const redisReply *r, const char *what,
                         struct km_err *err);

#endif
