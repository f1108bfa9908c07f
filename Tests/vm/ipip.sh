#!/usr/bin/env bash
# The IPIP scenario, run inside the test VM by /init (a kernel with ipip; see Docs/testing.md). Two nodes in
# network namespaces run tabbyd against one file datastore (Tests/e2e/lib.sh builds the cluster), with one workload
# each, and the workloads ping each other through:
#   1. an IPIP pool, ipipMode Always, nodes on one subnet: tabbyd creates tunl0 (no fallback device exists) and
#      the pings cross the underlay as IP protocol 4;
#   2. the same pool switched to CrossSubnet: routes via eth0, the pings cross the underlay in the clear;
#   3. a fresh cluster with ipipMode CrossSubnet and the nodes on two subnets joined by a router: tabbyd
#      configures the ipip module's own fallback tunl0 and the pings are routed between the subnets as IPIP.
# Packets are counted with nft in the underlay namespace (at the ingress of each node's bridge port and at the
# router's forward hook) and on tunl0 itself. Prints "ipip-vm: N passed, M failed".
set -uo pipefail
export BIN=/usr/bin TOPO=tvm WORK=/tmp/tvm
source /tabby/lib.sh
# lib.sh sets -e for its callers; here a failed command is a failed check, and the run goes on.
set +e

POOL_CIDR=203.0.113.0/24
IPIP_MTU=$((1500 - 20))     # the veth underlay's MTU less the IPIP header
PINGS=5

pool() {
    ctl apply -f - >/dev/null <<YAML
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pods}
spec: {cidr: ${POOL_CIDR}, blockSize: 28, ipipMode: $1, vxlanMode: Never, natOutgoing: false}
YAML
}
block_of() { ctl ipam show --ip "$1" | awk '/Block:/ {print $2}'; }
ipip_tunnel_address() { ctl get node "$1" -o yaml | awk '/ipv4IPIPTunnelAddr:/ {gsub(/"/, "", $2); print $2}'; }

# --- what the underlay saw -------------------------------------------------------------------------------------

# underlay_counters NODE...: nft counters in the underlay namespace, on what each node sends into its bridge port
# (ingress of v-NODE) and on what the router forwards, each split into IPIP (protocol 4) and workload-to-workload
# ICMP in the clear.
underlay_counters() {
    local rules="" node
    for node in "$@"; do
        rules+="chain from_${node} {
        type filter hook ingress device \"v-${node}\" priority 0;
        ip protocol 4 counter comment \"ipip\"
        ip saddr ${POOL_CIDR} ip daddr ${POOL_CIDR} ip protocol icmp counter comment \"clear\"
    }
"
    done
    in_ns net nft -f - <<NFT
table netdev underlay {
    ${rules}}
table ip router {
    chain forward {
        type filter hook forward priority 0; policy accept;
        ip protocol 4 counter comment "ipip"
        ip saddr ${POOL_CIDR} ip daddr ${POOL_CIDR} ip protocol icmp counter comment "clear"
    }
}
NFT
}
# packets FAMILY TABLE CHAIN COMMENT: the packet count of the counter of that chain's rule with that comment.
packets() {
    in_ns net nft list chain "$1" "$2" "$3" | awk -v tag="comment \"$4\"" '
        index($0, tag) { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
tunl0_stat() { in_ns "$1" cat "/sys/class/net/tunl0/statistics/$2" 2>/dev/null || echo 0; }
# counters: every counter measure() compares, as NAME=VALUE words.
counters() {
    local node
    for node in a b; do
        echo "ipip_$node=$(packets netdev underlay "from_$node" ipip)"
        echo "clear_$node=$(packets netdev underlay "from_$node" clear)"
        echo "tunl0_tx_$node=$(tunl0_stat "$node" tx_packets) tunl0_rx_$node=$(tunl0_stat "$node" rx_packets)"
    done
    echo "routed_ipip=$(packets ip router forward ipip) routed_clear=$(packets ip router forward clear)"
}

# measure: PINGS echo requests each way between a:w1 and b:w1. Sets PINGS_ANSWERED (0 when every one was
# answered) and, for each counter of `counters`, D_<name>: by how much it grew meanwhile.
measure() {
    local before after word
    before="$(counters)"
    ip netns exec "$(ns a-w1)" ping -c "$PINGS" -i 0.2 -W 2 -q "$(pod_ip b w1)" | grep -q " $PINGS packets received" &&
        ip netns exec "$(ns b-w1)" ping -c "$PINGS" -i 0.2 -W 2 -q "$(pod_ip a w1)" |
        grep -q " $PINGS packets received"
    PINGS_ANSWERED=$?
    after="$(counters)"
    for word in $before; do local "B_$word"; done
    for word in $after; do
        local name="${word%%=*}"
        local before_name="B_$name"
        printf -v "D_$name" '%d' $((${word#*=} - ${!before_name}))
    done
    echo "    underlay: IPIP from a $D_ipip_a, from b $D_ipip_b; workload ICMP in the clear from a $D_clear_a," \
        "from b $D_clear_b; routed: IPIP $D_routed_ipip, in the clear $D_routed_clear"
    echo "    tunl0: a sent $D_tunl0_tx_a, received $D_tunl0_rx_a; b sent $D_tunl0_tx_b, received $D_tunl0_rx_b"
}
# Each node sends PINGS requests and PINGS replies, through tunl0 and into the underlay.
each_node_sent_ipip() { [ "$D_ipip_a" -ge $((2 * PINGS)) ] && [ "$D_ipip_b" -ge $((2 * PINGS)) ]; }
each_node_sent_clear() { [ "$D_clear_a" -ge $((2 * PINGS)) ] && [ "$D_clear_b" -ge $((2 * PINGS)) ]; }
tunl0_carried_them() {
    local count
    for count in "$D_tunl0_tx_a" "$D_tunl0_rx_a" "$D_tunl0_tx_b" "$D_tunl0_rx_b"; do
        [ "$count" -ge $((2 * PINGS)) ] || return 1
    done
}

# --- what the nodes have -----------------------------------------------------------------------------------------

# tunl0_problem NODE: what keeps tunl0 from being an ipip device, up, with the IPIP MTU and exactly the node's
# IPIP tunnel address (/32) from IPAM; nothing when it is all that.
tunl0_problem() {
    local node="$1" tunnel details addresses
    tunnel="$(ipip_tunnel_address "$node")"
    details="$(in_ns "$node" ip -d link show tunl0 2>&1)"
    addresses="$(in_ns "$node" ip -4 -o addr show dev tunl0 2>&1 | awk '{print $4}')"
    if [ -z "$tunnel" ]; then echo "the Node has no ipv4IPIPTunnelAddr"
    elif ! echo "$details" | grep -q "ipip "; then echo "tunl0 is not an ipip device: $details"
    elif ! echo "$details" | grep -q "[<,]UP[,>]"; then echo "tunl0 is down: $details"
    elif ! echo "$details" | grep -q " mtu $IPIP_MTU "; then echo "tunl0's MTU is not $IPIP_MTU: $details"
    elif [ "$addresses" != "$tunnel/32" ]; then echo "tunl0's addresses are not $tunnel/32: $addresses"
    fi
}
tunl0_ready() { [ -z "$(tunl0_problem a)$(tunl0_problem b)" ]; }
explain_tunl0() { echo "    a: $(tunl0_problem a)"; echo "    b: $(tunl0_problem b)"; }
no_tunl0() { ! in_ns "$1" ip link show tunl0 >/dev/null 2>&1; }
# The device the ipip module gives a new namespace: ipip, down, no address.
fallback_tunl0() {
    in_ns "$1" ip -d link show tunl0 | grep -q "ipip " && ! in_ns "$1" ip link show tunl0 | grep -q "[<,]UP[,>]" &&
        [ -z "$(in_ns "$1" ip -4 -o addr show dev tunl0)" ]
}
# route_is NODE DESTINATION EXPECTED: `ip route show DESTINATION` on NODE contains EXPECTED.
route_is() { in_ns "$1" ip route show "$2" | grep -q "$3"; }
show_route() { echo "    $1: $(in_ns "$1" ip route show "$2")"; }
# status_has NODE TEXT: tabbyd's status on NODE, as JSON without blanks, contains TEXT.
status_has() { status_json "$1" | tr -d ' \n' | grep -qF "$2"; }
no_errors_reported() { status_has a '"errors":[]' && status_has b '"errors":[]'; }
pod_mtu_is() { [ "$(cat "$WORK/a.mtu")" = "$1" ] && [ "$(cat "$WORK/b.mtu")" = "$1" ]; }
reachable_both_ways() { ping_pod a w1 "$(pod_ip b w1)" && ping_pod b w1 "$(pod_ip a w1)"; }

show_node() {
    echo "    --- node $1: tunl0, routes, the end of tabbyd's log"
    {
        in_ns "$1" ip -d link show tunl0
        in_ns "$1" ip -4 addr show dev tunl0
        in_ns "$1" ip route show
        tail -5 "$WORK/$1.log"
    } 2>&1 | sed 's/^/    /'
}
show_nodes() { show_node a; show_node b; }
# check_or_show EXPLAIN NAME COMMAND...: lib.sh's check, then EXPLAIN (a command) when it failed.
check_or_show() {
    local explain="$1" failed_before="$FAILED"
    shift
    check "$@"
    [ "$FAILED" = "$failed_before" ] || $explain
}

# --- the cluster -------------------------------------------------------------------------------------------------

# two_nodes ADDRESS_A GATEWAY_A ADDRESS_B GATEWAY_B: nodes a and b on the bridge, tabbyd not started yet.
two_nodes() {
    node_add a "$1" "$2"
    node_add b "$3" "$4"
}
# start_nodes: tabbyd on a and b, then a workload on each; BLOCK_A and BLOCK_B are the workloads' blocks.
start_nodes() {
    tabbyd_start a
    tabbyd_start b
    check_or_show show_nodes "tabbyd is ready on both nodes" eval "wait_ready a 60 && wait_ready b 60"
    pod_add a w1 >/dev/null
    pod_add b w1 >/dev/null
    BLOCK_A="$(block_of "$(pod_ip a w1)")"
    BLOCK_B="$(block_of "$(pod_ip b w1)")"
}
# routes_via A_TO_B B_TO_A DEVICE STATE: a reaches b's block via A_TO_B, b reaches a's via B_TO_A, both over
# DEVICE, and tabbyd's status shows the remote block in that STATE (ipip, direct).
routes_via() {
    check_or_show show_nodes "a routes b's block $BLOCK_B via $1 dev $3 onlink, protocol 80" \
        eventually 30 route_is a "$BLOCK_B" "via $1 dev $3 proto 80 onlink"
    check_or_show show_nodes "b routes a's block $BLOCK_A via $2 dev $3 onlink, protocol 80" \
        eventually 30 route_is b "$BLOCK_A" "via $2 dev $3 proto 80 onlink"
    show_route a "$BLOCK_B"
    check "tabbyd's status on a shows b's block as $4" \
        eventually 10 status_has a "{\"cidr\":\"$BLOCK_B\",\"node\":\"b\",\"state\":\"$4\"}"
}

echo "ipip-vm: part 1, ipipMode Always, nodes a (192.0.2.11) and b (192.0.2.12) on one subnet"
# No fallback tunl0 in new namespaces: tabbyd must create the device itself.
echo 1 > /proc/sys/net/core/fb_tunnels_only_for_init_net
topology_up
pool Always
two_nodes 192.0.2.11/24 192.0.2.254 192.0.2.12/24 192.0.2.254
check "packet counters are in place on the underlay" underlay_counters a b
check "no tunl0 exists on the nodes before tabbyd starts" eval "no_tunl0 a && no_tunl0 b"
start_nodes
check_or_show explain_tunl0 "tabbyd created tunl0 on each node: ipip, up, MTU $IPIP_MTU, the IPIP tunnel address" \
    eventually 30 tunl0_ready
routes_via 192.0.2.12 192.0.2.11 tunl0 ipip
check "the pod MTU file says $IPIP_MTU on each node" pod_mtu_is "$IPIP_MTU"
check_or_show show_nodes "the workloads reach each other" eventually 30 reachable_both_ways
measure
check "$PINGS pings each way, all answered" test "$PINGS_ANSWERED" = 0
check "they crossed the underlay as IPIP (protocol 4) from each node" each_node_sent_ipip
check "no workload packet crossed the underlay in the clear" test $((D_clear_a + D_clear_b)) = 0
check "tunl0 sent and received them on each node" tunl0_carried_them
check "tabbyd reports no errors on either node" no_errors_reported

echo "ipip-vm: part 2, ipipMode CrossSubnet, the same two nodes on one subnet"
pool CrossSubnet
routes_via 192.0.2.12 192.0.2.11 eth0 direct
check "the workloads reach each other" eventually 30 reachable_both_ways
measure
check "$PINGS pings each way, all answered" test "$PINGS_ANSWERED" = 0
check "they crossed the underlay in the clear from each node" each_node_sent_clear
check "no IPIP packet crossed the underlay, none went through tunl0" \
    test $((D_ipip_a + D_ipip_b + D_tunl0_tx_a + D_tunl0_tx_b)) = 0
check_or_show explain_tunl0 "tunl0 stays configured: the pool still uses IPIP across subnets" tunl0_ready

echo "ipip-vm: part 3, ipipMode CrossSubnet, a (192.0.2.11/24) and b (198.51.100.12/24) on two subnets, routed"
topology_down
NODES=()
# The ipip module gives every new namespace its fallback tunl0 (down, no address): tabbyd must take it over.
echo 0 > /proc/sys/net/core/fb_tunnels_only_for_init_net
topology_up
# The underlay namespace is the router: br0 is a's subnet, br1 is b's, and it forwards between them.
in_ns net ip link add br1 type bridge
in_ns net ip link set br1 up
in_ns net ip addr add 192.0.2.254/24 dev br0
in_ns net ip addr add 198.51.100.254/24 dev br1
in_ns net sh -c "echo 1 > /proc/sys/net/ipv4/ip_forward"
pool CrossSubnet
two_nodes 192.0.2.11/24 192.0.2.254 198.51.100.12/24 198.51.100.254
in_ns net ip link set v-b nomaster
in_ns net ip link set v-b master br1
check "packet counters are in place on the underlay" underlay_counters a b
check "each node has the ipip module's fallback tunl0 before tabbyd starts: down, no address" \
    eval "fallback_tunl0 a && fallback_tunl0 b"
start_nodes
check_or_show explain_tunl0 "tabbyd configured the fallback tunl0 on each node: up, MTU $IPIP_MTU, the tunnel address" \
    eventually 30 tunl0_ready
routes_via 198.51.100.12 192.0.2.11 tunl0 ipip
check_or_show show_nodes "the workloads reach each other" eventually 30 reachable_both_ways
measure
check "$PINGS pings each way, all answered" test "$PINGS_ANSWERED" = 0
check "they crossed the underlay as IPIP (protocol 4) from each node" each_node_sent_ipip
check "the router forwarded them as IPIP between the subnets" test "$D_routed_ipip" -ge $((4 * PINGS))
check "no workload packet crossed the underlay or the router in the clear" \
    test $((D_clear_a + D_clear_b + D_routed_clear)) = 0
check "tunl0 sent and received them on each node" tunl0_carried_them
check "tabbyd reports no errors on either node" no_errors_reported

topology_down
echo "ipip-vm: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
