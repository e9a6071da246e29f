/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_SANDBOX_FILTER_H
#define LAMBDAD_SANDBOX_FILTER_H

/*
 * The seccomp filter every sandboxed instance gets: built once with
 * libseccomp at start-up and exported as classic BPF, so that the child only
 * makes one prctl() before execve. Default allow; the system calls a
 * function never needs (mount, pivot_root, ptrace, kexec, bpf, modules,
 * keys, reboot, swap, setns/unshare, clone with namespace flags,
 * process_vm_*, perf_event_open, ...) fail with EPERM; clone3 fails with
 * ENOSYS (its flags cannot be inspected) so that libc falls back to clone.
 * Native x86-64 plus the i386 and x32 ABIs.
 * Without libseccomp at build time (LAMBDAD_HAVE_SECCOMP undefined) filter_new
 * returns -ENOTSUP.
 */

#include <stdbool.h>

struct sock_fprog;
struct filter; /* the exported program */

/* Builds the filter. Returns 0 and new *out (free with filter_free),
 * -ENOTSUP without libseccomp, or -errno. Start-up only. */
int filter_new(struct filter **out);

/* Frees f; NULL is a no-op. */
void filter_free(struct filter *f);

/* The program to pass to prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, prog):
 * borrowed, valid until filter_free. */
const struct sock_fprog *filter_prog(const struct filter *f);

/* The number of BPF instructions (for logs). */
int filter_len(const struct filter *f);

#endif
