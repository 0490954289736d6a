/*
 * nocrit.h — a minimal stand-in for the parts of Criterion the threaded tests use, so they
 * can run under ThreadSanitizer: Criterion 2.4 cannot start under TSan (its inheritable
 * arena mmap collides with TSan's memory layout; upstream issue Snaipe/Criterion#274).
 *
 * Test(suite, name, ...) registers a function; main() runs them in order (or those whose
 * "suite/name" matches argv[1]).  cr_assert(expr, fmt...) prints the location and message
 * and exits 1 on failure, from any thread.  eq/ne/lt/le/gt/ge/not evaluate plainly.
 */
#ifndef TASVIR_TEST_NOCRIT_H
#define TASVIR_TEST_NOCRIT_H

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOCRIT_MAX 64
struct nocrit_test {
    const char *suite, *name;
    void (*fn)(void);
};
static struct nocrit_test nocrit_tests[NOCRIT_MAX];
static int nocrit_n;

#define Test(suite, name, ...)                                                             \
    static void suite##_##name(void);                                                      \
    __attribute__((constructor)) static void nocrit_reg_##suite##_##name(void)             \
    {                                                                                      \
        if (nocrit_n < NOCRIT_MAX)                                                         \
            nocrit_tests[nocrit_n++] = (struct nocrit_test){#suite, #name, suite##_##name}; \
    }                                                                                      \
    static void suite##_##name(void)

#define eq(type, a, b) ((a) == (b))
#define ne(type, a, b) ((a) != (b))
#define lt(type, a, b) ((a) < (b))
#define le(type, a, b) ((a) <= (b))
#define gt(type, a, b) ((a) > (b))
#define ge(type, a, b) ((a) >= (b))
#define not(x) (!(x))

#define cr_assert(expr, ...)                                                               \
    do {                                                                                   \
        if (!(expr)) {                                                                     \
            fprintf(stderr, "%s:%d: assertion failed: %s", __FILE__, __LINE__, #expr);     \
            fprintf(stderr, " " __VA_ARGS__); /* never an empty format */                  \
            fputc('\n', stderr);                                                           \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

#define cr_log_info(...)                                                                   \
    do {                                                                                   \
        fprintf(stderr, "  info: " __VA_ARGS__);                                           \
        fputc('\n', stderr);                                                               \
    } while (0)

int main(int argc, char **argv)
{
    int ran = 0;
    for (int i = 0; i < nocrit_n; i++) {
        char full[256];
        snprintf(full, sizeof(full), "%s/%s", nocrit_tests[i].suite, nocrit_tests[i].name);
        if (argc > 1 && fnmatch(argv[1], full, 0) != 0)
            continue;
        fprintf(stderr, "[RUN ] %s\n", full);
        nocrit_tests[i].fn();
        fprintf(stderr, "[PASS] %s\n", full);
        ran++;
    }
    fprintf(stderr, "%d test(s) passed\n", ran);
    return ran ? 0 : 1;
}

#endif
