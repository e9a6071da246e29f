/* SPDX-License-Identifier: MIT */
/*
 * The instances' seccomp filter. libseccomp builds it once (default allow,
 * EPERM for the listed calls, on x86-64, i386 and x32) and exports classic
 * BPF through a memfd (libseccomp 2.5 has no export-to-memory call); the
 * program is then immutable and shared by every spawn. The child loads it
 * last, after its mounts and setns, because those calls are on the list.
 * Names unknown to this libseccomp are skipped: the list is a deny list.
 */
#include "filter.h"

#include <errno.h>
#include <linux/filter.h>
#include <stdlib.h>

struct filter {
    struct sock_fprog prog;
    struct sock_filter *insns; /* owned */
};

#ifdef LAMBDAD_HAVE_SECCOMP

#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"

static const char *const denied[] = {
    "mount",
    "umount2",
    "pivot_root",
    "ptrace",
    "kexec_load",
    "kexec_file_load",
    "bpf",
    "init_module",
    "finit_module",
    "delete_module",
    "keyctl",
    "add_key",
    "request_key",
    "reboot",
    "swapon",
    "swapoff",
    "setns",
    "unshare",
    "process_vm_readv",
    "process_vm_writev",
    "perf_event_open",
    "open_by_handle_at",
    "name_to_handle_at",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "iopl",
    "ioperm",
    "quotactl",
    "quotactl_fd",
    "lookup_dcookie",
    "syslog",
    "userfaultfd",
    "uselib",
    "vhangup",
    "nfsservctl",
    "pidfd_getfd",
    "umount",
    "create_module",
    "get_kernel_syms",
    "query_module",
    "vm86",
    "vm86old",
};

static const int ns_flags[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,   CLONE_NEWUSER,
                               CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};

static int build(scmp_filter_ctx ctx)
{
    int rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);
    if (rc == 0 || rc == -EEXIST)
        rc = seccomp_arch_add(ctx, SCMP_ARCH_X32);
    if (rc != 0 && rc != -EEXIST)
        return rc;
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        int nr = seccomp_syscall_resolve_name(denied[i]);
        if (nr == __NR_SCMP_ERROR)
            continue;
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
        if (rc != 0 && rc != -EDOM)
            return rc;
    }
    /* clone's flags are its first argument on every x86 ABI. */
    for (size_t i = 0; i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++) {
        scmp_datum_t f = (scmp_datum_t)ns_flags[i];
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, f, f));
        if (rc != 0)
            return rc;
    }
    /* clone3 passes its flags in memory, out of the filter's reach. */
    return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

static int export(scmp_filter_ctx ctx, struct filter *f)
{
    int fd = memfd_create("lambdad-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = seccomp_export_bpf(ctx, fd);
    struct stat st;
    if (rc == 0 && fstat(fd, &st) != 0)
        rc = -errno;
    if (rc == 0 && (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
                    st.st_size > 65536))
        rc = -EINVAL;
    if (rc == 0) {
        f->insns = xmalloc((size_t)st.st_size);
        if (pread(fd, f->insns, (size_t)st.st_size, 0) != st.st_size)
            rc = -EIO;
        f->prog.len = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
        f->prog.filter = f->insns;
    }
    close(fd);
    return rc;
}

int filter_new(struct filter **out)
{
    struct filter *f = xcalloc(1, sizeof(*f));
    int rc = -ENOMEM;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL)
        goto out;
    rc = build(ctx);
    if (rc == 0)
        rc = export(ctx, f);
out:
    if (ctx != NULL)
        seccomp_release(ctx);
    if (rc != 0) {
        filter_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

#else

int filter_new(struct filter **out)
{
    (void)out;
    return -ENOTSUP;
}

#endif

void filter_free(struct filter *f)
{
    if (f == NULL)
        return;
    free(f->insns);
    free(f);
}

const struct sock_fprog *filter_prog(const struct filter *f)
{
    return &f->prog;
}

int filter_len(const struct filter *f)
{
    return f->prog.len;
}
