/*
 * errbuf.c — formatting of error messages into a caller-owned buffer (see errbuf.h).
 */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int tasvir_err(struct tasvir_errbuf *e, int rc, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
    }
    return rc;
}

void tasvir_err_prefix(struct tasvir_errbuf *e, const char *prefix)
{
    if (!e)
        return;
    /* Result: prefix ": " msg, truncated to the buffer. */
    size_t cap = sizeof(e->msg) - 1;
    size_t pl = strlen(prefix);
    if (pl > cap - 2)
        pl = cap - 2;
    size_t ml = strnlen(e->msg, cap);
    if (ml > cap - pl - 2)
        ml = cap - pl - 2;
    memmove(e->msg + pl + 2, e->msg, ml);
    memcpy(e->msg, prefix, pl);
    memcpy(e->msg + pl, ": ", 2);
    e->msg[pl + 2 + ml] = '\0';
}
