/* SPDX-License-Identifier: MIT */
/*
 * Control groups for instances, v1 and v2 behind one interface.
 *
 * The layout is detected once: /sys/fs/cgroup on cgroup2 is pure v2; a tmpfs
 * there with v1 controller mounts is v1, and a cgroup2 mount at
 * /sys/fs/cgroup/unified (hybrid) is used next to them for cgroup.kill and
 * cgroup.events. Every hierarchy is an index into the same arrays (CG_*), a
 * NULL path meaning "not used". Instance groups are fresh for every instance
 * (reusing one carries CFS throttling into the next cold start) and live in
 * "lambdad.<pid>" below the daemon's own group, so two daemons, or a test
 * next to a daemon, never share groups. The memory controller is required:
 * without it cgroup_root_open fails rather than pretend to enforce limits.
 */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"

#define CG_FS "/sys/fs/cgroup"

enum { CG_MEMORY, CG_CPU, CG_PIDS, CG_FREEZER, CG_UNIFIED, CG_COUNT };

static const char *const cg_names[CG_COUNT] = {"memory", "cpu", "pids", "freezer", "unified"};

struct cgroup_root {
    enum cgroup_mode mode;
    char *parent[CG_COUNT]; /* lambdad.<pid> group per hierarchy, or NULL */
    atomic_uint seq;        /* names instance groups */
};

struct cgroup {
    struct cgroup_root *root;
    char *dir[CG_COUNT]; /* this instance's group per hierarchy, or NULL */
    int procs[CG_COUNT]; /* open cgroup.procs until the child exec'd, or -1 */
    int64_t peak_seen;   /* bytes; the fallback peak tracker */
};

/* ---- small file helpers ---- */

static int write_at(const char *dir, const char *file, const char *val)
{
    char path[512];
    if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(val);
    ssize_t n = write(fd, val, len);
    int rc = n == (ssize_t)len ? 0 : n < 0 ? -errno : -EIO;
    close(fd);
    return rc;
}

/* Reads at most size-1 bytes of dir/file into buf, NUL-terminated. */
static int read_at(const char *dir, const char *file, char *buf, size_t size)
{
    char path[512];
    if (snprintf(path, sizeof(path), "%s/%s", dir, file) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, size - 1);
    int rc = n < 0 ? -errno : 0;
    close(fd);
    buf[n < 0 ? 0 : n] = '\0';
    return rc;
}

static int64_t parse_i64(const char *p)
{
    int64_t v = 0;
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (*p++ - '0');
    return v;
}

/* The value after "key " at the start of a line in buf, or -1. */
static int64_t find_key(const char *buf, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = buf; p != NULL && *p != '\0';) {
        if (strncmp(p, key, klen) == 0 && p[klen] == ' ')
            return parse_i64(p + klen + 1);
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return -1;
}

static int64_t read_i64(const char *dir, const char *file)
{
    char buf[64];
    if (read_at(dir, file, buf, sizeof(buf)) != 0)
        return -1;
    return parse_i64(buf);
}

static char *join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = xmalloc(la + lb + 2);
    memcpy(s, a, la);
    s[la] = '/';
    memcpy(s + la + 1, b, lb + 1);
    /* "/sys/fs/cgroup/memory" + "/" would otherwise give a double slash. */
    if (lb == 0)
        s[la] = '\0';
    return s;
}

/* ---- detection ---- */

/* The daemon's own path in the hierarchy named name ("" = the v2 line) from
 * /proc/self/cgroup, into out. Returns 0 or -ENOENT. */
static int own_path(const char *name, char *out, size_t size)
{
    char buf[4096];
    int rc = read_at("/proc/self", "cgroup", buf, sizeof(buf));
    if (rc != 0)
        return rc;
    size_t nlen = strlen(name);
    for (char *line = buf; line != NULL && *line != '\0';) {
        char *next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
        if (c2 != NULL) {
            /* The controllers field is comma-separated ("cpu,cpuacct"). */
            bool match = false;
            if (nlen == 0)
                match = c2 == c1 + 1 && strncmp(line, "0:", 2) == 0;
            for (const char *p = c1 + 1; !match && p < c2;) {
                const char *e = memchr(p, ',', (size_t)(c2 - p));
                if (e == NULL)
                    e = c2;
                match = (size_t)(e - p) == nlen && memcmp(p, name, nlen) == 0;
                p = e + 1;
            }
            if (match) {
                snprintf(out, size, "%s", c2 + 1);
                /* "/" becomes "" so that joins don't double the slash. */
                if (strcmp(out, "/") == 0)
                    out[0] = '\0';
                return 0;
            }
        }
        line = next;
    }
    return -ENOENT;
}

static bool is_fs(const char *path, long magic)
{
    struct statfs st;
    return statfs(path, &st) == 0 && (long)st.f_type == magic;
}

/* Removes the empty "lambdad.<pid>" groups of daemons that are gone (killed
 * without a chance to clean up), with their instance groups. Groups that
 * still hold processes stay. */
static void sweep_stale(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        if (strncmp(e->d_name, "lambdad.", 8) != 0)
            continue;
        long pid = strtol(e->d_name + 8, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 ||
            errno != ESRCH)
            continue;
        char path[768];
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
            continue;
        DIR *inner = opendir(path);
        if (inner != NULL) {
            struct dirent *c;
            while ((c = readdir(inner)) != NULL) {
                char sub[1024];
                if (c->d_type == DT_DIR && c->d_name[0] != '.' &&
                    snprintf(sub, sizeof(sub), "%s/%s", path, c->d_name) < (int)sizeof(sub))
                    rmdir(sub);
            }
            closedir(inner);
        }
        rmdir(path);
    }
    closedir(d);
}

static int make_parent(struct cgroup_root *root, int h, const char *mount, const char *own)
{
    char dir[512], name[64];
    snprintf(name, sizeof(name), "lambdad.%d", (int)getpid());
    if (snprintf(dir, sizeof(dir), "%s%s", mount, own) >= (int)sizeof(dir))
        return -ENAMETOOLONG;
    sweep_stale(dir);
    char *p = join(dir, name);
    if (mkdir(p, 0755) != 0 && errno != EEXIST) {
        int rc = -errno;
        free(p);
        return rc;
    }
    root->parent[h] = p;
    return 0;
}

static bool has_word(const char *list, const char *word)
{
    size_t len = strlen(word);
    for (const char *p = strstr(list, word); p != NULL; p = strstr(p + 1, word))
        if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' ' || p[len] == '\n'))
            return true;
    return false;
}

/* Pure v2: memory, cpu and pids must be enabled for the daemon's group's
 * children. v2 allows that only for a group without processes, so the daemon
 * moves into a leaf "lambdad-daemon" group first when it has to. */
static int open_v2(struct cgroup_root *root)
{
    char own[400], dir[512], buf[256];
    int rc = own_path("", own, sizeof(own));
    if (rc != 0)
        return rc;
    snprintf(dir, sizeof(dir), CG_FS "%s", own);
    if (read_at(dir, "cgroup.controllers", buf, sizeof(buf)) != 0 || !has_word(buf, "memory"))
        return -ENOTSUP;
    rc = write_at(dir, "cgroup.subtree_control", "+memory +cpu +pids");
    if (rc == -EBUSY) {
        char *leaf = join(dir, "lambdad-daemon");
        char pid[32];
        snprintf(pid, sizeof(pid), "%d", (int)getpid());
        if (mkdir(leaf, 0755) == 0 || errno == EEXIST)
            rc = write_at(leaf, "cgroup.procs", pid);
        else
            rc = -errno;
        free(leaf);
        if (rc == 0)
            rc = write_at(dir, "cgroup.subtree_control", "+memory +cpu +pids");
    }
    if (rc != 0)
        return rc;
    rc = make_parent(root, CG_UNIFIED, CG_FS, own);
    if (rc != 0)
        return rc;
    return write_at(root->parent[CG_UNIFIED], "cgroup.subtree_control", "+memory +cpu +pids");
}

static int open_v1(struct cgroup_root *root)
{
    char own[400], mount[128];
    for (int h = 0; h < CG_COUNT; h++) {
        const char *name = h == CG_UNIFIED ? "" : cg_names[h];
        snprintf(mount, sizeof(mount), CG_FS "/%s", cg_names[h]);
        long magic = h == CG_UNIFIED ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC;
        if (!is_fs(mount, magic) || own_path(name, own, sizeof(own)) != 0)
            continue;
        int rc = make_parent(root, h, mount, own);
        if (rc != 0 && h == CG_MEMORY)
            return rc;
        if (rc != 0)
            log_warn("cgroup=%s err=%d msg=\"hierarchy unusable\"", cg_names[h], rc);
    }
    if (root->parent[CG_MEMORY] == NULL)
        return -ENOTSUP;
    /* Children inherit nothing by default on v1; hierarchy makes limits nest. */
    write_at(root->parent[CG_MEMORY], "memory.use_hierarchy", "1");
    return 0;
}

int cgroup_quota_for_memory(int memory_mb)
{
    int64_t q = (int64_t)CGROUP_PERIOD_US * memory_mb / 1769;
    return q < 1000 ? 1000 : (int)q;
}

int cgroup_root_open(struct cgroup_root **out)
{
    struct cgroup_root *root = xcalloc(1, sizeof(*root));
    int rc;
    if (is_fs(CG_FS, CGROUP2_SUPER_MAGIC)) {
        root->mode = CGROUP_V2;
        rc = open_v2(root);
    } else if (is_fs(CG_FS, TMPFS_MAGIC) || is_fs(CG_FS "/memory", CGROUP_SUPER_MAGIC)) {
        root->mode = CGROUP_V1;
        rc = open_v1(root);
    } else {
        rc = -ENOTSUP;
    }
    if (rc != 0) {
        cgroup_root_free(root);
        return rc;
    }
    *out = root;
    return 0;
}

void cgroup_root_free(struct cgroup_root *root)
{
    if (root == NULL)
        return;
    for (int h = 0; h < CG_COUNT; h++) {
        if (root->parent[h] != NULL && rmdir(root->parent[h]) != 0 && errno != ENOENT)
            log_warn("cgroup=%s errno=%d msg=\"parent group not removed\"", root->parent[h], errno);
        free(root->parent[h]);
    }
    free(root);
}

enum cgroup_mode cgroup_root_mode(const struct cgroup_root *root)
{
    return root == NULL ? CGROUP_NONE : root->mode;
}

bool cgroup_root_can_freeze(const struct cgroup_root *root)
{
    return root != NULL && (root->parent[CG_FREEZER] != NULL || root->parent[CG_UNIFIED] != NULL);
}

/* ---- instance groups ---- */

static int apply_limits(struct cgroup *cg, const struct cgroup_limits *lim)
{
    char v[64];
    int rc = 0;
    bool v2 = cg->root->mode == CGROUP_V2;
    const char *mem = cg->dir[v2 ? CG_UNIFIED : CG_MEMORY];
    const char *cpu = cg->dir[v2 ? CG_UNIFIED : CG_CPU];
    const char *pids = cg->dir[v2 ? CG_UNIFIED : CG_PIDS];
    if (lim->memory_mb > 0) {
        snprintf(v, sizeof(v), "%lld", (long long)lim->memory_mb << 20);
        if (v2) {
            rc = write_at(mem, "memory.max", v);
            /* Both may be missing (no swap accounting); that is swap off. */
            if (rc == 0 && write_at(mem, "memory.swap.max", "0") == -EACCES)
                rc = -EACCES;
            if (rc == 0)
                write_at(mem, "memory.oom.group", "1");
        } else {
            rc = write_at(mem, "memory.limit_in_bytes", v);
            if (rc == 0) {
                int r2 = write_at(mem, "memory.memsw.limit_in_bytes", v);
                if (r2 != 0 && r2 != -ENOENT)
                    rc = r2;
            }
        }
        if (rc != 0)
            return rc;
    }
    if (lim->cpu_quota_us > 0 && cpu != NULL) {
        if (v2) {
            snprintf(v, sizeof(v), "%d %d", lim->cpu_quota_us, CGROUP_PERIOD_US);
            rc = write_at(cpu, "cpu.max", v);
        } else {
            snprintf(v, sizeof(v), "%d", CGROUP_PERIOD_US);
            rc = write_at(cpu, "cpu.cfs_period_us", v);
            snprintf(v, sizeof(v), "%d", lim->cpu_quota_us);
            if (rc == 0)
                rc = write_at(cpu, "cpu.cfs_quota_us", v);
        }
        if (rc != 0)
            return rc;
    }
    if (lim->pids_max > 0 && pids != NULL) {
        snprintf(v, sizeof(v), "%d", lim->pids_max);
        rc = write_at(pids, "pids.max", v);
    }
    return rc;
}

int cgroup_new(struct cgroup_root *root, const struct cgroup_limits *lim, struct cgroup **out)
{
    struct cgroup *cg = xcalloc(1, sizeof(*cg));
    cg->root = root;
    for (int h = 0; h < CG_COUNT; h++)
        cg->procs[h] = -1;
    char name[32];
    snprintf(name, sizeof(name), "i%u", atomic_fetch_add(&root->seq, 1));
    int rc = 0;
    for (int h = 0; h < CG_COUNT && rc == 0; h++) {
        if (root->parent[h] == NULL)
            continue;
        char *dir = join(root->parent[h], name);
        if (mkdir(dir, 0755) != 0) {
            rc = -errno;
            free(dir);
            break;
        }
        cg->dir[h] = dir;
        char path[512];
        snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
        cg->procs[h] = open(path, O_WRONLY | O_CLOEXEC);
        if (cg->procs[h] < 0)
            rc = -errno;
    }
    if (rc == 0)
        rc = apply_limits(cg, lim);
    if (rc != 0) {
        cgroup_free(cg);
        return rc;
    }
    *out = cg;
    return 0;
}

int cgroup_procs_fds(const struct cgroup *cg, int *fds, int max)
{
    int n = 0;
    for (int h = 0; h < CG_COUNT && n < max; h++)
        if (cg->procs[h] >= 0)
            fds[n++] = cg->procs[h];
    return n;
}

void cgroup_attach_done(struct cgroup *cg)
{
    for (int h = 0; h < CG_COUNT; h++) {
        if (cg->procs[h] >= 0)
            close(cg->procs[h]);
        cg->procs[h] = -1;
    }
}

int cgroup_freeze(struct cgroup *cg, bool frozen)
{
    if (cg->dir[CG_FREEZER] != NULL)
        return write_at(cg->dir[CG_FREEZER], "freezer.state", frozen ? "FROZEN" : "THAWED");
    if (cg->dir[CG_UNIFIED] != NULL)
        return write_at(cg->dir[CG_UNIFIED], "cgroup.freeze", frozen ? "1" : "0");
    return -ENOTSUP;
}

bool cgroup_oom_killed(const struct cgroup *cg)
{
    char buf[1024];
    if (cg->root->mode == CGROUP_V2)
        return read_at(cg->dir[CG_UNIFIED], "memory.events", buf, sizeof(buf)) == 0 &&
               find_key(buf, "oom_kill") > 0;
    return read_at(cg->dir[CG_MEMORY], "memory.oom_control", buf, sizeof(buf)) == 0 &&
           find_key(buf, "oom_kill") > 0;
}

int64_t cgroup_peak_bytes(struct cgroup *cg)
{
    int64_t v;
    if (cg->root->mode == CGROUP_V2) {
        v = read_i64(cg->dir[CG_UNIFIED], "memory.peak");
        if (v < 0)
            v = read_i64(cg->dir[CG_UNIFIED], "memory.current");
    } else {
        v = read_i64(cg->dir[CG_MEMORY], "memory.max_usage_in_bytes");
    }
    if (v > cg->peak_seen)
        cg->peak_seen = v;
    return cg->peak_seen;
}

/* Signals every pid listed in dir/cgroup.procs; returns how many were listed. */
static int kill_listed(const char *dir)
{
    char buf[8192];
    if (read_at(dir, "cgroup.procs", buf, sizeof(buf)) != 0)
        return 0;
    int n = 0;
    for (const char *p = buf; *p != '\0';) {
        int64_t pid = parse_i64(p);
        if (pid > 0) {
            kill((pid_t)pid, SIGKILL);
            n++;
        }
        p = strchr(p, '\n');
        if (p == NULL)
            break;
        p++;
    }
    return n;
}

int cgroup_kill(struct cgroup *cg)
{
    if (cg->dir[CG_UNIFIED] != NULL && write_at(cg->dir[CG_UNIFIED], "cgroup.kill", "1") == 0) {
        /* v1-frozen tasks take no signal, not even SIGKILL, until thawed. */
        if (cg->dir[CG_FREEZER] != NULL)
            cgroup_freeze(cg, false);
        return 0;
    }
    /* v1: a frozen group cannot fork while its pids are signalled. */
    const char *dir = cg->dir[CG_FREEZER] != NULL ? cg->dir[CG_FREEZER] : cg->dir[CG_MEMORY];
    bool frozen = cg->dir[CG_FREEZER] != NULL && cgroup_freeze(cg, true) == 0;
    for (int i = 0; i < 16 && kill_listed(dir) > 0 && !frozen; i++)
        ;
    if (frozen)
        cgroup_freeze(cg, false); /* SIGKILL is delivered once thawed */
    return 0;
}

bool cgroup_populated(const struct cgroup *cg)
{
    char buf[256];
    if (cg->dir[CG_UNIFIED] != NULL &&
        read_at(cg->dir[CG_UNIFIED], "cgroup.events", buf, sizeof(buf)) == 0)
        return find_key(buf, "populated") > 0;
    const char *dir = cg->dir[CG_MEMORY];
    return dir != NULL && read_at(dir, "cgroup.procs", buf, sizeof(buf)) == 0 && buf[0] != '\0';
}

void cgroup_free(struct cgroup *cg)
{
    if (cg == NULL)
        return;
    cgroup_attach_done(cg);
    bool killed = false;
    for (int h = 0; h < CG_COUNT; h++) {
        if (cg->dir[h] == NULL)
            continue;
        if (cg->dir[CG_FREEZER] != NULL && h == CG_FREEZER)
            write_at(cg->dir[h], "freezer.state", "THAWED");
        if (rmdir(cg->dir[h]) != 0 && errno == EBUSY && !killed) {
            cgroup_kill(cg);
            killed = true;
            usleep(1000);
            if (rmdir(cg->dir[h]) != 0)
                log_warn("cgroup=%s errno=%d msg=\"busy group left behind\"", cg->dir[h], errno);
        }
        free(cg->dir[h]);
    }
    free(cg);
}
