/* SPDX-License-Identifier: MIT */
#ifndef LAMBDAD_SANDBOX_NETNS_H
#define LAMBDAD_SANDBOX_NETNS_H

/*
 * A fresh network namespace per instance, made by the daemon before the
 * instance exists: the calling thread unshares into a new namespace, brings
 * its loopback up, opens the listening sockets the daemon will serve there
 * (the Runtime API at 127.0.0.1:9001, the edge at 127.0.0.1:4566), keeps a
 * descriptor of the namespace and returns to the host namespace. The child
 * then joins it with setns() before exec, so the listeners exist before the
 * runtime's first connect. Network namespaces are per thread: any thread may
 * call this.
 */

#include <stdint.h>

struct netns {
    int ns_fd;      /* the namespace (O_CLOEXEC), for the child's setns */
    int runtime_fd; /* listening on 127.0.0.1:runtime_port inside, or -1 */
    int edge_fd;    /* listening on 127.0.0.1:edge_port inside, or -1 */
};

/* Creates a namespace with listeners on runtime_port and (unless 0)
 * edge_port; sockets are non-blocking and close-on-exec. host_ns_fd is the
 * daemon's own namespace (borrowed), to return to. Returns 0 and fills *out
 * (the caller owns the three descriptors; netns_close closes them), or
 * -errno. Aborts if it cannot return to host_ns_fd (the thread would stay in
 * the wrong namespace). */
int netns_new(int host_ns_fd, uint16_t runtime_port, uint16_t edge_port, struct netns *out);

/* Closes whatever descriptors ns still holds and sets them to -1. */
void netns_close(struct netns *ns);

#endif
