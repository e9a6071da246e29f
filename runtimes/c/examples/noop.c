/* SPDX-License-Identifier: MIT */
/*
 * noop: an example `bootstrap` that answers every invocation with {} at once.
 * Benchmarks use it to measure the platform's own overhead per invocation
 * and per cold start, so it does nothing beyond the runtime loop.
 */
#include "lambda_runtime.h"

static int handle(const struct lambda_invocation *inv, struct lambda_result *res, void *arg)
{
    (void)inv;
    (void)arg;
    res->body = "{}";
    res->body_len = 2;
    return 0;
}

int main(void)
{
    return lambda_runtime_run(handle, NULL) < 0 ? 1 : 0;
}
