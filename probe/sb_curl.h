/*
 * sb_curl — libcurl's multi-socket interface on a libuv loop, for any probe
 * type that speaks through curl: no blocking call, no thread per transfer.
 *
 * Transfers run on several multi handles (shards) of at most a few dozen
 * transfers each, whose sockets are watched through one epoll set of the
 * engine's, and borrow their easy handles from a pool kept as small as the
 * transfers in flight allow. When a transfer ends, the engine calls its
 * `done` function with the easy handle (its CURLOPT_PRIVATE says whose it
 * is) and curl's result; the owner then stops it (sb_curl_stop).
 *
 * A transfer that keeps its connection between runs (keep_connection) runs
 * on the same multi handle every time, its home, whose connection cache
 * then holds the connection; at most 128 transfers share a home. Other
 * transfers run on multi handles that are nobody's home.
 *
 * Lifecycle: sb_curl_new() on the loop's thread; per transfer
 * sb_curl_lend() (an easy handle, as its last owner left it, for the owner
 * to set up), sb_curl_start(), then sb_curl_stop() once done or to cancel;
 * sb_curl_forget() when the owner is done with the transfer for good;
 * sb_curl_close() once every transfer is stopped (handles close
 * asynchronously: run the loop afterwards).
 *
 * Thread: the loop's thread only.
 */
#ifndef SB_CURL_H
#define SB_CURL_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct sb_curl sb_curl_t;

/* A transfer's share of the engine; zeroed when it has none. */
typedef struct {
    CURL *easy;   /* lent; NULL between transfers */
    void *lent;   /* its pool entry */
    void *shard;  /* the multi handle running it */
    bool running; /* added to the multi handle */
    /* The owner's mark of how `easy` is set up, kept with the handle in the
     * pool: a lent handle is NOT reset, so that options every owner sets
     * alike need not be set (and their strings copied) at every run. 0: a
     * new handle, or one whose set-up is unknown; the owner resets it. */
    uintptr_t setup;
    /* Set by the owner before sb_curl_start: run on one multi handle, the
     * same run after run, so that its connection cache holds this
     * transfer's connection for the next run (keep-alive). */
    bool keep_connection;
    void *home; /* that multi handle; kept between runs until sb_curl_forget */
    /* curl's error text for the run (CURLOPT_ERRORBUFFER, set by
     * sb_curl_start, emptied by it and by sb_curl_rerun): the lent handle's,
     * CURL_ERROR_SIZE bytes; NULL when nothing is lent. */
    char *error;
} sb_curl_transfer_t;

/* Called when a transfer ends (within sb_curl's socket or timer callbacks). */
typedef void (*sb_curl_done_fn)(CURL *easy, CURLcode result);

int sb_curl_new(sb_curl_t **out, uv_loop_t *loop, sb_curl_done_fn done);
void sb_curl_close(sb_curl_t *curl);

/* Borrow an easy handle into `t`, set up as t->setup says (not reset).
 * Returns 0 or -ENOMEM. */
int sb_curl_lend(sb_curl_t *curl, sb_curl_transfer_t *t);

/* Run the transfer set up on t->easy. Returns 0, or -ENOMEM after giving
 * the handle back. */
int sb_curl_start(sb_curl_t *curl, sb_curl_transfer_t *t);

/* Stop the transfer if it runs, and give its handle back. No `done` call
 * follows. Safe on a transfer with nothing lent. */
void sb_curl_stop(sb_curl_t *curl, sb_curl_transfer_t *t);

/* From within `done`: run the same transfer again on the same multi handle,
 * with whatever options the owner changed since (a fresh connection).
 * Returns 0, or -ENOMEM after stopping it. */
int sb_curl_rerun(sb_curl_t *curl, sb_curl_transfer_t *t);

/* The owner will run no more transfers on `t`: give up its home (its kept
 * connection closes when the multi handle's cache next needs the room, or
 * when it gets too old). Stops the transfer first. */
void sb_curl_forget(sb_curl_t *curl, sb_curl_transfer_t *t);

#endif
