#ifndef TABBY_CMNL_SHIM_H
#define TABBY_CMNL_SHIM_H
// <netinet/in.h> must come first: linux/in.h otherwise redefines Glibc's in_addr.
#include <netinet/in.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/if_tunnel.h>
#include <linux/neighbour.h>
#include <linux/veth.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <sys/syscall.h>
#include <unistd.h>

// setns(2) needs _GNU_SOURCE in glibc, which Swift's Glibc module lacks; the raw system call is equivalent.
static inline int tabby_setns(int fd, int nstype) {
    return (int)syscall(SYS_setns, fd, nstype);
}
#endif
