#!/usr/bin/env bash
# End-to-end: tabbyd on three (then four) nodes in network namespaces, sharing one datastore directory (or one
# etcd with TABBY_DATASTORE=etcd), programs routes and tunnels so that every workload reaches every other;
# CrossSubnet, nodes joining and leaving, repair of what is deleted by hand, SIGHUP reloads good and bad, kill -9
# and restart, and foreign kernel state left untouched. Needs root. Prints "e2e-routing: N passed, M failed"
# ("e2e-routing-etcd: ..." on etcd).
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${BIN:=$(swift build --show-bin-path)}"
export BIN
TOPO="tabby-rt-$$"
source Tests/e2e/lib.sh
datastore_require "e2e-routing$SUITE_SUFFIX"
trap topology_down EXIT

pool() {
    ctl apply -f - >/dev/null <<YAML
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pods}
spec: {cidr: 203.0.113.0/24, blockSize: 28, vxlanMode: $1, natOutgoing: false}
YAML
}
block_of() { ctl ipam show --ip "$1" | awk '/Block:/ {print $2}'; }
route_to() { in_ns "$1" ip route show "$2" 2>/dev/null; }
all_pairs_ping() {
    local ok=0
    for from in "${PODS[@]}"; do
        for to in "${PODS[@]}"; do
            [ "$from" = "$to" ] && continue
            ping_pod "${from%%:*}" "${from##*:}" "${POD_IP[$to]}" || { echo "    no reply: $from -> $to (${POD_IP[$to]})"; ok=1; }
        done
    done
    return $ok
}
foreign_state() {
    in_ns a ip route show proto static
    in_ns a ip route show table 100
    in_ns a nft list table inet foreign
    in_ns a ip link show dummyish 2>/dev/null | head -1
}

echo "e2e routing on $E2E_DATASTORE (namespaces ${TOPO}-*)"
topology_up
pool Always
node_add a 192.0.2.11/24 192.0.2.254
node_add b 192.0.2.12/24 192.0.2.254
node_add c 192.0.2.13/24 192.0.2.254

# Foreign state on node a that Tabby must leave byte-for-byte alone.
in_ns a ip route add 198.51.100.0/25 via 192.0.2.254 proto static
in_ns a ip route add 198.51.100.128/25 via 192.0.2.254 table 100
in_ns a ip link add dummyish type veth peer name dummyish-peer
in_ns a nft -f - <<'NFT'
table inet foreign {
    chain input { type filter hook input priority 10; policy accept; ip saddr 198.51.100.7 counter drop; }
}
NFT
FOREIGN_BEFORE="$(foreign_state)"

printf 'nodeName: a\nfelix: {}\n' > "$WORK/a.yaml"
tabbyd_start a --config "$WORK/a.yaml"
tabbyd_start b
tabbyd_start c
for n in a b c; do wait_ready "$n"; done

declare -A POD_IP
PODS=()
for n in a b c; do
    for p in w1 w2; do
        POD_IP["$n:$p"]="$(pod_add "$n" "$p" "role: web")"
        PODS+=("$n:$p")
    done
done

check "every workload reaches every other over VXLAN" eventually 5 all_pairs_ping
BLOCK_B="$(block_of "${POD_IP[b:w1]}")"
check "remote blocks route via vxlan.calico onlink" eventually 2 \
    bash -c "ip netns exec $(ns a) ip route show $BLOCK_B | grep -q 'dev vxlan.calico proto .*onlink\|dev vxlan.calico onlink'"
check "the local block is a blackhole with protocol 80" \
    bash -c "ip netns exec $(ns a) ip route show type blackhole proto 80 | grep -q '$(block_of "${POD_IP[a:w1]}")'"
check "vxlan.calico has VNI 4096, port 4789, learning off" \
    bash -c "ip netns exec $(ns a) ip -d link show vxlan.calico | grep -q 'vxlan id 4096 .*dstport 4789 nolearning'"
check "proxy_arp is on for workload interfaces" \
    bash -c "ip netns exec $(ns a) sh -c 'for f in /proc/sys/net/ipv4/conf/cali*/proxy_arp; do [ \$(cat \$f) = 1 ] || exit 1; done'"

# CrossSubnet with every node in 192.0.2.0/24: no encapsulation between them.
pool CrossSubnet
check "CrossSubnet routes same-subnet blocks via the underlay" eventually 2 \
    bash -c "ip netns exec $(ns a) ip route show $BLOCK_B | grep -q 'via 192.0.2.12 dev eth0'"
tx_before="$(in_ns a cat /sys/class/net/vxlan.calico/statistics/tx_packets)"
check "workloads still reach each other under CrossSubnet" eventually 5 all_pairs_ping
tx_after="$(in_ns a cat /sys/class/net/vxlan.calico/statistics/tx_packets)"
check "no packet went through vxlan.calico" test "$tx_before" = "$tx_after"
pool Always
check "back to VXLAN" eventually 2 bash -c "ip netns exec $(ns a) ip route show $BLOCK_B | grep -q 'dev vxlan.calico'"

# A fourth node joins at run time.
node_add d 192.0.2.14/24 192.0.2.254
tabbyd_start d
wait_ready d
POD_IP["d:w1"]="$(pod_add d w1 "role: web")"
BLOCK_D="$(block_of "${POD_IP[d:w1]}")"
check "the new node's block route appears on the others within a second" eventually 1 \
    bash -c "ip netns exec $(ns a) ip route show $BLOCK_D | grep -q vxlan.calico && ip netns exec $(ns b) ip route show $BLOCK_D | grep -q vxlan.calico"
check "a workload on the new node is reachable" eventually 3 ping_pod a w1 "${POD_IP[d:w1]}"

# The node leaves: its routes go.
tabbyd_stop d
ctl delete node d >/dev/null
check "a deleted node's routes disappear" eventually 2 bash -c "[ -z \"\$(ip netns exec $(ns a) ip route show $BLOCK_D)\" ]"

# Repair of what someone deletes by hand.
IFACE_A1="$(in_ns a ip route show "${POD_IP[a:w1]}" | awk '{print $3}')"
in_ns a ip route del "${POD_IP[a:w1]}" dev "$IFACE_A1"
check "a workload route deleted by hand is back within a second" eventually 1 \
    bash -c "ip netns exec $(ns a) ip route show ${POD_IP[a:w1]} | grep -q $IFACE_A1"
in_ns a ip link del vxlan.calico
check "vxlan.calico deleted by hand is back within a second, with its routes" eventually 1 \
    bash -c "ip netns exec $(ns a) ip route show $BLOCK_B | grep -q vxlan.calico"
check "and traffic flows again" eventually 3 ping_pod a w1 "${POD_IP[b:w1]}"

# SIGHUP: a changed MTU is applied in place; a broken file is rejected and the old configuration kept.
PID_A="${NODE_PID[a]}"
printf 'nodeName: a\nfelix: {vxlanMTU: 1400}\n' > "$WORK/a.yaml"
kill -HUP "$PID_A"
check "SIGHUP applies a new VXLAN MTU without a restart" eventually 2 \
    bash -c "ip netns exec $(ns a) ip link show vxlan.calico | grep -q 'mtu 1400'"
check "same process" kill -0 "$PID_A"
printf 'nodeName: a\nfelix: {vxlanMTU: 1400}\nnoSuchSetting: 1\n' > "$WORK/a.yaml"
kill -HUP "$PID_A"
check "a broken configuration is reported in the status" eventually 2 bash -c "curl -s --unix-socket $WORK/a.sock http://localhost/status | grep -q noSuchSetting"
check "and the agent keeps running with the old one" bash -c "kill -0 $PID_A && ip netns exec $(ns a) ip link show vxlan.calico | grep -q 'mtu 1400'"
printf 'nodeName: a\nfelix: {vxlanMTU: 1400}\n' > "$WORK/a.yaml"
kill -HUP "$PID_A"

# kill -9: the dataplane stays; the restart writes nothing when nothing changed.
ROUTES_BEFORE="$(in_ns a ip route show)"
tabbyd_stop a KILL
sleep 1
check "no route was removed while the agent was down" test "$ROUTES_BEFORE" = "$(in_ns a ip route show)"
tabbyd_start a --config "$WORK/a.yaml"
wait_ready a
check "the restart made no kernel writes" bash -c "curl -s --unix-socket $WORK/a.sock http://localhost/status | grep -q '\"writes\" *: *0'"
check "routes are unchanged after the restart" test "$ROUTES_BEFORE" = "$(in_ns a ip route show)"
check "every workload still reaches every other" eventually 5 all_pairs_ping

check "foreign routes, tables, links and nft tables are untouched" test "$FOREIGN_BEFORE" = "$(foreign_state)"

echo "e2e-routing$SUITE_SUFFIX: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
