#!/usr/bin/env bash
# End-to-end: IPv6 VXLAN (vxlan-v6.calico) between nodes in network namespaces. Three dual-stack nodes on one
# bridge: a and b in 192.0.2.0/24 and 2001:db8::/64, c in 192.0.2.0/24 but 2001:db8:ff::/64; an IPv6 pool in
# 2001:db8:100::/64 with vxlanMode Always, then CrossSubnet, then Never; two IPv6 workloads per node. Checks the
# tunnel addresses IPAM gives the Nodes, the device as Felix makes it, that workloads ping each other across nodes,
# that the packets on the wire are VXLAN over IPv6 (counted in the underlay's bridge), CrossSubnet without the
# tunnel, the pod MTU, and that everything goes with the pool. Needs root. Prints "e2e-dualstack: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${BIN:=$(swift build --show-bin-path)}"
export BIN
TOPO="tabby-ds-$$"
source Tests/e2e/lib.sh
trap topology_down EXIT

pool6() {
    ctl apply -f - >/dev/null <<YAML
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pods-v6}
spec: {cidr: "2001:db8:100::/64", blockSize: 122, vxlanMode: $1, natOutgoing: false}
YAML
}
node_field() { ctl get node "$1" -o yaml | awk -v f="$2:" '$1 == f {gsub(/"/, "", $2); print $2}'; }
block_of() { ctl ipam show --ip "$1" | awk '/Block:/ {print $2}'; }
tx_packets() { in_ns "$1" cat "/sys/class/net/$2/statistics/tx_packets" 2>/dev/null || echo 0; }
# IPv6 VXLAN packets the underlay bridge forwarded, counted by a bridge-family nf_tables rule in the bridge's own
# namespace.
wire_vxlan6() {
    in_ns net nft list chain bridge wire forward |
        awk '/dport 4789/ {for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1)}'
}
all_pairs_ping6() {
    local ok=0
    for from in "${PODS[@]}"; do
        for to in "${PODS[@]}"; do
            [ "$from" = "$to" ] && continue
            ping_pod "${from%%:*}" "${from##*:}" "${POD_IP[$to]}" || { echo "    no reply: $from -> $to (${POD_IP[$to]})"; ok=1; }
        done
    done
    return $ok
}
# shows NODE PATTERN COMMAND...: COMMAND run in NODE's namespace prints a line matching PATTERN (extended regex).
shows() { local node="$1" pattern="$2"; shift 2; in_ns "$node" "$@" 2>/dev/null | grep -Eq -- "$pattern"; }
lacks() { ! shows "$@"; }
every_node_has_a_v6_tunnel_address() {
    for n in a b c; do node_field "$n" ipv6VXLANTunnelAddr | grep -q '^2001:db8:100::' || return 1; done
}
no_node_has_a_v6_tunnel_address() {
    for n in a b c; do [ -z "$(node_field "$n" ipv6VXLANTunnelAddr)" ] || return 1; done
}
pod_mtu_is() { [ "$(cat "$WORK/$1.mtu" 2>/dev/null)" = "$2" ]; }
felix_mac_v6() { printf '66:%s' "$(printf '%s-v6' "$1" | sha1sum | cut -c1-10 | sed 's/../&:/g; s/:$//')"; }

echo "e2e dual stack (namespaces ${TOPO}-*)"
topology_up
in_ns net nft -f - <<'NFT'
table bridge wire {
    chain forward { type filter hook forward priority 0; policy accept; ip6 nexthdr udp udp dport 4789 counter; }
}
NFT
pool6 Always
node_add a 192.0.2.11/24 192.0.2.254
node_add b 192.0.2.12/24 192.0.2.254
node_add c 192.0.2.13/24 192.0.2.254
declare -A NODE_IP6=([a]=2001:db8::11/64 [b]=2001:db8::12/64 [c]=2001:db8:ff::13/64)
for n in a b c; do
    # All nodes share the bridge: an on-link default route reaches the other IPv6 subnet without a router.
    in_ns "$n" ip -6 addr add "${NODE_IP6[$n]}" dev eth0 nodad
    in_ns "$n" ip -6 route add default dev eth0
    tabbyd_start "$n" --node-ip6 "${NODE_IP6[$n]}"
done
for n in a b c; do wait_ready "$n"; done

check "each Node gets an IPv6 VXLAN tunnel address from the IPv6 pool" eventually 5 every_node_has_a_v6_tunnel_address
TUNNEL_A="$(node_field a ipv6VXLANTunnelAddr)"
MAC_A="$(node_field a vxlanTunnelMACAddrV6)"
check "its allocation has Calico's handle" bash -c "'$BIN/tabbyctl' ipam show --ip '$TUNNEL_A' | grep -q vxlan-v6-tunnel-addr-a"
check "the Node's IPv6 VXLAN MAC is Felix's derivation (SHA-1 of the name + -v6)" test "$MAC_A" = "$(felix_mac_v6 a)"
check "vxlan-v6.calico: VNI 4096 (vxlanVNI, as Felix), port 4789, over eth0 from the node's IPv6, learning off" \
    eventually 5 shows a 'vxlan id 4096 local 2001:db8::11 dev eth0 .*dstport 4789 nolearning' \
    ip -d link show vxlan-v6.calico
check "vxlan-v6.calico has MTU 1430 (host 1500 - 70)" shows a 'mtu 1430' ip link show vxlan-v6.calico
check "vxlan-v6.calico has the Node's MAC" shows a "link/ether $MAC_A" ip link show vxlan-v6.calico
check "vxlan-v6.calico holds the tunnel address as /128" \
    shows a "inet6 $TUNNEL_A/128" ip -6 addr show dev vxlan-v6.calico scope global
check "the pod MTU counts IPv6 VXLAN (1430)" eventually 3 pod_mtu_is a 1430

declare -A POD_IP
PODS=()
for n in a b c; do
    for p in w1 w2; do
        POD_IP["$n:$p"]="$(pod_add6 "$n" "$p" "role: web")"
        PODS+=("$n:$p")
    done
done
TUNNEL_B="$(node_field b ipv6VXLANTunnelAddr)"
TUNNEL_C="$(node_field c ipv6VXLANTunnelAddr)"
BLOCK_A="$(block_of "${POD_IP[a:w1]}")"
BLOCK_B="$(block_of "${POD_IP[b:w1]}")"
BLOCK_C="$(block_of "${POD_IP[c:w1]}")"
check "remote IPv6 blocks route via the remote tunnel address dev vxlan-v6.calico onlink" eventually 3 \
    shows a "via $TUNNEL_B dev vxlan-v6.calico .*onlink" ip -6 route show "$BLOCK_B"
check "the node's own IPv6 block is a blackhole with protocol 80" \
    shows a "$BLOCK_A" ip -6 route show type blackhole proto 80
check "the remote VTEP has a permanent neighbour on vxlan-v6.calico" eventually 3 \
    shows a "$TUNNEL_C lladdr $(felix_mac_v6 c) PERMANENT" ip -6 neigh show dev vxlan-v6.calico
check "and an FDB entry to its node's IPv6 address" eventually 3 \
    shows a "$(felix_mac_v6 c) dst 2001:db8:ff::13 self permanent" bridge fdb show dev vxlan-v6.calico

wire_before="$(wire_vxlan6)"
tx_before="$(tx_packets a vxlan-v6.calico)"
check "every IPv6 workload reaches every other across nodes" eventually 8 all_pairs_ping6
tx_after="$(tx_packets a vxlan-v6.calico)"
wire_after="$(wire_vxlan6)"
check "node a sent through vxlan-v6.calico ($tx_before -> $tx_after packets)" test "$tx_after" -gt "$tx_before"
# 24 pings cross nodes (each a request and a reply), all encapsulated.
check "the underlay carried VXLAN over IPv6 ($wire_before -> $wire_after packets to UDP 4789)" \
    test "$wire_after" -ge $((wire_before + 48))

# VXLAN over IPv6 is taken only from the nodes' own IPv6 addresses: a datagram to UDP 4789 from an address no Node
# has is counted and dropped by the ip6 table's input chain.
vxlan6_drops() {
    in_ns a nft list chain ip6 tabby filter-input |
        awk '/udp dport 4789/ && /drop/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
more_vxlan6_drops_than() { [ "$(vxlan6_drops)" -gt "$1" ]; }
in_ns net ip -6 addr add 2001:db8::99/64 dev br0 nodad
drops_before="$(vxlan6_drops)"
in_ns net bash -c 'for i in 1 2 3; do echo stray > /dev/udp/2001:db8::11/4789; sleep 0.2; done' 2>/dev/null
check "VXLAN over IPv6 from an address no Node has is dropped ($drops_before before)" \
    eventually 3 more_vxlan6_drops_than "${drops_before:-0}"
check "while the nodes' own VXLAN still passes" eventually 5 ping_pod a w1 "${POD_IP[b:w1]}"

# CrossSubnet: a and b share 2001:db8::/64 and go direct; c stays behind the tunnel.
pool6 CrossSubnet
check "CrossSubnet routes the same-subnet IPv6 block via the node's IPv6 address on eth0" eventually 3 \
    shows a "via 2001:db8::12 dev eth0 proto 80" ip -6 route show "$BLOCK_B"
check "and the other subnet's block still through vxlan-v6.calico" \
    shows a "via $TUNNEL_C dev vxlan-v6.calico" ip -6 route show "$BLOCK_C"
tx_before="$(tx_packets a vxlan-v6.calico)"
check "a reaches b without the tunnel" eventually 5 ping_pod a w1 "${POD_IP[b:w1]}"
check "no packet went through vxlan-v6.calico" test "$(tx_packets a vxlan-v6.calico)" = "$tx_before"
check "a still reaches c" eventually 5 ping_pod a w1 "${POD_IP[c:w1]}"
check "and that went through vxlan-v6.calico" test "$(tx_packets a vxlan-v6.calico)" -gt "$tx_before"

# ipv6Support off: nothing IPv6 is programmed.
ctl apply -f - >/dev/null <<'YAML'
apiVersion: projectcalico.org/v3
kind: FelixConfiguration
metadata: {name: default}
spec: {ipv6Support: false}
YAML
check "ipv6Support false removes vxlan-v6.calico" eventually 5 lacks a vxlan-v6 ip link show
check "and the IPv6 routes to other nodes' blocks" lacks a "$BLOCK_C" ip -6 route show
ctl delete felixconfiguration default >/dev/null
check "ipv6Support back on restores them" eventually 5 shows a "via $TUNNEL_C dev vxlan-v6.calico" ip -6 route show "$BLOCK_C"
check "and traffic through the tunnel" eventually 5 ping_pod a w1 "${POD_IP[c:w1]}"

# No IPv6 VXLAN pool any more: the device, its routes and the tunnel addresses go.
pool6 Never
check "vxlan-v6.calico is removed when no IPv6 pool uses VXLAN" eventually 5 lacks a vxlan-v6 ip link show
check "the Nodes' IPv6 tunnel addresses are released" eventually 5 no_node_has_a_v6_tunnel_address
check "the pod MTU is the host's again" eventually 3 pod_mtu_is a 1500
check "no route is left through vxlan-v6.calico" lacks a vxlan-v6 ip -6 route show

for n in a b c; do
    check "tabbyd on $n is still running" kill -0 "${NODE_PID[$n]}"
done
if [ "$FAILED" -gt 0 ]; then for n in a b c; do echo "--- tabbyd on $n, last lines"; tail -n 25 "$WORK/$n.log"; done; fi
echo "e2e-dualstack: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
