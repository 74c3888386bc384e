// test_status.c - failure reasons and checked size arithmetic.
#include <stdint.h>

#include "check.h"
#include "core/status.h"

TEST(a_failure_returns_its_status_and_keeps_a_readable_reason) {
    td_clear_error();
    CHECK_EQ(td_fail(TD_ERR_ARG, "steps must be positive, got %d", -3), TD_ERR_ARG);
    CHECK_CONTAINS(td_error_message(), "steps must be positive, got -3");
    td_clear_error();
    CHECK_EQ(td_error_message()[0], '\0');
}

TEST(a_failure_can_wrap_the_previous_reason_without_garbling_it) {
    td_fail(TD_ERR_FORMAT, "tensor 'w' is missing");
    td_fail(TD_ERR_FORMAT, "cannot load the model: %s", td_error_message());
    CHECK_CONTAINS(td_error_message(), "cannot load the model: tensor 'w' is missing");
}

TEST(an_over_long_reason_is_truncated_not_overflowed) {
    char big[2000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    td_fail(TD_ERR_ARG, "%s", big);
    CHECK(strlen(td_error_message()) < sizeof big - 1);
    CHECK(strlen(td_error_message()) > 100);
}

TEST(every_status_has_a_name) {
    CHECK_CONTAINS(td_status_name(TD_ERR_NOMEM), "memory");
    CHECK_CONTAINS(td_status_name(TD_ERR_SHAPE), "shape");
    CHECK_CONTAINS(td_status_name((td_status)-99), "unknown");
}

TEST(checked_size_arithmetic_refuses_overflow) {
    size_t out = 0;
    CHECK_EQ(td_mul_size(1u << 20, 1u << 10, &out), 0);
    CHECK_EQ(out, (size_t)1 << 30);
    CHECK_EQ(td_mul_size(SIZE_MAX / 2 + 1, 2, &out), -1);
    CHECK_EQ(td_mul_size(0, SIZE_MAX, &out), 0);
    CHECK_EQ(out, 0);
    CHECK_EQ(td_add_size(SIZE_MAX, 1, &out), -1);
    CHECK_EQ(td_add_size(SIZE_MAX - 1, 1, &out), 0);
}

int main(void) {
    RUN(a_failure_returns_its_status_and_keeps_a_readable_reason);
    RUN(a_failure_can_wrap_the_previous_reason_without_garbling_it);
    RUN(an_over_long_reason_is_truncated_not_overflowed);
    RUN(every_status_has_a_name);
    RUN(checked_size_arithmetic_refuses_overflow);
    return check_summary("test_status");
}
