#!/usr/bin/env bash
# Helpers for Tests/e2e/bgp.sh (source it after lib.sh): the router namespace with its second bridge, a
# "top-of-rack" BIRD of the test's own in it, counters of what crosses the router, and queries of BIRD.
#
#   ${TOPO}-net   the router: br0 192.0.2.254/24 (nodes a, b), br1 198.51.100.254/24 (node c), ip_forward on,
#                 and the ToR BIRD (AS 64513, eBGP to every node) that programs the pod blocks it learns into
#                 this namespace's kernel, so that it forwards pod traffic between the two subnets.
# Only documentation ranges; nothing in the host's own namespace.

TOR_AS=64513
TOR_DIR="$WORK/tor"
TOR_PID=""

# router_up: br1 beside lib.sh's br0, the router's addresses, forwarding, and the wire counters.
router_up() {
    in_ns net ip link add br1 type bridge
    in_ns net ip link set br1 up
    in_ns net ip addr add 192.0.2.254/24 dev br0
    in_ns net ip addr add 198.51.100.254/24 dev br1
    in_ns net sysctl -qw net.ipv4.ip_forward=1
    # What crosses the router, bridged (a <-> b on br0) or routed (br0 <-> br1): encapsulated or plain pod traffic.
    local family
    for family in bridge ip; do
        in_ns net nft -f - <<NFT
table $family e2e_wire {
    chain count_forward {
        type filter hook forward priority 0; policy accept;
        ip protocol 4 counter comment "ipip"
        udp dport 4789 counter comment "vxlan"
        ip saddr 203.0.113.0/24 ip daddr 203.0.113.0/24 counter comment "plain"
    }
}
NFT
    done
}

# wire_count NAME: packets counted under that comment (ipip, vxlan, plain), bridged and routed together.
wire_count() {
    in_ns net nft list ruleset 2>/dev/null |
        awk -v tag="comment \"$1\"" 'index($0, tag) { for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) }
            END { print s + 0 }'
}

# node_move_to_br1 NAME: a node that node_add put on br0 goes to the second bridge instead.
node_move_to_br1() { in_ns net ip link set "v-$1" master br1; }

# The ToR's sessions: TOR_PEER[node]=address; TOR_OWNED[node]="cidr ..." (that node's own blocks, once known).
declare -A TOR_PEER TOR_OWNED

# tor_config: the ToR's BIRD configuration from TOR_PEER and TOR_OWNED, one eBGP session per node.
# The nodes may also pass on the blocks they learned from each other (next hop self, as Calico's eBGP export
# does), all with the same AS path; the ToR prefers each block from the node it belongs to, so that traffic for
# node c's block never goes to node a (which would send it straight back: a loop).
tor_config() {
    mkdir -p "$TOR_DIR"
    {
        echo "log \"$TOR_DIR/bird.log\" all;"
        echo "router id 192.0.2.254;"
        echo "protocol device { scan time 2; }"
        echo "# What the ToR learns goes into the router namespace's kernel (proto bird), nothing else."
        echo "protocol kernel { ipv4 { import none; export all; }; }"
        local node owned
        for node in $(printf '%s\n' "${!TOR_PEER[@]}" | sort); do
            owned="${TOR_OWNED[$node]:-}"
            echo "protocol bgp tor_$node {"
            echo "    local as $TOR_AS; neighbor ${TOR_PEER[$node]} as 64512;"
            if [ -n "$owned" ]; then
                echo "    ipv4 { export none; import filter { if net ~ [ ${owned// /+, }+ ] then preference = 200; accept; }; };"
            else
                echo "    ipv4 { export none; import all; };"
            fi
            echo "}"
        done
    } >"$TOR_DIR/bird.conf"
}

# tor_reconfigure: the configuration written anew from TOR_PEER and TOR_OWNED, and BIRD told to load it.
tor_reconfigure() { tor_config && torc configure | grep -q 'Reconfigured\|Reconfiguration in progress'; }

# tor_start: BIRD in the router namespace; its PID (bird forks, -P tells it) is what tor_stop ends.
tor_start() {
    mkdir -p "$TOR_DIR"
    rm -f "$TOR_DIR/bird.pid"
    ip netns exec "$(ns net)" bird -c "$TOR_DIR/bird.conf" -s "$TOR_DIR/bird.ctl" -P "$TOR_DIR/bird.pid" \
        >>"$TOR_DIR/stdout.log" 2>&1 || return 1
    local waited=0
    until [ -s "$TOR_DIR/bird.pid" ]; do
        sleep 0.1; waited=$((waited + 1)); [ "$waited" -lt 50 ] || return 1
    done
    TOR_PID="$(cat "$TOR_DIR/bird.pid")"
}

# is_bird PID: the process is alive and is a bird.
is_bird() { [ -n "$1" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = bird ]; }

# stop_bird_pid PID: TERM, then KILL after two seconds, only when PID is a bird.
stop_bird_pid() {
    local pid="$1" waited=0
    is_bird "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while is_bird "$pid" && [ "$waited" -lt 20 ]; do sleep 0.1; waited=$((waited + 1)); done
    if is_bird "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
}

tor_stop() {
    if [ -n "$TOR_PID" ]; then stop_bird_pid "$TOR_PID"; fi
    TOR_PID=""
}

# torc ARGS...: birdc against the ToR.
torc() { birdc -s "$TOR_DIR/bird.ctl" "$@" 2>/dev/null; }

# nodec NODE ARGS...: birdc against the BIRD a node's tabbyd runs.
nodec() { local node="$1"; shift; birdc -s "$WORK/$node/bird.ctl" "$@" 2>/dev/null; }

# node_bird_pid NODE: what the node's BIRD pid file says.
node_bird_pid() { cat "$WORK/$1/bird.pid" 2>/dev/null || true; }

# bird_has_route BIRDC-FUNCTION [NODE] CIDR: BIRD's table has CIDR (birdc prints the prefix at a line's start).
tor_has_route() { torc show route "$1" | grep -q "^$1 "; }
tor_lacks_route() { ! tor_has_route "$1"; }

# proto_since SOCKET NAME: BIRD's "Since" column for protocol NAME (the time it last changed state).
proto_since() {
    birdc -s "$1" show protocols "$2" 2>/dev/null | awk -v n="$2" '$1 == n { print $5 }'
}
# proto_established SOCKET NAME
proto_established() {
    birdc -s "$1" show protocols "$2" 2>/dev/null | awk -v n="$2" '$1 == n && $6 == "Established" { f = 1 } END { exit !f }'
}

# pool_apply NAME CIDR VXLANMODE [MORE]: an IPPool of /28 blocks without IPIP or NAT; MORE adds spec fields.
pool_apply() {
    ctl apply -f - >/dev/null <<YAML
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: $1}
spec: {cidr: $2, blockSize: 28, ipipMode: Never, vxlanMode: $3, natOutgoing: false${4:+, $4}}
YAML
}

# pod_add_in_pool NODE POD POOL: pod_add, with the address taken from that pool (name or CIDR).
pod_add_in_pool() { pod_add "$1" "$2" "" demo "$3"; }

# birds_down: every bird still running in one of this run's namespaces (the nodes' BIRDs, should a tabbyd have
# left one behind, and the ToR), ended by PID.
birds_down() {
    tor_stop
    local name pid
    for name in $(ip netns list | awk '{print $1}' | grep "^${TOPO}-" || true); do
        for pid in $(ip netns pids "$name" 2>/dev/null); do
            if is_bird "$pid"; then
                echo "  (a bird was still running in $name: pid $pid, ended)"
                stop_bird_pid "$pid"
            fi
        done
    done
}
