/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_SANDBOX_SANDBOX_H
#define LAMBDAD_SANDBOX_SANDBOX_H

/*
 * Function instances as sandboxed process trees (DESIGN.md sections 2, 4
 * and 8). In the full mode an instance gets new mount, pid, ipc, uts,
 * cgroup and network namespaces, a pivot_root into a fresh read-only tmpfs
 * root (read-only binds of the host's /usr and /etc, bin/lib/lib64/sbin
 * symlinks into usr, /var/task = code, /var/runtime = runtime, /opt, a
 * /tmp tmpfs sized by EphemeralStorage, its own /proc, a minimal /dev),
 * hostname "localhost", a fresh cgroup (memory = MemorySize with swap off,
 * CPU quota proportional to memory, 1024 tasks), RLIMIT_NOFILE 1024, an
 * unprivileged uid/gid (65534 unless configured) with every capability and
 * the bounding set dropped, no_new_privs and a seccomp filter, loaded just
 * before execve. Its Runtime API (127.0.0.1:9001) and lambdad's edge
 * (127.0.0.1:4566) are listening sockets the daemon made inside the
 * instance's network namespace and serves itself.
 *
 * No user namespace: see sandbox.c for why; the host-side identity of the
 * instance is the unprivileged uid, which is what a user namespace would
 * have mapped it to.
 *
 * Spawning never forks: clone(CLONE_VM|CLONE_VFORK) on one static stack, so
 * sandbox_spawn calls must not overlap (call them from one thread).
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum sandbox_kind {
    SANDBOX_AUTO = 0,     /* the full sandbox where possible, else less, said loudly */
    SANDBOX_FULL,         /* namespaces + network namespace + cgroups + seccomp, or fail */
    SANDBOX_HOST_NETWORK, /* SANDBOX_FULL but in the host's network namespace */
    SANDBOX_NONE,         /* plain processes on host paths (development only) */
};

struct sandbox_config {
    enum sandbox_kind kind;
    uid_t uid;             /* instance uid; 0 means 65534 */
    gid_t gid;             /* instance gid; 0 means 65534 */
    const char *stage_dir; /* empty mount point for the new roots; NULL = /run/lambdad-root */
    uint16_t runtime_port; /* Runtime API port inside the netns; 0 = 9001 */
    uint16_t edge_port;    /* edge port inside the netns; 0 = 4566 */
};

struct sandbox; /* one per daemon */

/* What to run. Paths are inside the sandbox (/var/task/bootstrap) unless
 * sandbox_isolated() is false, when they are host paths. */
struct sandbox_spec {
    const char *path;        /* executable */
    char *const *argv;       /* borrowed for the call */
    char *const *envp;       /* borrowed for the call */
    const char *cwd;         /* working directory, or NULL */
    int out_fd;              /* becomes stdout and stderr (stdin is /dev/null) */
    int ctl_fd;              /* becomes fd 3 when > 0 (lambdad-init's control socket);
                              * 0 = none (fd 0 is stdin, never one of these) */
    int ext_out_fd;          /* with ctl_fd: becomes fd 4, the extensions' stdout and stderr */
    const char *hosts_file;  /* bound read-only at /etc/hosts, or NULL for the host's */
    int exec_fd;             /* when > 0: the executable as an open file (O_PATH), run
                              * instead of path, which then only names it in errors */
    const char *code_dir;    /* host directory bound read-only at /var/task */
    const char *runtime_dir; /* host directory bound read-only at /var/runtime, or NULL */
    const char *opt_dir;     /* host directory bound read-only at /opt, or NULL (empty /opt) */
    const char *opt_overlay; /* or: "lowerdir=TOP:...:BOTTOM", a read-only overlay at /opt */
    int tmp_mb;              /* size of /tmp (EphemeralStorage) */
    int memory_mb;           /* memory limit (MemorySize); CPU quota follows from it */
};

/* One running instance. pid, pidfd, runtime_fd and edge_fd are for the
 * caller to read; the rest is private. */
struct sandbox_proc {
    pid_t pid;      /* in the daemon's pid namespace */
    int pidfd;      /* owned by the proc (closed by sandbox_release), or -1 */
    int runtime_fd; /* listening on 127.0.0.1:9001 inside the instance's network namespace,
                     * non-blocking; -1 without one. The caller may take it (and set the
                     * field to -1); otherwise sandbox_release closes it. */
    int edge_fd;    /* the same for 127.0.0.1:4566, to be served as edge requests */
    int netns_fd;   /* the instance's network namespace, or -1 (owned) */
    struct sandbox *sb;
    struct cgroup *cg; /* NULL without cgroups */
};

/* Parses "auto", "namespaces" (= full), "host-network" or "none". Returns 0
 * or -EINVAL. */
int sandbox_parse_kind(const char *s, enum sandbox_kind *out);

/* Detects what this host allows (root, namespaces, the cgroup layout,
 * seccomp), builds the seccomp program and the cgroup parents, and checks
 * the whole path with one probe spawn of /bin/true. SANDBOX_AUTO falls back
 * step by step (no netns -> host network; no cgroups or seccomp -> without;
 * no namespaces -> none) and logs a warning for each; the other kinds fail
 * with -errno (-EPERM when not root, -ENOTSUP for a missing feature) if they
 * cannot have everything. Returns 0 and new *out (free with sandbox_free).
 * Start-up only; cfg is copied. */
int sandbox_open(const struct sandbox_config *cfg, struct sandbox **out);

/* Removes the cgroup parents and frees sb; every proc must be released
 * first. NULL is a no-op. */
void sandbox_free(struct sandbox *sb);

/* What is in force, for logs and /_lambdad/health: "none", or a '+'-joined
 * list such as "namespaces+netns+cgroup-v1+seccomp". Borrowed. */
const char *sandbox_mode(const struct sandbox *sb);

/* True when instances see sandbox paths (/var/task, /var/runtime, /tmp). */
bool sandbox_isolated(const struct sandbox *sb);

/* True when each instance has its own network namespace (runtime_fd and
 * edge_fd); false means the caller gives the instance a host loopback port. */
bool sandbox_has_netns(const struct sandbox *sb);

/* True when the kernel enforces memory_mb (cgroups). */
bool sandbox_enforces_limits(const struct sandbox *sb);

/* Starts spec in a new session. Returns 0 and new *out (release with
 * sandbox_release after the process was reaped), or -errno: the exec's
 * own failure (-ENOENT for a missing bootstrap, -EACCES, -ENOEXEC) or a
 * set-up failure (then logged with the failing step). One caller at a time
 * (the loop thread). */
int sandbox_spawn(struct sandbox *sb, const struct sandbox_spec *spec, struct sandbox_proc **out);

/* A new TCP socket (non-blocking, close-on-exec) in the instance's network
 * namespace (the host's without one), for the daemon to connect to a
 * listener of the instance at 127.0.0.1. Returns the fd or -errno. Loop
 * thread (it switches the calling thread's namespace for the call). */
int sandbox_socket(struct sandbox_proc *p);

/* Freezes (true) or thaws (false) the whole instance. Returns 0, -ENOTSUP
 * without a freezer, or -errno. */
int sandbox_freeze(struct sandbox_proc *p, bool frozen);

/* True once the kernel's OOM killer killed a process of the instance; the
 * caller then reports "Runtime exited with error: signal: killed". */
bool sandbox_oom_killed(const struct sandbox_proc *p);

/* Peak memory of the instance in MB (cgroup peak; without cgroups the main
 * process's VmHWM), 0 when unknown. */
int sandbox_peak_mb(struct sandbox_proc *p);

/* SIGKILLs every process of the instance (the cgroup, and the process
 * group), thawing it if frozen. Safe to call more than once. */
void sandbox_kill(struct sandbox_proc *p);

/* After the main process was reaped: kills stragglers, removes the cgroup,
 * closes what the proc still owns and frees it. NULL is a no-op. */
void sandbox_release(struct sandbox_proc *p);

#endif
