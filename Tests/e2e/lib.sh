#!/usr/bin/env bash
# A Tabby cluster inside network namespaces on one machine, for the demo and the end-to-end tests.
#
# Topology (every name carries $TOPO, so runs never collide and cleanup finds only its own):
#   ${TOPO}-net            a namespace holding the bridge br0 that joins the nodes (the "underlay")
#   ${TOPO}-<node>         one namespace per node: eth0 on the bridge with 192.0.2.x/24, tabbyd running in it
#   ${TOPO}-<node>-<pod>   one namespace per workload: eth0 (veth) to a cali* interface in its node
#   ${TOPO}-etcd           with TABBY_DATASTORE=etcd only: the etcd members, on the bridge too (etcd-lib.sh)
# Addresses are documentation ranges only: nodes 192.0.2.0/24 (or 198.51.100.128/25 for a second subnet),
# workloads from pools in 203.0.113.0/24 (IPv6: nodes and pools in 2001:db8::/32, see pod_add6). Nothing is added
# to the host's own namespace.
set -euo pipefail

: "${TOPO:=tabby-e2e-$$}"
: "${BIN:?BIN must name the directory holding tabbyd and tabbyctl}"
: "${WORK:=/tmp/${TOPO}}"
DATASTORE="$WORK/datastore"
# What the nodes share: a datastore directory (the default), or etcd with TABBY_DATASTORE=etcd (ETCD_MEMBERS members,
# Tests/e2e/etcd-lib.sh). TABBY_DATASTORE is also tabbyctl's variable for the directory: only the word "etcd" picks
# etcd, and lib.sh then sets it aside for DATASTORE_TYPE and ETCD_ENDPOINTS.
if [ "${TABBY_DATASTORE:-}" = etcd ]; then E2E_DATASTORE=etcd; else E2E_DATASTORE=files; fi
unset TABBY_DATASTORE DATASTORE_TYPE ETCD_ENDPOINTS ETCD_KEY_FILE ETCD_CERT_FILE ETCD_CA_CERT_FILE ETCD_USERNAME \
    ETCD_PASSWORD
if [ "$E2E_DATASTORE" = etcd ]; then
    source "$(dirname "${BASH_SOURCE[0]}")/etcd-lib.sh"
else
    export TABBY_DATASTORE="$DATASTORE"
fi
# The suffix of a scenario's summary line: "e2e-routing-etcd: N passed, M failed" on etcd.
if [ "$E2E_DATASTORE" = etcd ]; then SUITE_SUFFIX="-etcd"; else SUITE_SUFFIX=""; fi
NODES=()
# NODE_ENDPOINTS[node]: the etcd endpoints that node's tabbyd gets, when not every member's ($ETCD_ENDPOINTS).
declare -A NODE_PID NODE_IP NODE_ENDPOINTS

ns() { echo "${TOPO}-$1"; }
in_ns() { local name="$1"; shift; ip netns exec "$(ns "$name")" "$@"; }
# tabbyctl; on etcd from the etcd namespace (the one place on the bridge that is not a node), with calicoctl's
# DATASTORE_TYPE and ETCD_ENDPOINTS.
ctl() {
    if [ "$E2E_DATASTORE" = etcd ]; then
        ip netns exec "$(ns etcd)" env DATASTORE_TYPE=etcdv3 ETCD_ENDPOINTS="$ETCD_ENDPOINTS" "$BIN/tabbyctl" "$@"
    else
        "$BIN/tabbyctl" "$@"
    fi
}

# datastore_flags NODE: how that node's tabbyd finds the datastore.
datastore_flags() {
    if [ "$E2E_DATASTORE" = etcd ]; then
        echo --datastore-type etcdv3 --etcd-endpoints "${NODE_ENDPOINTS[$1]:-$ETCD_ENDPOINTS}"
    else
        echo --datastore "$DATASTORE"
    fi
}

topology_up() {
    mkdir -p "$WORK" "$DATASTORE"
    ip netns add "$(ns net)"
    in_ns net ip link add br0 type bridge
    in_ns net ip link set br0 up
    in_ns net ip link set lo up
    if [ "$E2E_DATASTORE" = etcd ]; then etcd_up; fi
}

# node_add NAME ADDRESS/PREFIX [GATEWAY]: a node namespace wired to the bridge, with tabbyd not yet started.
node_add() {
    local name="$1" address="$2" gateway="${3:-}"
    local link="v-${name}"
    ip netns add "$(ns "$name")"
    in_ns "$name" ip link set lo up
    ip link add "$link" netns "$(ns net)" type veth peer name eth0 netns "$(ns "$name")"
    in_ns net ip link set "$link" master br0 up
    in_ns "$name" ip addr add "$address" dev eth0
    in_ns "$name" ip link set eth0 up
    # A default route makes the node's interface the detected underlay, and lets proxy ARP answer for
    # 169.254.1.1 (the kernel answers only for destinations it can route).
    if [ -n "$gateway" ]; then in_ns "$name" ip route add default via "$gateway" dev eth0 onlink; fi
    NODES+=("$name")
    NODE_IP[$name]="$address"
    ctl apply -f - >/dev/null <<YAML
apiVersion: projectcalico.org/v3
kind: Node
metadata:
  name: ${name}
  labels: {demo: "true"}
spec:
  bgp:
    ipv4Address: ${address}
YAML
}

# tabbyd_start NODE [extra flags...]
tabbyd_start() {
    local name="$1"; shift
    # Not through a shell function: $! must be tabbyd itself (ip netns exec execs it), so signals reach it.
    # shellcheck disable=SC2046 # datastore_flags: words without spaces
    ip netns exec "$(ns "$name")" "$BIN/tabbyd" --node "$name" $(datastore_flags "$name") --node-ip "${NODE_IP[$name]}" \
        --status-socket "$WORK/$name.sock" --mtu-file "$WORK/$name.mtu" "$@" >>"$WORK/$name.log" 2>&1 &
    NODE_PID[$name]=$!
}

tabbyd_stop() {
    local name="$1" signal="${2:-TERM}"
    local pid="${NODE_PID[$name]:-}"
    if [ -n "$pid" ]; then
        kill "-$signal" "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        NODE_PID[$name]=""
    fi
}

# status_json NODE: what tabbyd's status socket answers on GET /status.
status_json() { ctl node status --status-socket "$WORK/$1.sock" -o json 2>/dev/null || true; }

# wait_ready NODE [SECONDS]: until tabbyd's readiness says it has applied once.
wait_ready() {
    local name="$1" limit="${2:-30}" waited=0
    until status_json "$name" | grep -q '"readiness" *: *true'; do
        sleep 0.2
        waited=$((waited + 1))
        if [ "$waited" -ge $((limit * 5)) ]; then
            echo "tabbyd on $name did not become ready; its log:" >&2
            tail -20 "$WORK/$name.log" >&2
            return 1
        fi
    done
}

# pod_add NODE POD [LABELS as k: v, ...] [NAMESPACE] [POOL]: a workload namespace with an address from IPAM (from
# POOL, a name or CIDR, when given), a veth cali* interface in the node, the 169.254.1.1 gateway trick, and its
# WorkloadEndpoint.
pod_add() {
    local node="$1" pod="$2" labels="${3:-}" namespace="${4:-demo}" pool="${5:-}"
    local podns; podns="$(ns "$node-$pod")"
    local iface; iface="$(pod_iface "$pod" "$namespace")"
    local address
    address="$(pod_wire "$node" "$pod" "$namespace" "$pool")"
    local mac; mac="$(ip netns exec "$podns" cat /sys/class/net/eth0/address)"
    ctl apply -f - >/dev/null <<YAML
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: ${node}-k8s-${pod}-eth0
  namespace: ${namespace}
  labels: {${labels}${labels:+, }projectcalico.org/namespace: ${namespace}}
spec:
  node: ${node}
  orchestrator: k8s
  pod: ${pod}
  endpoint: eth0
  interfaceName: ${iface}
  mac: ${mac}
  ipNetworks: [${address}/32]
  profiles: [kns.${namespace}]
YAML
    echo "$address"
}

# pod_iface POD [NAMESPACE]: the workload's cali* interface name, as Calico derives it.
pod_iface() { echo "cali$(printf '%s' "${2:-demo}.$1" | sha1sum | cut -c1-11)"; }

# pod_wire NODE POD [NAMESPACE] [POOL]: pod_add without the WorkloadEndpoint; prints the address IPAM assigned.
pod_wire() {
    local node="$1" pod="$2" namespace="${3:-demo}" pool="${4:-}"
    local podns; podns="$(ns "$node-$pod")"
    local iface; iface="$(pod_iface "$pod" "$namespace")"
    local address
    address="$(ctl ipam assign --node "$node" --handle "$TOPO-$namespace-$pod" ${pool:+--pool "$pool"} | awk '{print $2}')"
    ip netns add "$podns"
    ip link add "$iface" netns "$(ns "$node")" type veth peer name eth0 netns "$podns"
    in_ns "$node" ip link set "$iface" address ee:ee:ee:ee:ee:ee
    in_ns "$node" ip link set "$iface" up
    ip netns exec "$podns" ip link set lo up
    ip netns exec "$podns" ip addr add "$address/32" dev eth0
    ip netns exec "$podns" ip link set eth0 up
    ip netns exec "$podns" ip route add 169.254.1.1 dev eth0 scope link
    ip netns exec "$podns" ip route add default via 169.254.1.1 dev eth0
    echo "$address"
}

# pod_add6 NODE POD [LABELS] [NAMESPACE]: like pod_add, but an IPv6-only workload: a /128 from an IPv6 pool and the
# default route via the host side's link-local fe80::ecee:eeff:feee:eeee (from its MAC ee:ee:ee:ee:ee:ee), as the
# CNI plugin wires IPv6.
pod_add6() {
    local node="$1" pod="$2" labels="${3:-}" namespace="${4:-demo}"
    local podns; podns="$(ns "$node-$pod")"
    local iface; iface="cali$(printf '%s' "$namespace.$pod" | sha1sum | cut -c1-11)"
    local address
    address="$(ctl ipam assign --ipv6 --node "$node" --handle "$TOPO-$namespace-$pod" | awk '{print $2}')"
    ip netns add "$podns"
    ip link add "$iface" netns "$(ns "$node")" type veth peer name eth0 netns "$podns"
    in_ns "$node" ip link set "$iface" address ee:ee:ee:ee:ee:ee
    in_ns "$node" sysctl -qw "net.ipv6.conf.$iface.accept_dad=0"
    in_ns "$node" ip link set "$iface" up
    ip netns exec "$podns" ip link set lo up
    ip netns exec "$podns" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
    ip netns exec "$podns" ip -6 addr add "$address/128" dev eth0 nodad
    ip netns exec "$podns" ip link set eth0 up
    ip netns exec "$podns" ip -6 route add default via fe80::ecee:eeff:feee:eeee dev eth0
    local mac; mac="$(ip netns exec "$podns" cat /sys/class/net/eth0/address)"
    ctl apply -f - >/dev/null <<YAML
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata:
  name: ${node}-k8s-${pod}-eth0
  namespace: ${namespace}
  labels: {${labels}${labels:+, }projectcalico.org/namespace: ${namespace}}
spec:
  node: ${node}
  orchestrator: k8s
  pod: ${pod}
  endpoint: eth0
  interfaceName: ${iface}
  mac: ${mac}
  ipNetworks: ["${address}/128"]
  profiles: [kns.${namespace}]
YAML
    echo "$address"
}

pod_ip() { ip netns exec "$(ns "$1-$2")" ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1; }

# ping_pod FROM_NODE FROM_POD ADDRESS: one ping, one second (ping picks the family from the address).
ping_pod() { ip netns exec "$(ns "$1-$2")" ping -c 1 -W 1 -q "$3" >/dev/null 2>&1; }

topology_down() {
    for name in "${NODES[@]}"; do tabbyd_stop "$name"; done
    if [ "$E2E_DATASTORE" = etcd ]; then etcd_down; fi
    for name in $(ip netns list | awk '{print $1}' | grep "^${TOPO}-" || true); do
        ip netns delete "$name" 2>/dev/null || true
    done
    rm -rf "$WORK" 2>/dev/null || { sleep 0.5; rm -rf "$WORK"; }
}

# A tiny test harness: check NAME COMMAND... records a pass or a failure.
PASSED=0
FAILED=0
check() {
    local name="$1"; shift
    if "$@"; then
        PASSED=$((PASSED + 1)); echo "  ok   $name"
    else
        FAILED=$((FAILED + 1)); echo "  FAIL $name"
    fi
}

# eventually SECONDS COMMAND...: true once COMMAND succeeds within SECONDS.
eventually() {
    local limit="$1"; shift
    local deadline=$(( $(date +%s%N) + limit * 1000000000 ))
    until "$@"; do
        [ "$(date +%s%N)" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

# datastore_require SUITE: on etcd, ends the script with a "skipped" summary when etcd is not installed.
datastore_require() { if [ "$E2E_DATASTORE" = etcd ]; then etcd_require "$1"; fi; }
