#!/usr/bin/env bash
# End-to-end: BGP through BIRD (tabbyd --networking-backend bird). Three nodes in two subnets joined by a router
# namespace: a 192.0.2.11 and b 192.0.2.12 on br0, c 198.51.100.13 on br1; the router runs a "top-of-rack" BIRD
# of the test's own (AS 64513, eBGP to every node, a BGPPeer of the nodes) that programs what it learns into its
# kernel, so that it forwards pod traffic between the subnets. One pool 203.0.113.0/25 (blockSize 28, ipipMode and
# vxlanMode Never), one workload per node. Checks: the node-to-node mesh comes up (tabbyctl node status, -o json),
# BIRD programs the other nodes' blocks (proto bird), workloads ping across subnets with nothing encapsulated on
# the wire, the ToR learns every block; a pool with disableBGPExport stays unannounced; SIGHUP and a new BGPPeer
# reconfigure BIRD in place without dropping sessions; BIRD killed by hand is restarted; a stopped node's routes
# are withdrawn and come back; bad BGP resources show in the status while the sessions stay up; mesh off with
# node a as route reflector; foreign routes left alone. Needs root and bird2. Prints "e2e-bgp: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${BIN:=$(swift build --show-bin-path)}"
export BIN
export PATH="$PATH:/usr/sbin:/sbin"
TOPO="tabby-bgp-$$"
source Tests/e2e/lib.sh
source Tests/e2e/bgp-lib.sh
SUITE="e2e-bgp$SUITE_SUFFIX"
if ! command -v bird >/dev/null || ! command -v birdc >/dev/null; then
    echo "$SUITE: skipped: bird is not installed (apt-get install bird2; make deps does)"
    exit 0
fi
if ! command -v jq >/dev/null; then
    echo "$SUITE: skipped: jq is not installed (make deps)"
    exit 0
fi
datastore_require "$SUITE"
if ! "$BIN/tabbyd" --help 2>&1 | grep -q -- --networking-backend; then
    echo "tabbyd at $BIN has no --networking-backend"
    echo "$SUITE: 0 passed, 1 failed"
    exit 1
fi
bgp_down() {
    local status=$?
    if [ "$FAILED" -gt 0 ] || [ "$status" -ne 0 ]; then
        for n in "${NODES[@]}"; do
            echo "--- last lines of $n's tabbyd log"
            tail -15 "$WORK/$n.log" 2>/dev/null | cut -c1-400
        done
    fi
    for n in "${NODES[@]}"; do tabbyd_stop "$n"; done
    birds_down
    topology_down
}
trap bgp_down EXIT

# --- Helpers --------------------------------------------------------------------------------------------------

bird_flags() {
    echo --networking-backend bird --bird-config-file "$WORK/$1/bird.conf" --bird-socket "$WORK/$1/bird.ctl" \
        --bird-pid-file "$WORK/$1/bird.pid"
}
node_start() {
    mkdir -p "$WORK/$1"
    # shellcheck disable=SC2046 # bird_flags: words without spaces
    tabbyd_start "$1" $(bird_flags "$1")
}
# for_nodes "a b" CMD ARGS...: CMD NODE ARGS... holds for every one of the nodes.
for_nodes() {
    local nodes="$1" n; shift
    for n in $nodes; do "$@" "$n" || return 1; done
}
# sj NODE FILTER: tabbyd's status on NODE satisfies the jq FILTER.
sj() { status_json "$1" | jq -e "$2" >/dev/null 2>&1; }
# established NODE ADDRESS...: exactly these peers, every one Established.
established() {
    local node="$1"; shift
    local want; want="$(printf '%s\n' "$@" | sort | jq -R . | jq -s -c .)"
    sj "$node" "(.bgp.peers | map(.peerAddress) | sort) == $want
        and all(.bgp.peers[]; .info | startswith(\"Established\"))"
}
# peer_down NODE ADDRESS: NODE has no Established session to ADDRESS (gone, or not up).
peer_down() { sj "$1" "all(.bgp.peers[] | select(.peerAddress == \"$2\"); .info | startswith(\"Established\") | not)"; }
peer_field() { status_json "$1" | jq -r ".bgp.peers[] | select(.peerAddress == \"$2\") | .$3" 2>/dev/null; }
bgp_field() { status_json "$1" | jq -r ".bgp.$2" 2>/dev/null; }
# has_bird_route NODE CIDR / lacks_bird_route NODE CIDR: the node's kernel has (or lacks) CIDR from BIRD.
has_bird_route() { in_ns "$1" ip route show proto bird | grep -q "^$2 "; }
lacks_bird_route() { ! has_bird_route "$@"; }
block_of() { ctl ipam show --ip "$1" | awk '/Block:/ {print $2}'; }
no_protocol_named() { ! nodec "$1" show protocols | grep -q "^$2"; }
has_protocol() { nodec "$1" show protocols | grep -q "^$2 "; }
# every_route NODE: the node has a proto bird route to every other node's block.
every_route() {
    local n
    for n in a b c; do
        [ "$n" = "$1" ] && continue
        has_bird_route "$1" "${BLOCK[$n]}" || return 1
    done
}
routes_everywhere() { every_route a && every_route b && every_route c; }
pings() {
    local pair ok=0
    for pair in "$@"; do
        local from="${pair%%>*}" to="${pair##*>}"
        ping_pod "$from" w1 "${POD_IP[$to]}" || { echo "    no reply: $from -> $to (${POD_IP[$to]})"; ok=1; }
    done
    return $ok
}
all_pings() { pings "a>c" "c>b" "a>b" "b>a" "c>a" "b>c"; }
mesh_up() {
    established a 192.0.2.12 198.51.100.13 192.0.2.254 &&
        established b 192.0.2.11 198.51.100.13 192.0.2.254 &&
        established c 192.0.2.11 192.0.2.12 198.51.100.254
}
tor_established() {
    local n
    for n in a b c; do torc show protocols "tor_$n" | grep -q Established || return 1; done
}
no_tunnel_devices() {
    local n
    for n in a b c; do
        ! in_ns "$n" ip link show vxlan.calico >/dev/null 2>&1 || { echo "    vxlan.calico on $n"; return 1; }
        # tunl0 appears by itself in every namespace once the ipip module is loaded: only an address makes it used.
        ! in_ns "$n" ip -4 addr show dev tunl0 2>/dev/null | grep -q inet || { echo "    tunl0 has an address on $n"; return 1; }
        [ -z "$(in_ns "$n" ip -d link show type vxlan 2>/dev/null)" ] || { echo "    a vxlan device on $n"; return 1; }
    done
}
# since_of_all: every session's "since", as BIRD prints it, on the nodes (mesh) and the ToR.
since_of_all() {
    local n
    for n in a b c; do nodec "$n" show protocols | awk -v n="$n" '$2 == "BGP" { print n, $1, $5, $6 }'; done
    torc show protocols | awk '$2 == "BGP" { print "tor", $1, $5, $6 }'
}
# errors_name NODE TEXT: the status errors mention TEXT (in a resource or a reason).
errors_name() { status_json "$1" | jq -r '.errors[]? | .resource + " " + .reason' 2>/dev/null | grep -qF -- "$2"; }
errors_lack() { ! errors_name "$@"; }
# put_resource PLURAL NAME YAML: tabbyctl apply, or, when tabbyctl refuses it (it validates), the file written
# straight into the datastore directory, as a person or another tool could. Prints how.
put_resource() {
    local plural="$1" name="$2" yaml="$3"
    if printf '%s\n' "$yaml" | ctl apply -f - >/dev/null 2>"$WORK/apply.err"; then
        echo applied
    elif [ "$E2E_DATASTORE" = files ]; then
        printf '%s\n' "$yaml" >"$DATASTORE/$plural/.$name.yaml.tmp" && mv "$DATASTORE/$plural/.$name.yaml.tmp" "$DATASTORE/$plural/$name.yaml"
        echo written
    else
        echo refused
    fi
}
drop_resource() {
    ctl delete "$1" "$2" >/dev/null 2>&1 || rm -f "$DATASTORE/$3/$2.yaml"
}
foreign_state() {
    in_ns a ip route show proto static
    in_ns a ip route show proto 186
    in_ns a ip route show table 100
}

# --- Topology -------------------------------------------------------------------------------------------------

echo "e2e BGP through BIRD on $E2E_DATASTORE (namespaces ${TOPO}-*)"
topology_up
router_up
pool_apply bgp-pods 203.0.113.0/25 Never
node_add a 192.0.2.11/24 192.0.2.254
node_add b 192.0.2.12/24 192.0.2.254
node_add c 198.51.100.13/24 198.51.100.254
node_move_to_br1 c
ctl label node a rack=r0 >/dev/null
ctl label node b rack=r0 >/dev/null
ctl label node c rack=r1 >/dev/null
# The ToR is a BGPPeer: a global one for the nodes in rack r0, a node-specific one for c.
ctl apply -f - >/dev/null <<'YAML'
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor-r0}
spec: {nodeSelector: "rack == 'r0'", peerIP: 192.0.2.254, asNumber: 64513}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor-c}
spec: {node: c, peerIP: 198.51.100.254, asNumber: 64513}
YAML
TOR_PEER=([a]=192.0.2.11 [b]=192.0.2.12 [c]=198.51.100.13)
tor_config
if ! tor_start; then
    echo "the ToR's BIRD did not start:"; cat "$TOR_DIR/stdout.log" "$TOR_DIR/bird.log" 2>/dev/null
    echo "$SUITE: 0 passed, 1 failed"
    exit 1
fi

# Foreign state on node a that neither tabbyd nor its BIRD may touch.
in_ns a ip route add 198.51.100.200/32 via 192.0.2.254 proto static
in_ns a ip route add 198.51.100.201/32 via 192.0.2.254 proto 186
in_ns a ip route add 203.0.113.0/24 via 192.0.2.254 table 100
FOREIGN_BEFORE="$(foreign_state)"

for n in a b c; do node_start "$n"; done
for n in a b c; do wait_ready "$n" 60; done

declare -A POD_IP BLOCK
for n in a b c; do
    POD_IP[$n]="$(pod_add "$n" w1 "role: web")"
    BLOCK[$n]="$(block_of "${POD_IP[$n]}")"
    TOR_OWNED[$n]="${BLOCK[$n]}"
done
echo "  workloads: a ${POD_IP[a]} (${BLOCK[a]}), b ${POD_IP[b]} (${BLOCK[b]}), c ${POD_IP[c]} (${BLOCK[c]})"
# Now that the blocks are known, the ToR prefers each from the node that owns it.
tor_reconfigure || echo "  (the ToR did not take its new configuration)"

# --- 1. The mesh --------------------------------------------------------------------------------------------

echo "mesh"
check "tabbyd runs BIRD with the rendered configuration on every node" \
    eventually 20 bash -c "for n in a b c; do [ -s $WORK/\$n/bird.conf ] && [ -S $WORK/\$n/bird.ctl ] || exit 1; done"
check "every node's peers are Established within 30 s (mesh and ToR)" eventually 30 mesh_up
check "status: BIRD running, version 2.x, started once" \
    sj a '.bgp.running == true and (.bgp.pid > 1) and (.bgp.version | startswith("2.")) and .bgp.starts == 1 and .bgp.lastError == null'
check "status: the pid is the one in BIRD's pid file" test "$(bgp_field a pid)" = "$(node_bird_pid a)"
check "status: mesh peers are node-to-node mesh, named Mesh_<ip>" \
    sj a '[.bgp.peers[] | select(.peerAddress == "192.0.2.12")][0] | .peerType == "node-to-node mesh" and .protocolName == "Mesh_192_0_2_12" and .family == "IPv4" and .state == "up"'
check "status: the ToR is a global peer on a (Global_192_0_2_254)" \
    sj a '[.bgp.peers[] | select(.peerAddress == "192.0.2.254")][0] | .peerType == "global" and .protocolName == "Global_192_0_2_254"'
check "status: the ToR is a node-specific peer on c (Node_198_51_100_254)" \
    sj c '[.bgp.peers[] | select(.peerAddress == "198.51.100.254")][0] | .peerType == "node specific" and .protocolName == "Node_198_51_100_254"'
check "every node has the others' blocks as proto bird routes" eventually 20 routes_everywhere
check "a's route to c's block (the other subnet) goes via the router" \
    bash -c "ip netns exec $(ns a) ip route show proto bird ${BLOCK[c]} | grep -q 'via 192.0.2.254'"
check "a's route to b's block (same subnet) goes straight to b" \
    bash -c "ip netns exec $(ns a) ip route show proto bird ${BLOCK[b]} | grep -q 'via 192.0.2.12'"
check "status: routes imported from and exported to mesh peers are counted" \
    eventually 5 sj a '[.bgp.peers[] | select(.peerAddress == "198.51.100.13")][0] | .routesImported >= 1 and .routesExported >= 1'
metric() { curl -s --unix-socket "$WORK/$1.sock" http://localhost/metrics | awk -v m="$2" '$1 == m { print $2 }'; }
check "metrics: tabby_bgp_peers_established counts a's three sessions" \
    bash -c "[ \"\${1%.*}\" = 3 ]" _ "$(metric a tabby_bgp_peers_established)"
check "metrics: tabby_bgp_routes_imported counts the routes a learned" \
    bash -c "[ \"\${1%.*}\" -ge 2 ]" _ "$(metric a tabby_bgp_routes_imported)"
check "metrics: BIRD started once, rendered and loaded" \
    bash -c "[ \"\${1%.*}\" = 1 ] && [ \"\${2%.*}\" -ge 1 ]" _ "$(metric a tabby_bird_starts)" "$(metric a tabby_bird_reconfigurations_total)"
check "the own block is tabbyd's blackhole (proto 80), not BIRD's" \
    bash -c "ip netns exec $(ns a) ip route show type blackhole proto 80 | grep -q '^blackhole ${BLOCK[a]} ' && ! ip netns exec $(ns a) ip route show proto bird | grep -q '${BLOCK[a]}'"
table="$(ctl node status --status-socket "$WORK/a.sock" 2>&1)"
check "tabbyctl node status prints the IPv4 BGP status table" \
    bash -c 'grep -q "^IPv4 BGP status" <<<"$1" && grep -Eq "^\| PEER ADDRESS +\| +PEER TYPE +\| STATE +\| +SINCE +\| +INFO +\|" <<<"$1"' _ "$table"
check "the table has a row per peer: mesh, global" \
    bash -c 'grep -Eq "^\| 192\.0\.2\.12 +\| node-to-node mesh \| up +\| .* \| Established +\|" <<<"$1" && grep -Eq "^\| 198\.51\.100\.13 +\| node-to-node mesh \| up " <<<"$1" && grep -Eq "^\| 192\.0\.2\.254 +\| global +\| up " <<<"$1"' _ "$table"
check "and says there are no IPv6 peers" bash -c 'grep -A1 "^IPv6 BGP status" <<<"$1" | grep -q "No IPv6 peers found."' _ "$table"
plain_before="$(wire_count plain)"; ipip_before="$(wire_count ipip)"; vxlan_before="$(wire_count vxlan)"
check "workloads ping across subnets (a->c, c->b) and within one (a->b)" eventually 10 pings "a>c" "c>b" "a>b"
check "every workload reaches every other" eventually 5 all_pings
check "the router forwarded the pod traffic unencapsulated" test "$(wire_count plain)" -gt "$plain_before"
check "no IPIP and no VXLAN on the wire" \
    test "$(wire_count ipip)" = "$ipip_before" -a "$(wire_count vxlan)" = "$vxlan_before"
check "no vxlan.calico or tunl0 in use on any node" no_tunnel_devices

# --- 2. The ToR ---------------------------------------------------------------------------------------------

echo "top of rack"
check "the ToR's sessions to all three nodes are Established" eventually 20 tor_established
check "the ToR learned every node's block" \
    eventually 10 bash -c "$(declare -f torc tor_has_route); TOR_DIR=$TOR_DIR; tor_has_route ${BLOCK[a]} && tor_has_route ${BLOCK[b]} && tor_has_route ${BLOCK[c]}"
check "the ToR programs c's block into the router's kernel via c" \
    eventually 10 bash -c "ip netns exec $(ns net) ip route show proto bird ${BLOCK[c]} | grep -q 'via 198.51.100.13'"
check "the ToR learned nothing outside the pool (foreign routes are not announced)" \
    bash -c "! birdc -s $TOR_DIR/bird.ctl show route | grep -Eq '^(198\.51\.100\.20[01]|192\.0\.2\.0|198\.51\.100\.0)'"

# --- 7. A pool that is not exported ---------------------------------------------------------------------------

echo "disableBGPExport"
pool_apply bgp-silent 203.0.113.192/26 Never "disableBGPExport: true"
SILENT_IP="$(pod_add_in_pool a w2 bgp-silent)"
SILENT_BLOCK="$(block_of "$SILENT_IP")"
echo "  silent workload on a: $SILENT_IP ($SILENT_BLOCK)"
check "the silent pool's workload got its address from it" bash -c "[[ '$SILENT_IP' == 203.0.113.19* || '$SILENT_IP' == 203.0.113.2[0-5]* ]]"
check "a's BIRD configuration knows the silent pool" eventually 10 grep -q '203.0.113.192/26' "$WORK/a/bird.conf"
check "tabbyd blackholes the silent block on a" eventually 5 \
    bash -c "ip netns exec $(ns a) ip route show type blackhole proto 80 | grep -q '^blackhole $SILENT_BLOCK '"
sleep 3
check "the silent block is not on the ToR" tor_lacks_route "$SILENT_BLOCK"
check "nor on b (BIRD or tabbyd)" bash -c "[ -z \"\$(ip netns exec $(ns b) ip route show $SILENT_BLOCK)\" ]"
check "a's BIRD does not announce it to its peers" \
    bash -c "! birdc -s $WORK/a/bird.ctl show route export Mesh_192_0_2_12 | grep -q '^$SILENT_BLOCK '"
check "the exported pool's blocks still are" \
    bash -c "birdc -s $WORK/a/bird.ctl show route export Mesh_192_0_2_12 | grep -q '^${BLOCK[a]} '"

# --- 6. Reload in place ---------------------------------------------------------------------------------------

echo "reload in place"
BIRD_PID_A="$(node_bird_pid a)"
SINCE_BEFORE="$(since_of_all)"
kill -HUP "${NODE_PID[a]}"
sleep 3
check "SIGHUP: tabbyd and BIRD are the same processes" \
    bash -c "kill -0 ${NODE_PID[a]} && [ \"\$(cat $WORK/a/bird.pid)\" = '$BIRD_PID_A' ] && [ \"\$(cat /proc/$BIRD_PID_A/comm)\" = bird ]"
check "SIGHUP: no session was dropped" test "$SINCE_BEFORE" = "$(since_of_all)"
ctl apply -f - >/dev/null <<'YAML'
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: extra-peer}
spec: {peerIP: 192.0.2.253, asNumber: 64514}
YAML
check "a new global BGPPeer appears in every node's BIRD" \
    eventually 15 bash -c "$(declare -f nodec has_protocol); WORK=$WORK; has_protocol a Global_192_0_2_253 && has_protocol b Global_192_0_2_253 && has_protocol c Global_192_0_2_253"
check "and in the status, not Established (nobody answers there)" \
    eventually 5 sj b '[.bgp.peers[] | select(.peerAddress == "192.0.2.253")][0] | .peerType == "global" and (.info | startswith("Established") | not)'
check "BIRD reconfigured in place: same pid" test "$(node_bird_pid a)" = "$BIRD_PID_A"
check "no other session was dropped (BIRD's since unchanged, nodes and ToR)" \
    test "$SINCE_BEFORE" = "$(since_of_all | grep -v Global_192_0_2_253)"
if [ "$SINCE_BEFORE" != "$(since_of_all | grep -v Global_192_0_2_253)" ]; then
    diff <(echo "$SINCE_BEFORE") <(since_of_all | grep -v Global_192_0_2_253) | sed 's/^/    /'
fi
check "status: BIRD still started once" sj a '.bgp.starts == 1'
ctl delete bgppeer extra-peer >/dev/null
check "the deleted BGPPeer's protocol goes" \
    eventually 15 bash -c "$(declare -f nodec no_protocol_named); WORK=$WORK; no_protocol_named a Global_192_0_2_253 && no_protocol_named c Global_192_0_2_253"
check "still no other session dropped" test "$SINCE_BEFORE" = "$(since_of_all)"
if [ "$SINCE_BEFORE" != "$(since_of_all)" ]; then
    diff <(echo "$SINCE_BEFORE") <(since_of_all) | sed 's/^/    /'
fi

# --- 5. BIRD killed by hand ---------------------------------------------------------------------------------

echo "BIRD killed"
OLD_PID="$(node_bird_pid b)"
STARTS_BEFORE="$(bgp_field b starts)"
if is_bird "$OLD_PID"; then kill -KILL "$OLD_PID"; fi
# Sampled through the restart, until the new BIRD has its sessions back: the routes stay in b's kernel (bird -R
# keeps what the killed one left until then). A miss counts when it lasts 50 ms. (Once the sessions are back and
# BIRD prefers another path for a block than the one it left, the ToR's rather than the mesh's, it replaces the
# route; that replacement is not part of the restart and not sampled here.)
kept_through=0
sessions_back() { [ "$(nodec b show protocols | grep -c Established)" -ge 3 ]; }
for i in $(seq 60); do
    sessions_back && break
    if ! every_route b && ! { sleep 0.05; every_route b; } && [ "$kept_through" = 0 ]; then
        kept_through=1
        echo "    after about $((i * 100)) ms b's BIRD routes were:"; in_ns b ip route show proto bird | sed 's/^/      /'
        nodec b show protocols | sed 's/^/      /'
    fi
    sleep 0.1
done
check "b's kernel kept the routes to the other blocks while BIRD restarted" test "$kept_through" = 0
check "tabbyd starts BIRD again (starts grows, a new pid)" \
    eventually 30 sj b ".bgp.running == true and .bgp.starts > ${STARTS_BEFORE:-0} and .bgp.pid != ${OLD_PID:-0}"
check "the new BIRD's pid file is written" eventually 5 bash -c "p=\$(cat $WORK/b/bird.pid); [ \"\$p\" != '$OLD_PID' ] && [ \"\$(cat /proc/\$p/comm)\" = bird ]"
check "b's sessions are Established again" eventually 40 established b 192.0.2.11 198.51.100.13 192.0.2.254
check "b has the other blocks again" eventually 20 every_route b
check "the others route to b's block" eventually 20 bash -c "$(declare -f has_bird_route in_ns ns); TOPO=$TOPO; has_bird_route a ${BLOCK[b]} && has_bird_route c ${BLOCK[b]}"
check "b's workload is reachable again (a->b, c->b)" eventually 10 pings "a>b" "c>b"
check "the log says BIRD exited and was restarted" grep -qi 'BIRD exited' "$WORK/b.log"

# --- 4. A node stopped and started ----------------------------------------------------------------------------

echo "node stopped"
BIRD_PID_C="$(node_bird_pid c)"
tabbyd_stop c
check "stopping tabbyd stops its BIRD" eventually 10 bash -c "! [ \"\$(cat /proc/$BIRD_PID_C/comm 2>/dev/null)\" = bird ]"
check "a and b drop their sessions to c" eventually 30 bash -c "$(declare -f sj status_json ctl peer_down datastore_flags); $(declare -p E2E_DATASTORE BIN WORK TOPO 2>/dev/null | sed 's/^declare -[a-z-]* //'); ns() { echo \"\${TOPO}-\$1\"; }; peer_down a 198.51.100.13 && peer_down b 198.51.100.13"
check "c's block is withdrawn on a and b" eventually 30 bash -c "$(declare -f lacks_bird_route has_bird_route in_ns ns); TOPO=$TOPO; lacks_bird_route a ${BLOCK[c]} && lacks_bird_route b ${BLOCK[c]}"
check "and on the ToR" eventually 30 tor_lacks_route "${BLOCK[c]}"
check "a still has b's block" has_bird_route a "${BLOCK[b]}"
node_start c
wait_ready c 60
check "c's sessions come back" eventually 40 established c 192.0.2.11 192.0.2.12 198.51.100.254
check "and its block is back on a and b" eventually 20 bash -c "$(declare -f has_bird_route in_ns ns); TOPO=$TOPO; has_bird_route a ${BLOCK[c]} && has_bird_route b ${BLOCK[c]}"
check "c has the others' blocks" eventually 20 every_route c
check "a->c and c->b ping again" eventually 10 pings "a>c" "c>b"

# --- 9. Bad input ---------------------------------------------------------------------------------------------

echo "bad input"
eventually 30 mesh_up
SINCE_BEFORE="$(since_of_all)"
how_as="$(put_resource bgppeers bad-as 'apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: bad-as}
spec: {peerIP: 192.0.2.252, asNumber: 4294967296}')"
how_selector="$(put_resource bgppeers bad-selector "apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: bad-selector}
spec: {peerSelector: \"has((\"}")"
echo "  bad-as: $how_as; bad-selector: $how_selector"
check "tabbyctl apply refuses an AS number out of range" test "$how_as" != applied
if [ "$how_as" != refused ]; then
    check "the status errors name the BGPPeer with a bad AS number" eventually 10 errors_name a bad-as
fi
if [ "$how_selector" != refused ]; then
    check "the status errors name the BGPPeer whose peerSelector does not parse" eventually 10 errors_name a bad-selector
    check "on every node" eventually 10 bash -c "$(declare -f errors_name status_json ctl datastore_flags); $(declare -p E2E_DATASTORE BIN WORK TOPO 2>/dev/null | sed 's/^declare -[a-z-]* //'); ns() { echo \"\${TOPO}-\$1\"; }; errors_name b bad-selector && errors_name c bad-selector"
fi
sleep 2
check "the sessions stay up" mesh_up
check "none of them was dropped" test "$SINCE_BEFORE" = "$(since_of_all)"
check "BIRD was not restarted for it" sj a '.bgp.starts == 1'
drop_resource bgppeer bad-as bgppeers
drop_resource bgppeer bad-selector bgppeers
check "the errors go with the resources" eventually 10 bash -c "$(declare -f errors_name errors_lack status_json ctl datastore_flags); $(declare -p E2E_DATASTORE BIN WORK TOPO 2>/dev/null | sed 's/^declare -[a-z-]* //'); ns() { echo \"\${TOPO}-\$1\"; }; errors_lack a bad-as && errors_lack a bad-selector"

# A configuration tabbyd accepts but BIRD refuses: an IPv6 link-local peer address without an interface (node a
# gets an IPv6 address first, so that it has IPv6 sessions at all).
ctl patch node a -p '{"spec":{"bgp":{"ipv6Address":"2001:db8::11/64"}}}' >/dev/null
check "node a's BIRD gets its IPv6 protocols" eventually 15 grep -q 'protocol kernel tabby_kernel6' "$WORK/a/bird.conf"
GOOD_CONF="$(cat "$WORK/a/bird.conf")"
BIRD_PID_A="$(node_bird_pid a)"
SINCE_BEFORE="$(since_of_all)"
ctl apply -f - >/dev/null <<'YAML'
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: link-local}
spec: {node: a, peerIP: "fe80::1", asNumber: 64513}
YAML
check "BIRD's refusal is in the status errors, with BIRD's own message and line" \
    eventually 15 errors_name a "Link-local addresses require defined interface"
check "status: lastError says BIRD refused it" eventually 5 sj a '.bgp.lastError | test("refused|Link-local")'
names_rendered_line() { status_json a | jq -r '.errors[].reason' | grep -Eq 'bird\.conf \(rendered\):[0-9]+'; }
kept_good_conf() { [ "$(cat "$WORK/a/bird.conf")" = "$GOOD_CONF" ] && [ "$(node_bird_pid a)" = "$BIRD_PID_A" ]; }
node_status_shows_refusal() { ctl node status --status-socket "$WORK/a.sock" | grep -q 'Last BIRD configuration error'; }
check "the error names the rendered file and line" names_rendered_line
check "the last good configuration stays in force (file unchanged, same BIRD)" kept_good_conf
check "tabbyctl node status shows BIRD's refusal" node_status_shows_refusal
check "no session was dropped by the refusal" test "$SINCE_BEFORE" = "$(since_of_all)"
ctl delete bgppeer link-local >/dev/null
check "the refusal clears once the peer is gone" eventually 15 errors_lack a "Link-local addresses"
check "and BIRD reports no error" eventually 5 sj a '.bgp.lastError == null'
ctl patch node a -p '{"spec":{"bgp":{"ipv6Address":null}}}' >/dev/null 2>&1 || true

# --- 3. Route reflector, mesh off -----------------------------------------------------------------------------

echo "route reflector"
ctl label node a route-reflector=true >/dev/null
ctl patch node a -p '{"spec":{"bgp":{"routeReflectorClusterID":"224.0.0.1"}}}' >/dev/null
ctl apply -f - >/dev/null <<'YAML'
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: peer-with-rr}
spec: {nodeSelector: all(), peerSelector: "route-reflector == 'true'"}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: rr-to-all}
spec: {nodeSelector: "route-reflector == 'true'", peerSelector: all()}
YAML
ctl apply -f - >/dev/null <<'YAML'
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec: {nodeToNodeMeshEnabled: false}
YAML
no_mesh_anywhere() {
    local n
    for n in a b c; do no_protocol_named "$n" Mesh_ || return 1; done
}
rr_up() {
    established a 192.0.2.12 198.51.100.13 192.0.2.254 &&
        established b 192.0.2.11 192.0.2.254 &&
        established c 192.0.2.11 198.51.100.254
}
check "the Mesh_ protocols are gone on every node" eventually 20 no_mesh_anywhere
check "a peers with b and c (and the ToR), b and c with a only (and the ToR), all Established" eventually 40 rr_up
check "a is the route reflector for b and c (rr client, cluster id 224.0.0.1)" \
    bash -c "grep -q 'rr client' $WORK/a/bird.conf && grep -q 'rr cluster id 224.0.0.1' $WORK/a/bird.conf && ! grep -q 'rr client' $WORK/b/bird.conf"
check "status: b's peer a is a global peer" \
    sj b '[.bgp.peers[] | select(.peerAddress == "192.0.2.11")][0] | .peerType == "global" and (.protocolName | startswith("Mesh_") | not)'
check "the blocks still spread to every node" eventually 30 routes_everywhere
check "b learned c's block through the reflector, next hop unchanged (via the router)" \
    bash -c "ip netns exec $(ns b) ip route show proto bird ${BLOCK[c]} | grep -q 'via 192.0.2.254'"
check "every workload still reaches every other" eventually 10 all_pings

# --- CrossSubnet with BGP on -----------------------------------------------------------------------------------

echo "CrossSubnet beside BGP"
pool_apply bgp-crosssubnet 203.0.113.128/26 CrossSubnet
declare -A CS_IP CS_BLOCK
for n in a b c; do
    CS_IP[$n]="$(pod_add_in_pool "$n" w3 bgp-crosssubnet)"
    CS_BLOCK[$n]="$(block_of "${CS_IP[$n]}")"
done
echo "  CrossSubnet workloads: a ${CS_IP[a]} (${CS_BLOCK[a]}), b ${CS_IP[b]}, c ${CS_IP[c]} (${CS_BLOCK[c]})"
cs_pings() { ping_pod a w3 "${CS_IP[c]}" && ping_pod a w3 "${CS_IP[b]}"; }
cs_vxlan_route() {
    local route; route="$(in_ns a ip route show "${CS_BLOCK[c]}")"
    grep -q 'dev vxlan.calico' <<<"$route" && ! grep -q 'proto bird' <<<"$route"
}
check "a reaches c's CrossSubnet block (other subnet) through vxlan.calico, tabbyd's route" eventually 20 cs_vxlan_route
check "a reaches b's CrossSubnet block (same subnet) directly, tabbyd's route (proto 80)" \
    eventually 10 bash -c "ip netns exec $(ns a) ip route show ${CS_BLOCK[b]} | grep -q 'via 192.0.2.12 dev eth0 proto 80'"
check "BIRD programs none of the CrossSubnet pool's routes" \
    bash -c "! ip netns exec $(ns a) ip route show proto bird | grep -Eq '^203\.0\.113\.1(2[89]|[3-8][0-9]|9[01])/'"
vxlan_before="$(wire_count vxlan)"
check "CrossSubnet workloads ping across subnets (a->c) and within one (a->b)" \
    eventually 10 cs_pings
check "the cross-subnet traffic went through VXLAN on the wire" test "$(wire_count vxlan)" -gt "$vxlan_before"
check "the BGP pool's workloads still reach each other" eventually 10 all_pings

# --- 8. Foreign routes ----------------------------------------------------------------------------------------

echo "foreign state"
check "foreign routes (proto static, proto 186, table 100) are byte-for-byte untouched" \
    test "$FOREIGN_BEFORE" = "$(foreign_state)"
check "no status errors are left" bash -c "$(declare -f status_json ctl datastore_flags); $(declare -p E2E_DATASTORE BIN WORK TOPO 2>/dev/null | sed 's/^declare -[a-z-]* //'); ns() { echo \"\${TOPO}-\$1\"; }; for n in a b c; do [ \"\$(status_json \$n | jq '.errors | length')\" = 0 ] || { status_json \$n | jq -c .errors; exit 1; }; done"

echo "$SUITE: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
