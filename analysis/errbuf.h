/*
 * errbuf.h — error messages of the analysis library.
 *
 * Library functions return 0 (or a count) on success and a negative errno value on
 * failure; the human-readable reason ("samples.csv:17: column 'age_ns': 'x' is not an
 * integer") goes into a caller-owned struct tasvir_errbuf, never into a global.
 */
#ifndef TASVIR_ANALYSIS_ERRBUF_H
#define TASVIR_ANALYSIS_ERRBUF_H

#include <stddef.h>

struct tasvir_errbuf {
    char msg[1024];
};

/* Format a message into e (if e is not NULL); returns rc so callers can write
 * `return tasvir_err(e, -EINVAL, "...")`. */
int tasvir_err(struct tasvir_errbuf *e, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message already in e with "prefix: " (used to add a file or run name). */
void tasvir_err_prefix(struct tasvir_errbuf *e, const char *prefix);

#endif
