/* SPDX-License-Identifier: MIT */
/*
 * The instance sandbox: clone(CLONE_VM|CLONE_VFORK|namespaces) on one static
 * stack; the child runs in the daemon's memory until it execs (the parent is
 * suspended meanwhile) and makes only raw system calls: no malloc, no locks,
 * no stdio, and no glibc set*id wrappers, which would try to signal the
 * daemon's other threads. Everything it needs (paths, options, the seccomp
 * program, the cgroup and netns descriptors) is prepared by the parent.
 *
 * Child order: setsid; join the cgroup (write "0" to each cgroup.procs, then
 * a new cgroup namespace rooted there); join the pre-made network namespace;
 * build the root under the stage directory and pivot_root into it; proc;
 * hostname; rlimits; drop the bounding set, groups, gid, uid; no_new_privs;
 * seccomp; execve. The filter is last because it forbids mount and setns.
 *
 * Why no user namespace: with CLONE_VFORK the parent cannot write the
 * child's uid_map before exec, and writing it from the child only allows
 * mapping host root; an unprivileged mapping would also lose access to the
 * 0700 data directory the code is bound from. Running as an unprivileged
 * host uid with no capabilities, an empty bounding set, NOROOT securebits,
 * no_new_privs and seccomp gives the same host-side identity a userns
 * mapping would, without those costs. All instances share that uid: they
 * still cannot signal or trace each other (separate pid namespaces, ptrace
 * denied) and share no writable files.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "base/log.h"
#include "sandbox/cgroup.h"
#include "sandbox/filter.h"
#include "sandbox/netns.h"

#define SANDBOX_UID_DEFAULT   65534
#define SANDBOX_NOFILE        1024
#define SANDBOX_TASKS_MAX     1024
#define SANDBOX_CGROUP_FDS    8
#define SANDBOX_STAGE_DEFAULT "/run/lambdad-root"

struct sandbox {
    struct sandbox_config cfg; /* stage_dir points at stage */
    char stage[256];
    bool ns;                 /* mount/pid/ipc/uts namespaces and pivot_root */
    int host_netns;          /* the daemon's network namespace, or -1 for no netns */
    struct cgroup_root *cgr; /* NULL without cgroups */
    struct filter *filter;   /* NULL without seccomp */
    char mode[96];
};

/* Shared with the child through CLONE_VM; the child writes only err/step. */
struct child_args {
    const struct sandbox *sb;
    const struct sandbox_spec *spec;
    bool ns;
    int cg_fds[SANDBOX_CGROUP_FDS];
    int ncg;
    int netns_fd;
    int exec_fd; /* spec->exec_fd, or where the child moved it */
    char tmpopts[64];
    int err;          /* errno of the failed step */
    const char *step; /* what failed (a static string) */
};

static _Alignas(16) char child_stack[256 * 1024];

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/* A child that execs never unwinds: clear its frames' poison before reuse. */
#define UNPOISON_STACK() ASAN_UNPOISON_MEMORY_REGION(child_stack, sizeof(child_stack))
#else
#define UNPOISON_STACK() ((void)0)
#endif

/* ---- the child (system calls only) ---- */

#define TRY(step_name, call)                                                                       \
    do {                                                                                           \
        if ((call) < 0) {                                                                          \
            a->step = (step_name);                                                                 \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)

static int bind_ro(const char *src, const char *dst)
{
    if (mount(src, dst, NULL, MS_BIND, NULL) != 0)
        return -1;
    return mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL);
}

static int touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int make_dev(struct child_args *a)
{
    static const char *const nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
    char dst[32], src[32];
    TRY("mount /dev", mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755"));
    for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
        /* Fixed short names: these cannot truncate. */
        memcpy(dst, "dev/", 4);
        memcpy(dst + 4, nodes[i], strlen(nodes[i]) + 1);
        memcpy(src, "/dev/", 5);
        memcpy(src + 5, nodes[i], strlen(nodes[i]) + 1);
        TRY("create /dev node", touch(dst));
        TRY("bind /dev node", mount(src, dst, NULL, MS_BIND, NULL));
        TRY("remount /dev node",
            mount(NULL, dst, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NOEXEC, NULL));
    }
    TRY("symlink /dev/fd", symlink("/proc/self/fd", "dev/fd"));
    TRY("symlink /dev/stdin", symlink("/proc/self/fd/0", "dev/stdin"));
    TRY("symlink /dev/stdout", symlink("/proc/self/fd/1", "dev/stdout"));
    TRY("symlink /dev/stderr", symlink("/proc/self/fd/2", "dev/stderr"));
    return 0;
}

static int make_root(struct child_args *a)
{
    static const char *const dirs[] = {"usr", "etc", "var",  "var/task", "var/runtime",
                                       "opt", "tmp", "proc", "dev"};
    static const char *const links[][2] = {
        {"usr/bin", "bin"}, {"usr/lib", "lib"}, {"usr/lib64", "lib64"}, {"usr/sbin", "sbin"}};
    const struct sandbox_spec *spec = a->spec;
    TRY("make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
    TRY("mount root tmpfs",
        mount("tmpfs", a->sb->stage, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755"));
    TRY("chdir stage", chdir(a->sb->stage));
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        TRY("mkdir in root", mkdir(dirs[i], 0755));
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        TRY("symlink in root", symlink(links[i][0], links[i][1]));
    TRY("bind /usr", bind_ro("/usr", "usr"));
    TRY("bind /etc", bind_ro("/etc", "etc"));
    if (spec->hosts_file != NULL)
        TRY("bind /etc/hosts", bind_ro(spec->hosts_file, "etc/hosts"));
    TRY("bind code", bind_ro(spec->code_dir, "var/task"));
    if (spec->runtime_dir != NULL)
        TRY("bind runtime", bind_ro(spec->runtime_dir, "var/runtime"));
    if (spec->opt_overlay != NULL)
        TRY("mount opt overlay", mount("overlay", "opt", "overlay",
                                       MS_RDONLY | MS_NOSUID | MS_NODEV, spec->opt_overlay));
    else if (spec->opt_dir != NULL)
        TRY("bind opt", bind_ro(spec->opt_dir, "opt"));
    TRY("mount /tmp", mount("tmpfs", "tmp", "tmpfs", MS_NOSUID | MS_NODEV, a->tmpopts));
    if (make_dev(a) != 0)
        return -1;
    TRY("remount /dev ro",
        mount(NULL, "dev", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL));
    TRY("pivot_root", (int)syscall(SYS_pivot_root, ".", "."));
    TRY("detach old root", umount2(".", MNT_DETACH));
    TRY("chdir /", chdir("/"));
    TRY("mount /proc", mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
    TRY("remount / ro",
        mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL));
    return 0;
}

static int drop_privileges(struct child_args *a)
{
    const struct sandbox *sb = a->sb;
    struct rlimit nofile = {SANDBOX_NOFILE, SANDBOX_NOFILE};
    TRY("RLIMIT_NOFILE", setrlimit(RLIMIT_NOFILE, &nofile));
    if (sb->cgr == NULL) {
        /* Without a pids cgroup; per uid, so shared by all instances. */
        struct rlimit nproc = {SANDBOX_TASKS_MAX, SANDBOX_TASKS_MAX};
        TRY("RLIMIT_NPROC", setrlimit(RLIMIT_NPROC, &nproc));
    }
    for (int cap = 0; cap <= 63; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
            a->step = "drop bounding set";
            return -1;
        }
    TRY("clear ambient caps", prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
    TRY("securebits", prctl(PR_SET_SECUREBITS,
                            SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED |
                                SECBIT_KEEP_CAPS_LOCKED,
                            0, 0, 0));
    /* Raw system calls: glibc's wrappers would broadcast to the daemon's threads. */
    TRY("setgroups", (int)syscall(SYS_setgroups, 0, NULL));
    TRY("setresgid", (int)syscall(SYS_setresgid, sb->cfg.gid, sb->cfg.gid, sb->cfg.gid));
    TRY("setresuid", (int)syscall(SYS_setresuid, sb->cfg.uid, sb->cfg.uid, sb->cfg.uid));
    /* Cleared by the uid change, so set afterwards. */
    TRY("pdeathsig", prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0));
    TRY("no_new_privs", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    return 0;
}

/* Puts the control socket at fd 3 (inherited), moving the executable's fd
 * out of the way first if it is there. */
static int place_ctl(struct child_args *a)
{
    const struct sandbox_spec *spec = a->spec;
    a->exec_fd = spec->exec_fd;
    if (spec->ctl_fd <= 0)
        return 0;
    if (a->exec_fd == 3 || a->exec_fd == 4) {
        a->exec_fd = fcntl(a->exec_fd, F_DUPFD_CLOEXEC, 10);
        TRY("move exec fd", a->exec_fd);
    }
    int out = spec->ext_out_fd;
    if (out == 3) {
        out = fcntl(3, F_DUPFD_CLOEXEC, 10);
        TRY("move output fd", out);
    }
    if (spec->ctl_fd == 3)
        TRY("keep control fd", fcntl(3, F_SETFD, 0));
    else
        TRY("dup control fd", dup2(spec->ctl_fd, 3));
    if (out == 4)
        TRY("keep output fd", fcntl(4, F_SETFD, 0));
    else if (out > 0)
        TRY("dup output fd", dup2(out, 4));
    return 0;
}

static int child_setup(struct child_args *a)
{
    const struct sandbox_spec *spec = a->spec;
    for (int i = 0; i < a->ncg; i++)
        TRY("join cgroup", (int)write(a->cg_fds[i], "0", 1));
    if (a->ncg > 0)
        TRY("cgroup namespace", unshare(CLONE_NEWCGROUP));
    if (a->netns_fd >= 0)
        TRY("join netns", setns(a->netns_fd, CLONE_NEWNET));
    if (make_root(a) != 0)
        return -1;
    TRY("sethostname", sethostname("localhost", 9));
    umask(022);
    int nul = open("/dev/null", O_RDONLY);
    TRY("open /dev/null", nul);
    TRY("dup stdio", dup2(nul, 0));
    TRY("dup stdio", dup2(spec->out_fd, 1));
    TRY("dup stdio", dup2(spec->out_fd, 2));
    if (nul > 2)
        close(nul);
    if (place_ctl(a) != 0)
        return -1;
    if (spec->cwd != NULL)
        TRY("chdir cwd", chdir(spec->cwd));
    if (drop_privileges(a) != 0)
        return -1;
    if (a->sb->filter != NULL)
        TRY("seccomp",
            prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, filter_prog(a->sb->filter), 0, 0));
    return 0;
}

/* The plain (SANDBOX_NONE) child: host paths, the daemon's identity. */
static int child_plain(struct child_args *a)
{
    const struct sandbox_spec *spec = a->spec;
    int nul = open("/dev/null", O_RDONLY);
    TRY("open /dev/null", nul);
    TRY("dup stdio", dup2(nul, 0));
    TRY("dup stdio", dup2(spec->out_fd, 1));
    TRY("dup stdio", dup2(spec->out_fd, 2));
    if (nul > 2)
        close(nul);
    if (place_ctl(a) != 0)
        return -1;
    if (spec->cwd != NULL)
        TRY("chdir cwd", chdir(spec->cwd));
    return 0;
}

static int child_main(void *p)
{
    struct child_args *a = p;
    sigset_t none;
    sigemptyset(&none);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    a->step = "setsid";
    if (setsid() < 0)
        goto fail;
    if ((a->ns ? child_setup(a) : child_plain(a)) != 0)
        goto fail;
    a->step = "execve";
    if (a->exec_fd > 0)
        syscall(SYS_execveat, a->exec_fd, "", a->spec->argv, a->spec->envp, AT_EMPTY_PATH);
    else
        execve(a->spec->path, a->spec->argv, a->spec->envp);
fail:
    a->err = errno != 0 ? errno : EINVAL;
    /* Returning makes glibc's clone exit the child; _exit would work too but
     * makes ASan complain about the foreign stack. */
    return 127;
}

#undef TRY

/* ---- the parent ---- */

static int spawn(struct sandbox *sb, const struct sandbox_spec *spec, struct sandbox_proc *pr,
                 struct netns *ns)
{
    struct child_args a = {.sb = sb, .spec = spec, .ns = sb->ns, .netns_fd = -1};
    snprintf(a.tmpopts, sizeof(a.tmpopts), "size=%dm,mode=1777",
             spec->tmp_mb > 0 ? spec->tmp_mb : 512);
    int flags = CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD;
    if (sb->ns)
        flags |= CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    if (pr->cg != NULL)
        a.ncg = cgroup_procs_fds(pr->cg, a.cg_fds, SANDBOX_CGROUP_FDS);
    if (ns != NULL)
        a.netns_fd = ns->ns_fd;
    int pidfd = -1;
    UNPOISON_STACK();
    pid_t pid = clone(child_main, child_stack + sizeof(child_stack), flags, &a, &pidfd);
    if (pid < 0)
        return -errno;
    if (a.err != 0) {
        waitpid(pid, NULL, 0);
        if (pidfd >= 0)
            close(pidfd);
        if (strcmp(a.step, "execve") != 0 && strcmp(a.step, "chdir cwd") != 0)
            log_warn("sandbox=spawn step=\"%s\" errno=%d msg=\"instance set-up failed\"", a.step,
                     a.err);
        return -a.err;
    }
    pr->pid = pid;
    pr->pidfd = pidfd;
    return 0;
}

int sandbox_parse_kind(const char *s, enum sandbox_kind *out)
{
    static const struct {
        const char *name;
        enum sandbox_kind kind;
    } names[] = {{"auto", SANDBOX_AUTO},
                 {"namespaces", SANDBOX_FULL},
                 {"full", SANDBOX_FULL},
                 {"host-network", SANDBOX_HOST_NETWORK},
                 {"none", SANDBOX_NONE}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].kind;
            return 0;
        }
    return -EINVAL;
}

static void set_mode(struct sandbox *sb)
{
    if (!sb->ns) {
        snprintf(sb->mode, sizeof(sb->mode), "none");
        return;
    }
    enum cgroup_mode cm = cgroup_root_mode(sb->cgr);
    snprintf(sb->mode, sizeof(sb->mode), "namespaces%s%s%s",
             sb->host_netns >= 0 ? "+netns" : "+host-network",
             cm == CGROUP_V1   ? "+cgroup-v1"
             : cm == CGROUP_V2 ? "+cgroup-v2"
                               : "",
             sb->filter != NULL ? "+seccomp" : "");
}

/* One real spawn of /bin/true through everything that is configured. */
static int probe(struct sandbox *sb)
{
    static char name[] = "true";
    char *const argv[] = {name, NULL};
    char *const envp[] = {NULL};
    struct sandbox_spec spec = {.path = "/bin/true",
                                .argv = argv,
                                .envp = envp,
                                .out_fd = 2,
                                .code_dir = "/usr/bin",
                                .tmp_mb = 1,
                                .memory_mb = 128};
    struct sandbox_proc *p;
    int rc = sandbox_spawn(sb, &spec, &p);
    if (rc != 0)
        return rc;
    int status = 0;
    waitpid(p->pid, &status, 0);
    sandbox_release(p);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

/* Builds the optional parts; under SANDBOX_AUTO a missing part is a warning. */
static int open_parts(struct sandbox *sb)
{
    bool strict = sb->cfg.kind != SANDBOX_AUTO;
    int rc = cgroup_root_open(&sb->cgr);
    if (rc != 0) {
        sb->cgr = NULL;
        if (strict)
            return rc;
        log_warn("sandbox=auto err=%d msg=\"no usable cgroups: memory, CPU and task limits are "
                 "NOT enforced\"",
                 rc);
    }
    rc = filter_new(&sb->filter);
    if (rc != 0) {
        sb->filter = NULL;
        if (strict)
            return rc;
        log_warn("sandbox=auto err=%d msg=\"no seccomp filter\"", rc);
    }
    if (sb->cfg.kind == SANDBOX_HOST_NETWORK)
        return 0;
    sb->host_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (sb->host_netns < 0)
        return -errno;
    struct netns ns;
    /* Probe on unused ports; instance listeners use the configured ones. */
    rc = netns_new(sb->host_netns, sb->cfg.runtime_port, sb->cfg.edge_port, &ns);
    if (rc == 0) {
        netns_close(&ns);
        return 0;
    }
    close(sb->host_netns);
    sb->host_netns = -1;
    if (strict)
        return rc;
    log_warn("sandbox=auto err=%d msg=\"no network namespaces: instances share the host "
             "network\"",
             rc);
    return 0;
}

int sandbox_open(const struct sandbox_config *cfg, struct sandbox **out)
{
    struct sandbox *sb = xcalloc(1, sizeof(*sb));
    sb->cfg = *cfg;
    sb->host_netns = -1;
    if (sb->cfg.uid == 0)
        sb->cfg.uid = SANDBOX_UID_DEFAULT;
    if (sb->cfg.gid == 0)
        sb->cfg.gid = SANDBOX_UID_DEFAULT;
    if (sb->cfg.runtime_port == 0)
        sb->cfg.runtime_port = 9001;
    if (sb->cfg.edge_port == 0)
        sb->cfg.edge_port = 4566;
    snprintf(sb->stage, sizeof(sb->stage), "%s",
             cfg->stage_dir != NULL ? cfg->stage_dir : SANDBOX_STAGE_DEFAULT);
    sb->cfg.stage_dir = sb->stage;
    int rc = 0;
    if (cfg->kind == SANDBOX_NONE)
        goto done;
    if (geteuid() != 0) {
        rc = -EPERM;
    } else if (mkdir(sb->stage, 0755) != 0 && errno != EEXIST) {
        rc = -errno;
    } else {
        rc = open_parts(sb);
        sb->ns = rc == 0;
        if (rc == 0)
            rc = probe(sb);
    }
    if (rc != 0 && cfg->kind == SANDBOX_AUTO) {
        log_warn("sandbox=none err=%d msg=\"namespaces unavailable: instances run as plain "
                 "processes with the daemon's privileges and no limits\"",
                 rc);
        filter_free(sb->filter);
        sb->filter = NULL;
        cgroup_root_free(sb->cgr);
        sb->cgr = NULL;
        if (sb->host_netns >= 0)
            close(sb->host_netns);
        sb->host_netns = -1;
        sb->ns = false;
        rc = 0;
    }
    if (rc != 0) {
        sandbox_free(sb);
        return rc;
    }
done:
    set_mode(sb);
    if (!sb->ns)
        log_warn("sandbox=none msg=\"instances are NOT isolated: plain processes on host paths\"");
    *out = sb;
    return 0;
}

void sandbox_free(struct sandbox *sb)
{
    if (sb == NULL)
        return;
    filter_free(sb->filter);
    cgroup_root_free(sb->cgr);
    if (sb->host_netns >= 0)
        close(sb->host_netns);
    free(sb);
}

const char *sandbox_mode(const struct sandbox *sb)
{
    return sb->mode;
}

bool sandbox_isolated(const struct sandbox *sb)
{
    return sb->ns;
}

bool sandbox_has_netns(const struct sandbox *sb)
{
    return sb->ns && sb->host_netns >= 0;
}

bool sandbox_enforces_limits(const struct sandbox *sb)
{
    return sb->ns && sb->cgr != NULL;
}

int sandbox_spawn(struct sandbox *sb, const struct sandbox_spec *spec, struct sandbox_proc **out)
{
    struct sandbox_proc *p = xcalloc(1, sizeof(*p));
    p->sb = sb;
    p->pidfd = p->runtime_fd = p->edge_fd = p->netns_fd = -1;
    struct netns ns = {.ns_fd = -1, .runtime_fd = -1, .edge_fd = -1};
    int rc = 0;
    if (sb->ns && sb->cgr != NULL) {
        struct cgroup_limits lim = {.memory_mb = spec->memory_mb,
                                    .cpu_quota_us = cgroup_quota_for_memory(spec->memory_mb),
                                    .pids_max = SANDBOX_TASKS_MAX};
        rc = cgroup_new(sb->cgr, &lim, &p->cg);
    }
    if (rc == 0 && sandbox_has_netns(sb))
        rc = netns_new(sb->host_netns, sb->cfg.runtime_port, sb->cfg.edge_port, &ns);
    if (rc == 0)
        rc = spawn(sb, spec, p, sb->ns && sb->host_netns >= 0 ? &ns : NULL);
    if (p->cg != NULL)
        cgroup_attach_done(p->cg);
    if (rc != 0) {
        netns_close(&ns);
        cgroup_free(p->cg);
        free(p);
        return rc;
    }
    /* The instance holds the namespace now; the listeners keep it too, and
     * so does netns_fd, for sockets the daemon opens into it later. */
    p->runtime_fd = ns.runtime_fd;
    p->edge_fd = ns.edge_fd;
    p->netns_fd = ns.ns_fd;
    *out = p;
    return 0;
}

int sandbox_freeze(struct sandbox_proc *p, bool frozen)
{
    return p->cg != NULL ? cgroup_freeze(p->cg, frozen) : -ENOTSUP;
}

bool sandbox_oom_killed(const struct sandbox_proc *p)
{
    return p->cg != NULL && cgroup_oom_killed(p->cg);
}

/* VmHWM of pid in MB, for instances without a memory cgroup. */
static int vmhwm_mb(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    const char *s = strstr(buf, "VmHWM:");
    if (s == NULL)
        return 0;
    s += 6;
    long kb = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    while (*s >= '0' && *s <= '9')
        kb = kb * 10 + (*s++ - '0');
    return (int)((kb + 1023) / 1024);
}

int sandbox_peak_mb(struct sandbox_proc *p)
{
    if (p->cg == NULL)
        return vmhwm_mb(p->pid);
    int64_t b = cgroup_peak_bytes(p->cg);
    return b <= 0 ? 0 : (int)((b + (1 << 20) - 1) >> 20);
}

int sandbox_socket(struct sandbox_proc *p)
{
    bool enter = p->netns_fd >= 0;
    if (enter && setns(p->netns_fd, CLONE_NEWNET) != 0)
        return -errno;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int err = errno;
    if (enter && setns(p->sb->host_netns, CLONE_NEWNET) != 0)
        abort(); /* the loop thread would stay in the instance's network */
    return fd >= 0 ? fd : -err;
}

void sandbox_kill(struct sandbox_proc *p)
{
    if (p->cg != NULL)
        cgroup_kill(p->cg);
    kill(-p->pid, SIGKILL);
}

void sandbox_release(struct sandbox_proc *p)
{
    if (p == NULL)
        return;
    if (p->cg != NULL && cgroup_populated(p->cg))
        cgroup_kill(p->cg);
    cgroup_free(p->cg);
    int *fds[] = {&p->pidfd, &p->runtime_fd, &p->edge_fd, &p->netns_fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (*fds[i] >= 0)
            close(*fds[i]);
    free(p);
}
