/* SPDX-License-Identifier: MIT */
/*
 * The child runs on a static stack in the parent's address space until it
 * execs (CLONE_VM|CLONE_VFORK: the parent is suspended meanwhile, so one
 * stack serves every spawn, and the child can report its errno through the
 * shared memory). Between clone and execve the child calls only system
 * calls: no malloc, no locks, no stdio.
 */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/log.h"

struct child_args {
    const struct proc_spec *spec;
    bool mountns;
    char tmpopts[64];
    int err; /* written by the child on failure */
};

static _Alignas(16) char child_stack[128 * 1024];
static bool have_mountns;

static int child_setup_mounts(struct child_args *a)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return -1;
    for (int i = 0; i < a->spec->nbinds; i++) {
        const struct proc_bind *b = &a->spec->binds[i];
        if (mount(b->src, b->dst, NULL, MS_BIND | MS_REC, NULL) != 0 ||
            mount(NULL, b->dst, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV,
                  NULL) != 0)
            return -1;
    }
    /* After the binds: a code directory under the host's /tmp stays visible. */
    return mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, a->tmpopts);
}

static int child_main(void *p)
{
    struct child_args *a = p;
    const struct proc_spec *spec = a->spec;
    sigset_t none;
    sigemptyset(&none);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);
    sigprocmask(SIG_SETMASK, &none, NULL);
    int nul = -1;
    if (setsid() < 0)
        goto fail;
    if (a->mountns && child_setup_mounts(a) != 0)
        goto fail;
    nul = open("/dev/null", O_RDONLY);
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(spec->out_fd, 1) < 0 || dup2(spec->out_fd, 2) < 0)
        goto fail;
    if (spec->cwd != NULL && chdir(spec->cwd) != 0)
        goto fail;
    execve(spec->path, spec->argv, spec->envp);
fail:
    a->err = errno != 0 ? errno : EINVAL;
    _exit(127);
}

static int spawn(const struct proc_spec *spec, bool mountns, pid_t *out)
{
    struct child_args a = {.spec = spec, .mountns = mountns, .err = 0};
    snprintf(a.tmpopts, sizeof(a.tmpopts), "size=%dm,mode=1777", spec->tmp_mb);
    int flags = CLONE_VM | CLONE_VFORK | SIGCHLD | (mountns ? CLONE_NEWNS : 0);
    pid_t pid = clone(child_main, child_stack + sizeof(child_stack), flags, &a);
    if (pid < 0)
        return -errno;
    if (a.err != 0) {
        waitpid(pid, NULL, 0);
        return -a.err;
    }
    *out = pid;
    return 0;
}

int process_prepare_mountpoints(void)
{
    static const char *const dirs[] = {"/var/task", "/var/runtime"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (mkdir(dirs[i], 0755) != 0 && errno != EEXIST)
            return -errno;
    return 0;
}

bool process_have_mountns(void)
{
    return have_mountns;
}

void process_probe(bool allowed)
{
    if (!allowed) {
        have_mountns = false;
        log_warn("sandbox=none msg=\"instances run as plain processes: code is not remounted "
                 "read-only and /tmp is a per-instance directory\"");
        return;
    }
    static char name[] = "true";
    char *const argv[] = {name, NULL};
    char *const envp[] = {NULL};
    struct proc_spec spec = {
        .path = "/bin/true", .argv = argv, .envp = envp, .out_fd = 2, .tmp_mb = 1};
    pid_t pid;
    int rc = spawn(&spec, true, &pid);
    have_mountns = rc == 0;
    if (have_mountns)
        waitpid(pid, NULL, 0);
    if (have_mountns && process_prepare_mountpoints() != 0)
        have_mountns = false;
    if (!have_mountns)
        log_warn("sandbox=none err=%d msg=\"mount namespaces unavailable: code is not "
                 "remounted read-only and /tmp is a per-instance directory\"",
                 rc);
}

int process_spawn(const struct proc_spec *spec, pid_t *pid)
{
    return spawn(spec, have_mountns, pid);
}

int process_peak_mb(pid_t pid)
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
    const char *p = strstr(buf, "VmHWM:");
    if (p == NULL)
        return 0;
    p += 6;
    long kb = 0;
    while (*p == ' ' || *p == '\t')
        p++;
    while (*p >= '0' && *p <= '9')
        kb = kb * 10 + (*p++ - '0');
    return (int)((kb + 1023) / 1024);
}
