#ifndef TABBY_CNFTNL_SHIM_H
#define TABBY_CNFTNL_SHIM_H
// struct iovec and struct nlmsghdr must be complete before libnftnl's headers, or the batch API
// imports them as opaque pointers.
#include <netinet/in.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/batch.h>
#include <libnftnl/table.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <libnftnl/gen.h>
#include <libnftnl/udata.h>

/// setns(fd, CLONE_NEWNET) for the calling thread. glibc declares setns only under _GNU_SOURCE, which
/// Swift's Glibc module does not define, and syscall() is variadic, so Swift cannot call either directly.
static inline int tabby_nft_setns_net(int fd) {
    return (int)syscall(SYS_setns, fd, 0x40000000 /* CLONE_NEWNET */);
}
#endif
