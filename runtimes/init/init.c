/* SPDX-License-Identifier: MIT */
/*
 * lambdad-init: the first process of an instance whose function has external
 * extensions (executables in /opt/extensions). It plays the part of Lambda's
 * init inside the execution environment:
 *
 *   lambdad-init N EXT_1 ... EXT_N -- RUNTIME_PATH RUNTIME_ARGV0 [ARGS...]
 *
 * It starts every extension at once, starts the runtime when lambdad says so
 * (once every extension has registered), and reports every exit to lambdad.
 * It talks to lambdad over fd 3 (a stream socket), one line per message:
 *
 *   from lambdad:  "s"          start the runtime
 *                  "t"          send the runtime SIGTERM (shutdown)
 *   to lambdad:    "x I STATUS" extension I (0-based) exited, raw wait status
 *                  "l I ERRNO"  extension I could not be executed
 *                  "r STATUS"   the runtime exited
 *                  "L ERRNO"    the runtime could not be executed
 *
 * When fd 4 is open, extensions get it as their stdout and stderr (the
 * runtime keeps lambdad-init's own), so that lambdad can tell their output
 * apart.
 *
 * It exits (0) once the runtime and every extension are gone, or at once
 * when lambdad closes fd 3. As the first process of the instance's pid
 * namespace it also reaps orphans. Extensions do not get the variables that
 * only concern the runtime (the handler, the task and runtime directories,
 * the log group and stream, the execution environment), as on AWS.
 *
 * Built static (no libraries in the sandbox are assumed) and executed by
 * lambdad through a file descriptor, so it need not exist inside the
 * instance's root.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define CTL_FD     3
#define EXT_OUT_FD 4
#define EXT_MAX    10
#define ENV_MAX    256
#define LINE_MAX   64

static const char *const runtime_only[] = {
    "_HANDLER=",          "LAMBDA_TASK_ROOT=",          "LAMBDA_RUNTIME_DIR=",
    "AWS_EXECUTION_ENV=", "AWS_LAMBDA_LOG_GROUP_NAME=", "AWS_LAMBDA_LOG_STREAM_NAME=",
};

/* One message to lambdad: a tag, one or two numbers. */
static void say(char tag, long a, long b, bool two)
{
    char line[LINE_MAX];
    int n = two ? snprintf(line, sizeof(line), "%c %ld %ld\n", tag, a, b)
                : snprintf(line, sizeof(line), "%c %ld\n", tag, a);
    if (n > 0 && write(CTL_FD, line, (size_t)n) < 0 && errno != EAGAIN)
        _exit(1); /* lambdad is gone */
}

/* Starts path; returns the pid, or -1 after reporting the errno of a failed
 * fork or exec with tag. The exec's own failure is learnt through a
 * close-on-exec pipe, so that it is reported as such rather than as an
 * exit. */
static pid_t start(const char *path, char *const argv[], char *const envp[], char tag, long idx,
                   bool two)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        say(tag, two ? idx : errno, errno, two);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (two && fcntl(EXT_OUT_FD, F_GETFD) >= 0) {
            /* Extensions write to their own stream (Telemetry "extension"). */
            dup2(EXT_OUT_FD, 1);
            dup2(EXT_OUT_FD, 2);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(path, argv, envp);
        int err = errno;
        ssize_t w = write(p[1], &err, sizeof(err));
        _exit(w == (ssize_t)sizeof(err) ? 127 : 126);
    }
    int err = errno;
    close(p[1]);
    if (pid > 0) {
        ssize_t got;
        do
            got = read(p[0], &err, sizeof(err));
        while (got < 0 && errno == EINTR);
        if (got == (ssize_t)sizeof(err)) {
            waitpid(pid, NULL, 0);
            pid = -1;
        }
    }
    close(p[0]);
    if (pid < 0)
        say(tag, two ? idx : err, err, two);
    return pid;
}

static void kill_all(pid_t rt, const pid_t *pids, long n)
{
    if (rt > 0)
        kill(rt, SIGKILL);
    for (long i = 0; i < n; i++)
        if (pids[i] > 0)
            kill(pids[i], SIGKILL);
}

int main(int argc, char **argv, char **envp)
{
    long n = argc >= 2 ? strtol(argv[1], NULL, 10) : -1;
    if (n < 0 || n > EXT_MAX || argc < n + 5 || strcmp(argv[n + 2], "--") != 0) {
        fprintf(stderr, "lambdad-init: usage: lambdad-init N EXT... -- RUNTIME ARGV0 ...\n");
        return 2;
    }
    char **ext = argv + 2;
    char *rt_path = argv[n + 3];
    char **rt_argv = argv + n + 4;
    static char *ext_env[ENV_MAX];
    size_t ne = 0;
    for (char **e = envp; *e != NULL && ne < ENV_MAX - 1; e++) {
        bool drop = false;
        for (size_t i = 0; i < sizeof(runtime_only) / sizeof(runtime_only[0]); i++)
            if (strncmp(*e, runtime_only[i], strlen(runtime_only[i])) == 0)
                drop = true;
        if (!drop)
            ext_env[ne++] = *e;
    }
    ext_env[ne] = NULL;
    if (fcntl(CTL_FD, F_SETFD, FD_CLOEXEC) != 0)
        return 2;
    if (fcntl(EXT_OUT_FD, F_GETFD) >= 0)
        fcntl(EXT_OUT_FD, F_SETFD, FD_CLOEXEC); /* dup2 in the child clears it */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    pid_t pids[EXT_MAX];
    long alive = 0;
    for (long i = 0; i < n; i++) {
        char *ext_argv[] = {ext[i], NULL};
        pids[i] = start(ext[i], ext_argv, ext_env, 'l', i, true);
        if (pids[i] > 0)
            alive++;
    }
    pid_t rt = 0; /* 0: not started; -1: gone */
    bool ctl_open = true;
    while (ctl_open || alive > 0 || rt > 0) {
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == rt) {
                say('r', status, 0, false);
                rt = -1;
            }
            for (long i = 0; i < n; i++)
                if (pids[i] == pid) {
                    say('x', i, status, true);
                    pids[i] = -1;
                    alive--;
                }
        }
        if (!ctl_open && alive == 0 && rt <= 0)
            break;
        struct pollfd pfd[2] = {{.fd = sfd, .events = POLLIN},
                                {.fd = ctl_open ? CTL_FD : -1, .events = POLLIN}};
        if (poll(pfd, 2, -1) < 0 && errno != EINTR)
            return 2;
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
            ;
        if (!ctl_open || !(pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char buf[LINE_MAX];
        ssize_t got = read(CTL_FD, buf, sizeof(buf));
        if (got <= 0) {
            /* lambdad closed its end: the instance is being torn down. */
            kill_all(rt, pids, n);
            ctl_open = false;
            continue;
        }
        for (ssize_t i = 0; i < got; i++) {
            if (buf[i] == 's' && rt == 0)
                rt = start(rt_path, rt_argv, envp, 'L', 0, false);
            else if (buf[i] == 't' && rt > 0)
                kill(rt, SIGTERM);
        }
    }
    return 0;
}
