/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_SANDBOX_PROCESS_H
#define LAMBDAD_SANDBOX_PROCESS_H

/*
 * Starting an instance's process without fork(): clone(CLONE_VM|CLONE_VFORK)
 * so the cost does not grow with the daemon's memory (DESIGN.md section 8).
 * With a mount namespace available (root), the child sees its code read-only
 * at /var/task and the runtime at /var/runtime, as on AWS, and a private
 * tmpfs on /tmp sized by EphemeralStorage; without one, it runs as a plain
 * process on host paths (a per-instance TMPDIR instead).
 * Full isolation (user/pid/net namespaces, cgroups, seccomp) is the isolation
 * issue's work and slots in here.
 */

#include <stdbool.h>
#include <sys/types.h>

/* A read-only bind mount made inside the instance's mount namespace. */
struct proc_bind {
    const char *src; /* host directory */
    const char *dst; /* mount point (exists on the host, e.g. /var/task) */
};

#define PROC_BINDS_MAX 4

struct proc_spec {
    const char *path; /* executable (a path inside the namespace) */
    char *const *argv;
    char *const *envp;
    const char *cwd;                        /* working directory (inside the namespace) */
    int out_fd;                             /* becomes stdout and stderr */
    struct proc_bind binds[PROC_BINDS_MAX]; /* with a mount namespace only */
    int nbinds;
    int tmp_mb; /* size of the private /tmp */
};

/* Creates the mount points instances use (/var/task, /var/runtime) when
 * mount namespaces are available. Returns 0 or -errno. */
int process_prepare_mountpoints(void);

/* True once process_probe() found that mount namespaces work here. */
bool process_have_mountns(void);

/* Tries a mount-namespace spawn once (unless allowed is false) and remembers
 * the answer. Loop thread. */
void process_probe(bool allowed);

/* Starts spec in a new session (its pid is also its process group). Returns
 * 0 and the pid, or -errno (including the exec failure, e.g. -ENOENT for a
 * missing bootstrap, -EACCES for one that is not executable). Loop thread. */
int process_spawn(const struct proc_spec *spec, pid_t *pid);

/* Peak resident memory of pid in MB (VmHWM), or 0 if unknown. */
int process_peak_mb(pid_t pid);

#endif
