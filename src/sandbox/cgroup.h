/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_SANDBOX_CGROUP_H
#define LAMBDAD_SANDBOX_CGROUP_H

/*
 * One fresh control group per instance, behind one interface for cgroup v1
 * (separate memory, cpu, pids and freezer hierarchies, plus the unified
 * hierarchy of a hybrid layout for cgroup.kill) and cgroup v2. Instances are
 * created under a "lambdad.<pid>" group inside the cgroup the daemon runs in,
 * which respects delegation. A child joins its group itself by writing "0"
 * to the cgroup.procs files (cgroup_procs_fds) before it execs, so the
 * spawner keeps CLONE_VFORK and needs no handshake on either version.
 */

#include <stdbool.h>
#include <stdint.h>

enum cgroup_mode {
    CGROUP_NONE = 0, /* no usable cgroups (not root, or not mounted) */
    CGROUP_V1 = 1,   /* v1 controllers (pure v1 or hybrid) */
    CGROUP_V2 = 2,   /* pure v2 (/sys/fs/cgroup is cgroup2) */
};

struct cgroup_root; /* the detected layout and the daemon's parent groups */
struct cgroup;      /* one instance's group in every hierarchy */

/* What a new group is limited to. Zero means "no limit" for each field. */
struct cgroup_limits {
    int memory_mb;    /* memory limit, swap off */
    int cpu_quota_us; /* CFS quota per 100000 us period (1769 MB = 100000) */
    int pids_max;     /* tasks (processes and threads) */
};

#define CGROUP_PERIOD_US 100000

/* Returns the CFS quota for memory_mb (1769 MB = one vCPU), at least 1000 us. */
int cgroup_quota_for_memory(int memory_mb);

/* Detects the layout (statfs of /sys/fs/cgroup), finds the daemon's own
 * groups in /proc/self/cgroup and creates the lambdad.<pid> parent groups
 * (on pure v2 it also enables memory, cpu and pids for them, moving the
 * daemon into a leaf group if its own group must be emptied for that).
 * Returns 0 and new *out (free with cgroup_root_free), -ENOTSUP when no
 * cgroup hierarchy is usable, or -errno. Start-up only. */
int cgroup_root_open(struct cgroup_root **out);

/* Removes the parent groups (which must be empty by then) and frees root.
 * NULL is a no-op. */
void cgroup_root_free(struct cgroup_root *root);

/* The detected mode. */
enum cgroup_mode cgroup_root_mode(const struct cgroup_root *root);

/* True when the hierarchy can freeze (v1 freezer, or a v2/unified group). */
bool cgroup_root_can_freeze(const struct cgroup_root *root);

/* Creates a fresh group in every hierarchy, applies lim and opens the
 * cgroup.procs files the child writes to. Returns 0 and new *out (free with
 * cgroup_free), or -errno (nothing is left behind). Any thread. */
int cgroup_new(struct cgroup_root *root, const struct cgroup_limits *lim, struct cgroup **out);

/* Fills fds with the open cgroup.procs descriptors (O_CLOEXEC) of cg and
 * returns how many there are (at most max). A child writes "0" to each to
 * join cg. Borrowed: they stay owned by cg until cgroup_attach_done. */
int cgroup_procs_fds(const struct cgroup *cg, int *fds, int max);

/* Closes the cgroup.procs descriptors once the child has exec'd. */
void cgroup_attach_done(struct cgroup *cg);

/* Freezes (true) or thaws (false) every process in cg. Freezing completes
 * asynchronously. Returns 0, -ENOTSUP without a freezer, or -errno. */
int cgroup_freeze(struct cgroup *cg, bool frozen);

/* True once the kernel's OOM killer killed a process in cg. */
bool cgroup_oom_killed(const struct cgroup *cg);

/* Peak memory use of cg in bytes (v1 max_usage_in_bytes, v2 memory.peak,
 * else the highest memory.current seen by calls to this function); 0 when
 * unknown. */
int64_t cgroup_peak_bytes(struct cgroup *cg);

/* Sends SIGKILL to every process in cg (cgroup.kill where available, else
 * freeze, signal each listed pid, thaw). Returns 0 or -errno. */
int cgroup_kill(struct cgroup *cg);

/* True while any process is in cg. */
bool cgroup_populated(const struct cgroup *cg);

/* Removes the groups (after the processes were reaped) and frees cg. A group
 * that is still busy gets a kill and one more try, then is logged and left.
 * NULL is a no-op. */
void cgroup_free(struct cgroup *cg);

#endif
