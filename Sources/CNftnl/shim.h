#ifndef TABBY_CNFTNL_SHIM_H
#define TABBY_CNFTNL_SHIM_H
// struct iovec and struct nlmsghdr must be complete before libnftnl's headers, or the batch API
// imports them as opaque pointers.
#include <netinet/in.h>
#include <sys/uio.h>
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
#include <libnftnl/udata.h>
#endif
