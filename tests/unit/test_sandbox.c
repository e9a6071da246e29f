/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for sandbox/: hostile children run for real inside the sandbox
 * (/bin/sh and /usr/bin/python3 scripts from the read-only /usr bind) and
 * print "key=value" lines to a pipe the test reads; the test checks what
 * they could and could not do. Every test skips with a message when not
 * root, when namespaces or cgroups are unavailable, or (for the system-call
 * checks) when the build has no libseccomp. Every wait has a deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* cmocka.h needs these four first, in this order. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "sandbox/sandbox.h"

#define DEADLINE_MS 20000
#define PYTHON      "/usr/bin/python3"

struct fixture {
    struct sandbox *sb;
    char dir[64];     /* host temp dir: bound as the code, holds a secret */
    char secret[128]; /* a host file the sandbox must not read */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/var/tmp/lambdad-sbx.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    chmod(f->dir, 0755);
    snprintf(f->secret, sizeof(f->secret), "%s/secret", f->dir);
    int fd = open(f->secret, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "s3cret\n", 7), 7);
    close(fd);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    sandbox_free(f->sb);
    unlink(f->secret);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Opens the sandbox of kind, or skips the test saying why. */
static void open_or_skip(struct fixture *f, enum sandbox_kind kind, bool need_cgroup)
{
    if (kind != SANDBOX_NONE && geteuid() != 0) {
        print_message("skip: sandbox tests need root\n");
        skip();
    }
    struct sandbox_config cfg = {.kind = kind};
    int rc = sandbox_open(&cfg, &f->sb);
    if (rc != 0) {
        print_message("skip: sandbox_open: %s\n", strerror(-rc));
        skip();
    }
    if (kind != SANDBOX_NONE && !sandbox_isolated(f->sb)) {
        print_message("skip: namespaces unavailable (%s)\n", sandbox_mode(f->sb));
        skip();
    }
    if (need_cgroup && !sandbox_enforces_limits(f->sb)) {
        print_message("skip: no cgroups (%s)\n", sandbox_mode(f->sb));
        skip();
    }
}

struct run {
    struct sandbox_proc *p;
    int out; /* read end of the child's stdout/stderr */
};

static void start(struct fixture *f, const char *path, char *const *argv, int memory_mb, int tmp_mb,
                  struct run *r)
{
    static char path_env[] = "PATH=/usr/bin:/bin";
    char *envp[] = {path_env, NULL};
    int pfd[2];
    assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
    struct sandbox_spec spec = {.path = path,
                                .argv = argv,
                                .envp = envp,
                                .cwd = sandbox_isolated(f->sb) ? "/var/task" : f->dir,
                                .out_fd = pfd[1],
                                .code_dir = f->dir,
                                .runtime_dir = f->dir,
                                .tmp_mb = tmp_mb,
                                .memory_mb = memory_mb};
    int rc = sandbox_spawn(f->sb, &spec, &r->p);
    close(pfd[1]);
    assert_int_equal(rc, 0);
    r->out = pfd[0];
}

static void start_sh(struct fixture *f, const char *script, int memory_mb, int tmp_mb,
                     struct run *r)
{
    char *argv[] = {(char *)(uintptr_t) "sh", (char *)(uintptr_t) "-c", (char *)(uintptr_t)script,
                    NULL};
    start(f, "/bin/sh", argv, memory_mb, tmp_mb, r);
}

static void start_py(struct fixture *f, const char *script, int memory_mb, struct run *r)
{
    if (access(PYTHON, X_OK) != 0) {
        print_message("skip: no %s\n", PYTHON);
        skip();
    }
    char *argv[] = {(char *)(uintptr_t) "python3", (char *)(uintptr_t) "-c",
                    (char *)(uintptr_t)script, NULL};
    start(f, PYTHON, argv, memory_mb, 16, r);
}

/* Reads the output until EOF and reaps the child; returns its wait status. */
static int finish(struct run *r, char *out, size_t size)
{
    size_t len = 0;
    int64_t end = now_ms() + DEADLINE_MS;
    for (;;) {
        int64_t left = end - now_ms();
        assert_true(left > 0);
        struct pollfd pf = {.fd = r->out, .events = POLLIN};
        assert_true(poll(&pf, 1, (int)left) >= 0);
        char buf[4096];
        ssize_t n = read(r->out, buf, sizeof(buf));
        if (n <= 0)
            break;
        size_t take = (size_t)n < size - 1 - len ? (size_t)n : size - 1 - len;
        memcpy(out + len, buf, take);
        len += take;
    }
    out[len] = '\0';
    close(r->out);
    struct pollfd pf = {.fd = r->p->pidfd, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, DEADLINE_MS), 1);
    int status = 0;
    assert_int_equal(waitpid(r->p->pid, &status, 0), r->p->pid);
    return status;
}

/* The value of "key=" in out, or NULL. */
static const char *val(const char *out, const char *key, char *buf, size_t size)
{
    size_t klen = strlen(key);
    for (const char *p = out; p != NULL && *p != '\0'; p = strchr(p, '\n'), p = p ? p + 1 : p) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            const char *e = strchr(p, '\n');
            size_t n = e != NULL ? (size_t)(e - p - klen - 1) : strlen(p + klen + 1);
            n = n < size - 1 ? n : size - 1;
            memcpy(buf, p + klen + 1, n);
            buf[n] = '\0';
            return buf;
        }
    }
    return NULL;
}

static void assert_val(const char *out, const char *key, const char *want)
{
    char buf[256];
    const char *got = val(out, key, buf, sizeof(buf));
    if (got == NULL || strcmp(got, want) != 0)
        print_message("%s: got \"%s\", want \"%s\"\n--- output:\n%s\n", key,
                      got != NULL ? got : "(missing)", want, out);
    assert_non_null(got);
    assert_string_equal(got, want);
}

/* ---- tests ---- */

static void test_filesystem(void **state)
{
    struct fixture *f = *state;
    open_or_skip(f, SANDBOX_AUTO, true);
    char script[2048], out[8192];
    snprintf(script, sizeof(script),
             "echo uid=$(id -u); echo host=$(hostname); echo pid=$$\n"
             "cat %s >/dev/null 2>&1 && echo secret=read || echo secret=denied\n"
             "cat /var/task/secret >/dev/null 2>&1 && echo code=read || echo code=denied\n"
             "ls /root >/dev/null 2>&1 && echo root=listed || echo root=denied\n"
             "cat /etc/shadow >/dev/null 2>&1 && echo shadow=read || echo shadow=denied\n"
             "touch /var/task/x 2>&1 | grep -q 'Read-only' && echo task=erofs || echo task=?\n"
             "touch /x 2>&1 | grep -q 'Read-only' && echo rootfs=erofs || echo rootfs=?\n"
             "echo hi >/dev/null && echo devnull=ok\n"
             "head -c 4 /dev/urandom | wc -c | sed 's/^/urandom=/'\n"
             "dd if=/dev/zero of=/tmp/big bs=1M count=20 2>&1 | grep -q 'No space' "
             "&& echo tmp=enospc || echo tmp=?\n"
             "echo procs=$(ls /proc | grep -c '^[0-9]')\n"
             "echo nofile=$(ulimit -n)\n"
             "grep -q '^CapEff:.0000000000000000' /proc/self/status && echo caps=none\n"
             "grep -q '^CapBnd:.0000000000000000' /proc/self/status && echo bnd=none\n"
             "grep -q '^NoNewPrivs:.1' /proc/self/status && echo nnp=1\n",
             f->secret);
    struct run r;
    start_sh(f, script, 128, 8, &r);
    int st = finish(&r, out, sizeof(out));
    assert_true(WIFEXITED(st));
    assert_val(out, "uid", "65534");
    assert_val(out, "host", "localhost");
    assert_val(out, "pid", "1");
    assert_val(out, "secret", "denied");
    assert_val(out, "code", "read"); /* the code directory is the one thing it sees */
    assert_val(out, "root", "denied");
    assert_val(out, "shadow", "denied");
    assert_val(out, "task", "erofs");
    assert_val(out, "rootfs", "erofs");
    assert_val(out, "devnull", "ok");
    assert_val(out, "urandom", "4");
    assert_val(out, "tmp", "enospc");
    char buf[32];
    assert_non_null(val(out, "procs", buf, sizeof(buf)));
    assert_true(atoi(buf) >= 1 && atoi(buf) <= 4); /* sh, ls, grep: its own only */
    assert_val(out, "nofile", "1024");
    assert_val(out, "caps", "none");
    assert_val(out, "bnd", "none");
    assert_val(out, "nnp", "1");
    sandbox_release(r.p);
}

static void test_syscalls_denied(void **state)
{
    struct fixture *f = *state;
    open_or_skip(f, SANDBOX_AUTO, false);
    if (strstr(sandbox_mode(f->sb), "seccomp") == NULL) {
        print_message("skip: built without libseccomp (%s)\n", sandbox_mode(f->sb));
        skip();
    }
    static const char script[] =
        "import ctypes, os\n"
        "c = ctypes.CDLL(None, use_errno=True)\n"
        "def t(k, r):\n"
        "    print('%s=%d' % (k, ctypes.get_errno() if r != 0 else 0), flush=True)\n"
        "t('mount', c.mount(b'none', b'/tmp', b'tmpfs', 0, None))\n"
        "t('umount', c.umount2(b'/proc', 2))\n"
        "t('unshare', c.unshare(0x10000000))\n"
        "t('ptrace', c.ptrace(0, 0, None, None))\n"
        "t('setns', c.setns(0, 0))\n"
        "t('keyctl', c.syscall(250, 0, 0, 0, 0))\n"
        "t('bpf', c.syscall(321, 0, 0, 0))\n"
        "t('clone_newns', c.syscall(56, 0x20000 | 17, 0, 0, 0, 0))\n"
        "t('clone3', c.syscall(435, 0, 0))\n"
        "pid = os.fork()\n"
        "if pid == 0: os._exit(7)\n"
        "print('fork=%d' % os.waitpid(pid, 0)[1], flush=True)\n";
    struct run r;
    char out[4096];
    start_py(f, script, 256, &r);
    int st = finish(&r, out, sizeof(out));
    assert_true(WIFEXITED(st));
    assert_val(out, "mount", "1");
    assert_val(out, "umount", "1");
    assert_val(out, "unshare", "1");
    assert_val(out, "ptrace", "1");
    assert_val(out, "setns", "1");
    assert_val(out, "keyctl", "1");
    assert_val(out, "bpf", "1");
    assert_val(out, "clone_newns", "1");
    assert_val(out, "clone3", "38"); /* ENOSYS, so libc falls back to clone */
    assert_val(out, "fork", "1792"); /* plain fork still works: exit 7 */
    sandbox_release(r.p);
}

static void test_network(void **state)
{
    struct fixture *f = *state;
    open_or_skip(f, SANDBOX_AUTO, false);
    if (!sandbox_has_netns(f->sb)) {
        print_message("skip: no network namespaces (%s)\n", sandbox_mode(f->sb));
        skip();
    }
    /* A host loopback listener the instance must not reach. */
    int hs = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(hs, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(hs, 4), 0);
    assert_int_equal(getsockname(hs, (struct sockaddr *)&sa, &sl), 0);
    char script[1024];
    snprintf(script, sizeof(script),
             "import socket\n"
             "def conn(port, data):\n"
             "    s = socket.socket()\n"
             "    try:\n"
             "        s.connect(('127.0.0.1', port)); s.sendall(data); return 'ok'\n"
             "    except OSError as e:\n"
             "        return str(e.errno)\n"
             "print('host=' + conn(%d, b''), flush=True)\n"
             "print('runtime=' + conn(9001, b'hello-runtime'), flush=True)\n"
             "print('edge=' + conn(4566, b'hello-edge'), flush=True)\n",
             (int)ntohs(sa.sin_port));
    struct run r;
    char out[4096];
    start_py(f, script, 256, &r);
    assert_true(r.p->runtime_fd >= 0);
    assert_true(r.p->edge_fd >= 0);
    /* The daemon side: accept on the listeners made inside the namespace. */
    int fds[2] = {r.p->runtime_fd, r.p->edge_fd};
    const char *want[2] = {"hello-runtime", "hello-edge"};
    for (int i = 0; i < 2; i++) {
        struct pollfd pf = {.fd = fds[i], .events = POLLIN};
        assert_int_equal(poll(&pf, 1, DEADLINE_MS), 1);
        int c = accept4(fds[i], NULL, NULL, SOCK_CLOEXEC);
        assert_true(c >= 0);
        char buf[64] = {0};
        pf.fd = c;
        size_t got = 0;
        while (got < strlen(want[i]) && poll(&pf, 1, DEADLINE_MS) == 1) {
            ssize_t n = read(c, buf + got, sizeof(buf) - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        assert_string_equal(buf, want[i]);
        close(c);
    }
    int st = finish(&r, out, sizeof(out));
    assert_true(WIFEXITED(st));
    assert_val(out, "host", "111"); /* ECONNREFUSED: nothing listens in its namespace */
    assert_val(out, "runtime", "ok");
    assert_val(out, "edge", "ok");
    close(hs);
    sandbox_release(r.p);
}

static void test_oom_and_peak(void **state)
{
    struct fixture *f = *state;
    open_or_skip(f, SANDBOX_AUTO, true);
    static const char script[] = "import sys\n"
                                 "print('started=1', flush=True)\n"
                                 "a = b'x' * (256 << 20)\n"
                                 "print('survived=1', flush=True)\n";
    struct run r;
    char out[4096];
    start_py(f, script, 128, &r);
    int st = finish(&r, out, sizeof(out));
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    assert_true(sandbox_oom_killed(r.p));
    int peak = sandbox_peak_mb(r.p);
    print_message("peak after OOM: %d MB (limit 128)\n", peak);
    assert_true(peak >= 100 && peak <= 130);
    sandbox_release(r.p);

    /* A well-behaved instance: not OOM-killed, peak about what it used. */
    static const char small[] = "a = b'x' * (40 << 20)\nprint('ok=1')\n";
    start_py(f, small, 128, &r);
    st = finish(&r, out, sizeof(out));
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_false(sandbox_oom_killed(r.p));
    peak = sandbox_peak_mb(r.p);
    print_message("peak of a 40 MB allocation: %d MB\n", peak);
    assert_true(peak >= 40 && peak < 128);
    sandbox_release(r.p);
}

static void test_pids_limit(void **state)
{
    struct fixture *f = *state;
    open_or_skip(f, SANDBOX_AUTO, true);
    static const char script[] = "import os, time\n"
                                 "n = 0\n"
                                 "try:\n"
                                 "    while n < 5000:\n"
                                 "        if os.fork() == 0:\n"
                                 "            time.sleep(30); os._exit(0)\n"
                                 "        n += 1\n"
                                 "except OSError as e:\n"
                                 "    print('errno=%d' % e.errno)\n"
                                 "print('forks=%d' % n, flush=True)\n";
    struct run r;
    char out[4096], buf[32];
    start_py(f, script, 1024, &r);
    int st = finish(&r, out, sizeof(out));
    assert_true(WIFEXITED(st));
    assert_val(out, "errno", "11"); /* EAGAIN */
    assert_non_null(val(out, "forks", buf, sizeof(buf)));
    print_message("forks before the limit: %s\n", buf);
    assert_true(atoi(buf) >= 900 && atoi(buf) < 1024);
    sandbox_release(r.p); /* pid 1 exited: its namespace took the sleepers along */
    /* The host is fine. */
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    assert_true(pid > 0);
    waitpid(pid, NULL, 0);
}

/* CPU time of pid (user + system) in ms, from /proc/pid/stat. */
static int64_t cpu_ms(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    assert_true(n > 0);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    assert_non_null(p);
    int64_t ut = 0, stt = 0;
    for (int field = 2; *p != '\0'; p++) {
        if (*p != ' ')
            continue;
        field++;
        if (field == 14)
            ut = strtoll(p + 1, NULL, 10);
        if (field == 15) {
            stt = strtoll(p + 1, NULL, 10);
            break;
        }
    }
    return (ut + stt) * 1000 / sysconf(_SC_CLK_TCK);
}

static void stop(struct run *r)
{
    char out[256];
    sandbox_kill(r->p);
    finish(r, out, sizeof(out));
    sandbox_release(r->p);
}

static void test_cpu_quota(void **state)
{
    struct fixture *f = *state;
    open_or_skip(f, SANDBOX_AUTO, true);
    const int mem[2] = {128, 1769};
    for (int i = 0; i < 2; i++) {
        struct run r;
        start_sh(f, "while :; do :; done", mem[i], 8, &r);
        int64_t c0 = cpu_ms(r.p->pid), t0 = now_ms();
        sleep_ms(1000);
        int64_t used = cpu_ms(r.p->pid) - c0, wall = now_ms() - t0;
        double share = (double)used / (double)wall;
        print_message("%d MB: %.3f of a core (want %.3f)\n", mem[i], share, mem[i] / 1769.0);
        if (i == 0)
            assert_true(share > 0.02 && share < 0.16);
        else
            assert_true(share > 0.6 && share < 1.1);
        stop(&r);
    }
}

static void test_freeze(void **state)
{
    struct fixture *f = *state;
    open_or_skip(f, SANDBOX_AUTO, true);
    struct run r;
    start_sh(f, "while :; do :; done", 1769, 8, &r);
    sleep_ms(200);
    assert_int_equal(sandbox_freeze(r.p, true), 0);
    sleep_ms(100); /* freezing completes asynchronously */
    int64_t c0 = cpu_ms(r.p->pid);
    sleep_ms(500);
    int64_t frozen = cpu_ms(r.p->pid) - c0;
    assert_int_equal(sandbox_freeze(r.p, false), 0);
    c0 = cpu_ms(r.p->pid);
    sleep_ms(300);
    int64_t thawed = cpu_ms(r.p->pid) - c0;
    print_message("cpu while frozen: %lld ms / 500 ms; thawed: %lld ms / 300 ms\n",
                  (long long)frozen, (long long)thawed);
    assert_true(frozen <= 20);
    assert_true(thawed >= 100);
    /* A frozen instance can still be killed. */
    assert_int_equal(sandbox_freeze(r.p, true), 0);
    stop(&r);
}

static void test_kill_tree(void **state)
{
    struct fixture *f = *state;
    open_or_skip(f, SANDBOX_AUTO, false);
    struct run r;
    start_sh(f, "sleep 60 & sleep 60 & (sleep 60 &) ; echo started=1; wait", 128, 8, &r);
    sleep_ms(100);
    int64_t t0 = now_ms();
    stop(&r);
    assert_true(now_ms() - t0 < 2000);
}

static void test_exec_errors(void **state)
{
    struct fixture *f = *state;
    open_or_skip(f, SANDBOX_AUTO, false);
    char *argv[] = {(char *)(uintptr_t) "bootstrap", NULL};
    char *envp[] = {NULL};
    struct sandbox_spec spec = {.path = "/var/task/bootstrap",
                                .argv = argv,
                                .envp = envp,
                                .out_fd = 2,
                                .code_dir = f->dir,
                                .tmp_mb = 8,
                                .memory_mb = 128};
    struct sandbox_proc *p = NULL;
    assert_int_equal(sandbox_spawn(f->sb, &spec, &p), -ENOENT);
    spec.path = "/var/task/secret"; /* exists, not executable */
    assert_int_equal(sandbox_spawn(f->sb, &spec, &p), -EACCES);
    assert_null(p);
}

static void test_none_mode(void **state)
{
    struct fixture *f = *state;
    open_or_skip(f, SANDBOX_NONE, false);
    assert_string_equal(sandbox_mode(f->sb), "none");
    assert_false(sandbox_has_netns(f->sb));
    struct run r;
    char out[256];
    start_sh(f, "echo uid=$(id -u); pwd | sed 's/^/cwd=/'", 128, 8, &r);
    assert_int_equal(r.p->runtime_fd, -1);
    int st = finish(&r, out, sizeof(out));
    assert_true(WIFEXITED(st));
    char want[16];
    snprintf(want, sizeof(want), "%d", (int)geteuid());
    assert_val(out, "uid", want);
    assert_val(out, "cwd", f->dir);
    sandbox_release(r.p);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Figures only (never fails on time): spawn-to-exit of /bin/true. */
static void test_latency(void **state)
{
    struct fixture *f = *state;
    open_or_skip(f, SANDBOX_AUTO, false);
    enum { N = 200 };
    int64_t us[N];
    char *argv[] = {(char *)(uintptr_t) "true", NULL};
    char *envp[] = {NULL};
    struct sandbox_spec spec = {.path = "/bin/true",
                                .argv = argv,
                                .envp = envp,
                                .out_fd = 2,
                                .code_dir = f->dir,
                                .tmp_mb = 512,
                                .memory_mb = 128};
    for (int i = -10; i < N; i++) {
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        struct sandbox_proc *p;
        assert_int_equal(sandbox_spawn(f->sb, &spec, &p), 0);
        int st;
        waitpid(p->pid, &st, 0);
        clock_gettime(CLOCK_MONOTONIC, &b);
        sandbox_release(p);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        if (i >= 0)
            us[i] = (b.tv_sec - a.tv_sec) * 1000000LL + (b.tv_nsec - a.tv_nsec) / 1000;
    }
    qsort(us, N, sizeof(us[0]), cmp_i64);
    print_message("%s: spawn to exit of /bin/true: p50 %lld us, p99 %lld us\n", sandbox_mode(f->sb),
                  (long long)us[N / 2], (long long)us[N * 99 / 100]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_filesystem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syscalls_denied, setup, teardown),
        cmocka_unit_test_setup_teardown(test_network, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oom_and_peak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pids_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cpu_quota, setup, teardown),
        cmocka_unit_test_setup_teardown(test_freeze, setup, teardown),
        cmocka_unit_test_setup_teardown(test_kill_tree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_none_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latency, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
