/* SPDX-License-Identifier: MIT */
/*
 * Network namespaces with daemon-owned listeners. A listening socket keeps
 * the namespace it was created in, whatever namespace its owner later runs
 * in, so the daemon serves 127.0.0.1:9001 of every instance from its own
 * event loop; an instance reaches nothing else, not even the host loopback.
 * The namespace dies (asynchronously, in the kernel) once the instance is
 * gone and its sockets are closed.
 */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"

#define NETNS_BACKLOG 128

static int lo_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = 0;
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
        rc = -errno;
    ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    if (rc == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
        rc = -errno;
    close(s);
    return rc;
}

static int listen_lo(uint16_t port, int *out)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -errno;
    int one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(s, NETNS_BACKLOG) != 0) {
        int rc = -errno;
        close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int netns_new(int host_ns_fd, uint16_t runtime_port, uint16_t edge_port, struct netns *out)
{
    struct netns ns = {.ns_fd = -1, .runtime_fd = -1, .edge_fd = -1};
    if (unshare(CLONE_NEWNET) != 0)
        return -errno;
    int rc = 0;
    ns.ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns.ns_fd < 0)
        rc = -errno;
    if (rc == 0)
        rc = lo_up();
    if (rc == 0)
        rc = listen_lo(runtime_port, &ns.runtime_fd);
    if (rc == 0 && edge_port != 0)
        rc = listen_lo(edge_port, &ns.edge_fd);
    if (setns(host_ns_fd, CLONE_NEWNET) != 0) {
        log_error("errno=%d msg=\"cannot return to the host network namespace\"", errno);
        abort();
    }
    if (rc != 0) {
        netns_close(&ns);
        return rc;
    }
    *out = ns;
    return 0;
}

void netns_close(struct netns *ns)
{
    int *fds[] = {&ns->ns_fd, &ns->runtime_fd, &ns->edge_fd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}
