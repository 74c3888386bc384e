// check.h - the whole test framework: tests named as sentences, checks that
// report what they saw, and a closing "N passed, N failed" line.
//
//   TEST(inverse_cdf_is_exact_to_1e_12) { CHECK_NEAR(td_normal_icdf(0.5), 0.0, 1e-12); }
//   int main(void) { RUN(inverse_cdf_is_exact_to_1e_12); return check_summary("test_rng"); }
//
// A test fails when any of its checks fails; a failed check prints the file,
// line, expression and values, and the test goes on so one run shows all.
#ifndef TD_CHECK_H
#define TD_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_tests_passed, check_tests_failed, check_current_failures;

#define TEST(name) static void name(void)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            check_current_failures++;                                          \
            printf("    %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                      \
    } while (0)

// |a - b| <= tol, printing both values when it is not.
#define CHECK_NEAR(a, b, tol)                                                        \
    do {                                                                             \
        double check_a_ = (double)(a), check_b_ = (double)(b);                       \
        if (!(fabs(check_a_ - check_b_) <= (double)(tol))) {                         \
            check_current_failures++;                                                \
            printf("    %s:%d: %s = %.9g, expected %s = %.9g (tolerance %g)\n",      \
                   __FILE__, __LINE__, #a, check_a_, #b, check_b_, (double)(tol));   \
        }                                                                            \
    } while (0)

// Integer equality, printing both values.
#define CHECK_EQ(a, b)                                                              \
    do {                                                                            \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);             \
        if (check_a_ != check_b_) {                                                 \
            check_current_failures++;                                               \
            printf("    %s:%d: %s = %lld, expected %s = %lld\n", __FILE__, __LINE__, \
                   #a, check_a_, #b, check_b_);                                     \
        }                                                                           \
    } while (0)

// `haystack` contains `needle` (for error messages).
#define CHECK_CONTAINS(haystack, needle)                                               \
    do {                                                                               \
        const char *check_h_ = (haystack), *check_n_ = (needle);                       \
        if (!check_h_ || !strstr(check_h_, check_n_)) {                                \
            check_current_failures++;                                                  \
            printf("    %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, \
                   check_h_ ? check_h_ : "(null)", check_n_);                          \
        }                                                                              \
    } while (0)

// Print the test's name as a sentence (underscores to spaces) with its result.
static void check_run(const char *name, void (*test)(void)) {
    char sentence[256];
    size_t i = 0;
    for (; name[i] && i + 1 < sizeof sentence; i++) sentence[i] = name[i] == '_' ? ' ' : name[i];
    sentence[i] = '\0';
    check_current_failures = 0;
    test();
    if (check_current_failures == 0) {
        check_tests_passed++;
        printf("ok   %s\n", sentence);
    } else {
        check_tests_failed++;
        printf("FAIL %s (%d failed checks)\n", sentence, check_current_failures);
    }
    fflush(stdout);
}

#define RUN(name) check_run(#name, name)

// Print the closing line and return the process exit code.
static int check_summary(const char *program) {
    printf("%s: %d passed, %d failed\n", program, check_tests_passed, check_tests_failed);
    return check_tests_failed == 0 && check_tests_passed > 0 ? 0 : 1;
}

#endif
