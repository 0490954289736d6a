/*
 * csv.c — strict CSV reader (see csv.h for the dialect).
 *
 * One line is read at a time with getline() into a buffer owned by the reader and split
 * in place: cells are pointers into that buffer.  The header is mapped once to the
 * caller's column list (pos[k] = position of wanted column k in the file).
 */
#include "csv.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct tasvir_csv {
    FILE *f;
    bool own_file;
    char *name;
    char *line;
    size_t line_cap;
    unsigned long lineno;
    const char *const *want;
    size_t nwant;
    size_t *pos;     /* wanted column k -> cell index in the file */
    size_t ncells;   /* number of columns in the header */
    char **cells;    /* current row, ncells pointers into line */
};

int tasvir_csv_fail(const struct tasvir_csv *c, struct tasvir_errbuf *e, int rc,
                    const char *fmt, ...)
{
    if (!e)
        return rc;
    char tmp[sizeof(e->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    int n = snprintf(e->msg, sizeof(e->msg), "%s:%lu: ", c->name, c->lineno);
    size_t used = n < 0 ? 0 : (size_t)n;
    if (used < sizeof(e->msg) - 1) {
        size_t room = sizeof(e->msg) - 1 - used;
        size_t len = strnlen(tmp, room);
        memcpy(e->msg + used, tmp, len);
        e->msg[used + len] = '\0';
    }
    return rc;
}

unsigned long tasvir_csv_line(const struct tasvir_csv *c)
{
    return c->lineno;
}

/* Read one physical line without its line end.  Returns 1, 0 at EOF, -EIO. */
static int read_line(struct tasvir_csv *c, struct tasvir_errbuf *e)
{
    errno = 0;
    ssize_t len = getline(&c->line, &c->line_cap, c->f);
    if (len < 0) {
        if (ferror(c->f))
            return tasvir_err(e, -EIO, "%s:%lu: read error: %s", c->name, c->lineno + 1,
                              strerror(errno ? errno : EIO));
        return 0;
    }
    c->lineno++;
    while (len > 0 && (c->line[len - 1] == '\n' || c->line[len - 1] == '\r'))
        c->line[--len] = '\0';
    if ((size_t)len != strlen(c->line))
        return tasvir_csv_fail(c, e, -EINVAL, "NUL byte in line (binary file?)");
    return 1;
}

/* Split c->line at commas into c->cells (growing it when max == 0).  Returns the cell count
 * or -ENOMEM.  With max > 0, counting continues past max but no pointers are stored. */
static long split(struct tasvir_csv *c, size_t max)
{
    size_t n = 0;
    char *p = c->line;
    for (;;) {
        if (max == 0) {
            char **cells = realloc(c->cells, (n + 1) * sizeof(*cells));
            if (!cells)
                return -ENOMEM;
            c->cells = cells;
        }
        if (max == 0 || n < max)
            c->cells[n] = p;
        n++;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return (long)n;
}

static int parse_header(struct tasvir_csv *c, struct tasvir_errbuf *e)
{
    int rc;
    do {
        rc = read_line(c, e);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            char list[512] = "";
            for (size_t k = 0; k < c->nwant; k++) {
                size_t used = strlen(list);
                if (c->want[k][0] != '?')
                    snprintf(list + used, sizeof(list) - used, "%s%s", used ? "," : "",
                             c->want[k]);
            }
            return tasvir_err(e, -EINVAL, "%s: empty file (expected a header line: %s)",
                              c->name, list);
        }
    } while (c->line[0] == '\0');
    /* UTF-8 byte-order mark written by some spreadsheet exports. */
    if (memcmp(c->line, "\xEF\xBB\xBF", 3) == 0)
        memmove(c->line, c->line + 3, strlen(c->line + 3) + 1);

    long n = split(c, 0);
    if (n < 0)
        return tasvir_err(e, -ENOMEM, "%s: out of memory", c->name);
    c->ncells = (size_t)n;
    for (size_t i = 0; i < c->ncells; i++)
        if (c->cells[i][0] == '\0')
            return tasvir_csv_fail(c, e, -EINVAL, "bad header: column %zu has an empty name",
                                   i + 1);
    for (size_t k = 0; k < c->nwant; k++) {
        size_t found = SIZE_MAX;
        bool optional = c->want[k][0] == '?';
        const char *name = c->want[k] + optional;
        for (size_t i = 0; i < c->ncells; i++) {
            if (strcmp(c->cells[i], name) != 0)
                continue;
            if (found != SIZE_MAX)
                return tasvir_csv_fail(c, e, -EINVAL,
                                       "bad header: column '%s' appears twice (columns %zu and %zu)",
                                       name, found + 1, i + 1);
            found = i;
        }
        if (found == SIZE_MAX && !optional) {
            char list[512] = "";
            for (size_t j = 0; j < c->nwant; j++) {
                size_t used = strlen(list);
                if (c->want[j][0] != '?')
                    snprintf(list + used, sizeof(list) - used, "%s%s", used ? "," : "",
                             c->want[j]);
            }
            return tasvir_csv_fail(c, e, -EINVAL,
                                   "bad header: missing column '%s' (required columns: %s)",
                                   c->want[k], list);
        }
        c->pos[k] = found;
    }
    return 0;
}

int tasvir_csv_open_stream(FILE *f, const char *name, const char *const *cols, size_t ncols,
                           struct tasvir_csv **out, struct tasvir_errbuf *e)
{
    *out = NULL;
    struct tasvir_csv *c = calloc(1, sizeof(*c));
    if (!c)
        return tasvir_err(e, -ENOMEM, "%s: out of memory", name);
    c->f = f;
    c->want = cols;
    c->nwant = ncols;
    c->name = strdup(name);
    c->pos = calloc(ncols ? ncols : 1, sizeof(*c->pos));
    if (!c->name || !c->pos) {
        tasvir_csv_close(c);
        return tasvir_err(e, -ENOMEM, "%s: out of memory", name);
    }
    int rc = parse_header(c, e);
    if (rc < 0) {
        tasvir_csv_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

int tasvir_csv_open(const char *path, const char *const *cols, size_t ncols,
                    struct tasvir_csv **out, struct tasvir_errbuf *e)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        int err = errno;
        return tasvir_err(e, -err, "%s: cannot open: %s", path, strerror(err));
    }
    int rc = tasvir_csv_open_stream(f, path, cols, ncols, out, e);
    if (rc < 0) {
        fclose(f);
        return rc;
    }
    (*out)->own_file = true;
    return 0;
}

int tasvir_csv_next(struct tasvir_csv *c, struct tasvir_errbuf *e)
{
    for (;;) {
        int rc = read_line(c, e);
        if (rc <= 0)
            return rc;
        if (c->line[0] != '\0')
            break;
    }
    long n = split(c, c->ncells);
    if (n < 0)
        return tasvir_err(e, -ENOMEM, "%s: out of memory", c->name);
    if ((size_t)n != c->ncells)
        return tasvir_csv_fail(c, e, -EINVAL, "wrong column count: expected %zu cells (as in the "
                               "header), found %ld", c->ncells, n);
    return 1;
}

const char *tasvir_csv_str(const struct tasvir_csv *c, size_t k)
{
    return c->pos[k] == SIZE_MAX ? "" : c->cells[c->pos[k]]; /* an absent optional column */
}

int tasvir_csv_i64(struct tasvir_csv *c, size_t k, int64_t *v, struct tasvir_errbuf *e)
{
    const char *s = tasvir_csv_str(c, k);
    if (s[0] == '\0')
        return 0;
    const char *p = s[0] == '-' ? s + 1 : s;
    bool digits = *p != '\0';
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            digits = false;
    if (!digits)
        return tasvir_csv_fail(c, e, -EINVAL, "column '%s': '%.40s' is not an integer",
                               c->want[k] + (c->want[k][0] == '?'), s);
    errno = 0;
    long long x = strtoll(s, NULL, 10);
    if (errno == ERANGE)
        return tasvir_csv_fail(c, e, -EINVAL, "column '%s': '%.40s' is out of the 64-bit range",
                               c->want[k] + (c->want[k][0] == '?'), s);
    *v = (int64_t)x;
    return 1;
}

int tasvir_csv_i64_req(struct tasvir_csv *c, size_t k, int64_t *v, struct tasvir_errbuf *e)
{
    int rc = tasvir_csv_i64(c, k, v, e);
    if (rc == 0)
        return tasvir_csv_fail(c, e, -EINVAL, "column '%s' must not be empty", c->want[k]);
    return rc;
}

void tasvir_csv_close(struct tasvir_csv *c)
{
    if (!c)
        return;
    if (c->own_file && c->f)
        fclose(c->f);
    free(c->name);
    free(c->line);
    free(c->pos);
    free(c->cells);
    free(c);
}
