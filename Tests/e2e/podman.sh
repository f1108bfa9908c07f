#!/usr/bin/env bash
# End-to-end: podman, the real client, attaches containers through the CNI plugins `tabby` and `tabby-ipam` on
# three nodes in network namespaces running tabbyd against one file datastore. Containers ping each other across
# nodes (VXLAN, then CrossSubnet without the tunnel); a GlobalNetworkPolicy on pod labels (Pod objects in the
# datastore) lets one client's TCP through and not another's; `--ip` gets the address asked for, and a second
# container asking for it gets Calico's error and does not run; `podman rm` gives back the address, the route
# and the WorkloadEndpoint; a container started while its node's tabbyd is down gets its address and is reached
# once tabbyd is back; a dual-stack container pings another node's over IPv6. First, a harness check with the
# reference plugins ptp and host-local. The node namespaces are the only place podman's networking touches.
# Needs root; installs podman, runc, busybox-static and containernetworking-plugins when missing and skips
# ("e2e-podman: skipped: ...", exit 0) only when they cannot be installed or podman cannot run a container here.
# Prints "e2e-podman: N passed, M failed".
#
#   nodes a, b, c: 192.0.2.11-13/24 and 2001:db8::11-13/64 on one bridge, tabbyd on each
#   networks (a conflist of each on every node):
#     tabby      the plugin as podman calls it (orchestrator cni), tabby-ipam, then tuning and portmap
#     tabby-k8s  the same through a shim adding K8S_POD_NAMESPACE=podman (pods, for the policy checks)
#     tabby-ds   IPv4 and IPv6 (assign_ipv6)
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${BIN:=$(swift build --show-bin-path)}"
export BIN
TOPO="tabby-pm-$$"
source Tests/e2e/lib.sh
source Tests/e2e/podman-lib.sh
set +e # lib.sh sets -e; here a failed step is a failed check, and the rest still runs.

POOL4=203.0.113.0/24
POOL6=2001:db8:64::/64
POD_NAMESPACE=podman
NODE_NAMES=(a b c)
declare -A NODE_IP4=([a]=192.0.2.11/24 [b]=192.0.2.12/24 [c]=192.0.2.13/24)
declare -A NODE_IP6=([a]=2001:db8::11/64 [b]=2001:db8::12/64 [c]=2001:db8::13/64)
declare -A CTR_IP CTR_IP6

host_links() { ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(cali|veth|vxlan|cni)' | sort; }
HOST_LINKS_BEFORE="$(host_links)"

cleanup() { podman_down; topology_down; }
trap cleanup EXIT
trap 'exit 130' INT TERM
skip() { echo "e2e-podman: skipped: $1"; exit 0; }

echo "e2e podman (namespaces ${TOPO}-*)"
mkdir -p "$WORK"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, podman as root)"
why="$(podman_install)" || skip "$why"
for binary in tabbyd tabbyctl tabby tabby-ipam; do
    if [ ! -x "$BIN/$binary" ]; then
        echo "e2e-podman: $BIN/$binary is missing (swift build)"
        echo "e2e-podman: 0 passed, 1 failed"
        exit 1
    fi
done
podman_prepare
podman_runs || skip "podman cannot run a container here: $(tail -1 "$WORK/podman-probe.out" 2>/dev/null)"

apply() { ctl apply -f - >/dev/null; }
pool4() {
    apply <<YAML
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pods}
spec: {cidr: $POOL4, blockSize: 28, vxlanMode: $1, natOutgoing: false}
YAML
}
pool6() {
    apply <<YAML
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pods-v6}
spec: {cidr: "$POOL6", blockSize: 122, vxlanMode: Always, natOutgoing: false}
YAML
}
block_of() { ctl ipam show --ip "$1" 2>/dev/null | awk '/Block:/ {print $2}'; }
handle_is() { [ "$(ctl ipam show --ip "$1" 2>/dev/null | awk '/Handle:/ {print $2}')" = "$2" ]; }
not_assigned() { ctl ipam show --ip "$1" 2>/dev/null | grep -q "is not assigned"; }
wep() { ctl get workloadendpoint "$2" -n "$1" -o yaml 2>/dev/null; }
wep_has() { wep "$1" "$2" | grep -q -- "$3"; }
no_wep() { ! ctl get workloadendpoint "$2" -n "$1" >/dev/null 2>&1; }
# The names Calico's plugin gives a cni-orchestrated container: WorkloadEndpoint <node>-cni-<containerID>-eth0 in
# namespace default (a node name without '-' needs no doubling), host veth cali + the container ID's first 11.
cni_wep() { echo "$1-cni-$(ctr_id "$1" "$2")-eth0"; }
cni_iface() { echo "cali$(ctr_id "$1" "$2" | cut -c1-11)"; }
# For a pod: <node>-k8s-<pod>-eth0 in the pod's namespace, cali + SHA-1("<namespace>.<pod>")'s first 11.
pod_iface() { echo "cali$(printf '%s' "$POD_NAMESPACE.$1" | sha1sum | cut -c1-11)"; }
route_in() { in_ns "$1" ip route show "$2" 2>/dev/null; }
route6_in() { in_ns "$1" ip -6 route show "$2" 2>/dev/null; }
has_route() { [ -n "$(route_in "$1" "$2")" ]; }
no_route() { [ -z "$(route_in "$1" "$2")" ]; }
route_matches() { route_in "$1" "$2" | grep -q -- "$3"; }
link_in() { in_ns "$1" ip -o link show "$2" 2>/dev/null; }
no_link() { [ -z "$(link_in "$1" "$2")" ]; }
tx_packets() { in_ns "$1" cat /sys/class/net/vxlan.calico/statistics/tx_packets 2>/dev/null || echo none; }
# tcp_answer NODE CONTAINER ADDRESS PORT: what the server answered, empty when no connection within a second.
tcp_answer() { ctr "$1" "$2" sh -c "nc -w 1 $3 $4 </dev/null" 2>/dev/null; }
connects() { [ "$(tcp_answer "$@")" = hello ]; }
times_out() { [ -z "$(tcp_answer "$@")" ]; }
# serve NODE CONTAINER PORT: a TCP server in the container answering "hello" to every connection.
serve() { pm "$1" exec -d "$2" sh -c "while true; do echo hello | nc -l -p $3; done" >/dev/null; }
# pairs_ping NODE:CONTAINER...: every one pings every other (CTR_IP holds the addresses); the pairs without a
# reply in $WORK/no-reply.
pairs_ping() {
    local ok=0 from to
    : >"$WORK/no-reply"
    for from in "$@"; do
        for to in "$@"; do
            [ "$from" = "$to" ] && continue
            ctr_ping "${from%%:*}" "${from##*:}" "${CTR_IP[$to]:-none}" ||
                { echo "    no reply: $from -> $to (${CTR_IP[$to]:-no address})" >>"$WORK/no-reply"; ok=1; }
        done
    done
    return $ok
}
# all_pairs_ping SECONDS NODE:CONTAINER...: until every pair pings within SECONDS; else says which did not.
all_pairs_ping() { local limit="$1"; shift; eventually "$limit" pairs_ping "$@" || { cat "$WORK/no-reply"; return 1; }; }
# free_block_address: an address of $POOL4 in a /28 with no block yet (block base + 7).
free_block_address() {
    local used base
    used="$(ctl ipam show --show-blocks | grep -oE '203\.0\.113\.[0-9]+/28')"
    for base in $(seq 0 16 240); do
        grep -qx "203.0.113.$base/28" <<<"$used" || { echo "203.0.113.$((base + 7))"; return 0; }
    done
    return 1
}
in_pool4() { [[ "$1" == 203.0.113.* ]]; }
in_pool6() { [[ "$1" == 2001:db8:64:* ]]; }
ctr_has_cidr() { ctr "$1" "$2" ip -o addr show dev eth0 | grep -q "inet6\? $3 "; }
ctr_mtu_is() { [ "$(ctr "$1" "$2" cat /sys/class/net/eth0/mtu)" = "$3" ]; }
ctr_default_via_gateway() {
    ctr "$1" "$2" ip route | grep -q '^default via 169.254.1.1 dev eth0' &&
        ctr "$1" "$2" ip route | grep -q '^169.254.1.1 dev eth0 scope link'
}
ctr_default6_via_host() { ctr "$1" "$2" ip -6 route | grep -q '^default via fe80::ecee:eeff:feee:eeee dev eth0'; }
ctr_sysctl_is() { [ "$(ctr "$1" "$2" cat "/proc/sys/$3")" = "$4" ]; }
host_side_is_calicos() { link_in "$1" "$2" | grep -q 'link/ether ee:ee:ee:ee:ee:ee'; }
ctr_not_running() { ! ctr_running "$1" "$2"; }
ctr_run_fails() { ! ctr_run "$@"; }
pm_quiet() { pm "$@" >/dev/null 2>&1; }
cni_cached() { ls "/var/lib/cni/results/$1-$2-eth0" >/dev/null 2>&1; }
ctr_netns() { pm "$1" inspect --format '{{.NetworkSettings.SandboxKey}}' "$2" 2>/dev/null; }
route6_matches() { route6_in "$1" "$2" | grep -q -- "$3"; }
pod_annotation_has() { ctl get pod "$1" -n "$POD_NAMESPACE" -o yaml 2>/dev/null | grep -q -- "$2"; }
no_address_assigned() {
    local address ok=0
    for address in "${CTR_IP[@]}" "${CTR_IP6[@]}"; do
        [ -z "$address" ] || not_assigned "$address" || { echo "    still assigned: $address"; ok=1; }
    done
    return $ok
}
ipam_check_clean() {
    ctl ipam check >"$WORK/ipam-check.out" 2>&1 || { sed 's/^/    /' "$WORK/ipam-check.out"; return 1; }
}
no_endpoints() { [ -z "$(ctl get workloadendpoints -A 2>/dev/null | tail -n +2)" ]; }
output_says() { grep -qi -- "$2" "$PODMAN_DIR/$1.out"; }
only_in_node_namespaces() { [ "$(host_links)" = "$HOST_LINKS_BEFORE" ]; }
no_podman_netns() { ! podman_netns_of_ours_left; }
no_cni_cache() { ! cni_cache_of_ours_left; }
podman_netns_of_ours_left() {
    local node id netns rest
    for node in "${NODE_NAMES[@]}"; do
        while read -r id netns rest; do
            [ -n "$netns" ] && [ -e "$netns" ] && return 0
        done <"$PODMAN_DIR/$node/containers.list"
    done
    return 1
}
cni_cache_of_ours_left() {
    local node id rest
    for node in "${NODE_NAMES[@]}"; do
        while read -r id rest; do [ -n "$id" ] && ls /var/lib/cni/results/*-"$id"-* >/dev/null 2>&1 && return 0; done \
            <"$PODMAN_DIR/$node/containers.list"
    done
    return 1
}

topology_up
# Both pools before tabbyd starts (with --no-default-pools: a node with an IPv6 address would otherwise get a
# default ULA pool); the IPv6 one serves only the tabby-ds network (assign_ipv6).
pool4 Always
pool6
for n in "${NODE_NAMES[@]}"; do
    node_add "$n" "${NODE_IP4[$n]}" 192.0.2.254
    in_ns "$n" ip -6 addr add "${NODE_IP6[$n]}" dev eth0 nodad
    podman_node "$n"
done

# --- The harness with the reference plugins: ptp + host-local in 198.51.100.0/24, static routes ------------------
for n in a b; do
    subnet="198.51.100.$([ "$n" = a ] && echo 0 || echo 64)/26"
    conflist "$n" ref <<JSON
{"cniVersion": "1.0.0", "name": "ref", "plugins": [
  {"type": "ptp", "ipMasq": false,
   "ipam": {"type": "host-local", "dataDir": "$PODMAN_DIR/$n/host-local", "ranges": [[{"subnet": "$subnet"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}}]}
JSON
done
in_ns a ip route add 198.51.100.64/26 via 192.0.2.12 dev eth0
in_ns b ip route add 198.51.100.0/26 via 192.0.2.11 dev eth0
host_local_empty() { [ -z "$(ls "$PODMAN_DIR/$1/host-local/ref" 2>/dev/null | grep -v -e lock -e last_reserved)" ]; }
# The veths in a node besides its own eth0 (itself a veth to the bridge).
veths_in() { in_ns "$1" ip -o link show type veth | grep -vc ': eth0@'; }
check "harness: podman runs a container on node a with ptp + host-local" ctr_run a ref-a ref
check "harness: and on node b" ctr_run b ref-b ref
check "harness: the containers reach each other across the nodes" eventually 5 ctr_ping a ref-a "$(ctr_ip b ref-b)"
check "harness: host-local recorded b's address" test -e "$PODMAN_DIR/b/host-local/ref/$(ctr_ip b ref-b)"
check "harness: the host side of the veth is in the node" test "$(veths_in a)" = 1
check "harness: the host namespace got no link" only_in_node_namespaces
ctr_rm a ref-a
ctr_rm b ref-b
check "harness: podman rm ran CNI DEL: no veth left" test "$(veths_in a)" = 0
check "harness: and host-local released the address" host_local_empty b
in_ns a ip route del 198.51.100.64/26
in_ns b ip route del 198.51.100.0/26
rm -f "$PODMAN_DIR/a/net.d/ref.conflist" "$PODMAN_DIR/b/net.d/ref.conflist"
if [ -n "${PODMAN_HARNESS_ONLY:-}" ]; then
    echo "e2e-podman: $PASSED passed, $FAILED failed (harness only)"
    [ "$FAILED" -eq 0 ]
    exit
fi

# --- tabbyd on every node; the tabby networks ---------------------------------------------------------------------
for n in "${NODE_NAMES[@]}"; do tabbyd_start "$n" --node-ip6 "${NODE_IP6[$n]}" --no-default-pools; done
for n in "${NODE_NAMES[@]}"; do wait_ready "$n"; done
k8s_args_shim tabby-k8s "$POD_NAMESPACE"
for n in "${NODE_NAMES[@]}"; do
    common="\"nodename\": \"$n\", \"datastore_type\": \"file\", \"datastore_path\": \"$DATASTORE\""
    common="$common, \"mtu_file\": \"$WORK/$n.mtu\""
    conflist "$n" tabby <<JSON
{"cniVersion": "1.0.0", "name": "tabby", "plugins": [
  {"type": "tabby", $common, "log_level": "info", "ipam": {"type": "tabby-ipam"}},
  {"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.accept_local": "1"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
JSON
    conflist "$n" tabby-k8s <<JSON
{"cniVersion": "1.0.0", "name": "tabby-k8s", "plugins": [{"type": "tabby-k8s", $common, "ipam": {"type": "tabby-ipam"}}]}
JSON
    conflist "$n" tabby-ds <<JSON
{"cniVersion": "1.0.0", "name": "tabby-ds", "plugins": [
  {"type": "tabby", $common, "ipam": {"type": "tabby-ipam", "assign_ipv4": "true", "assign_ipv6": "true"}}]}
JSON
done

# --- Containers on every node: what ADD made, and pings across nodes over VXLAN -----------------------------------
for n in "${NODE_NAMES[@]}"; do
    check "podman run on node $n (network tabby)" ctr_run "$n" "w$n" tabby
    CTR_IP["$n:w$n"]="$(ctr_ip "$n" "w$n")"
done
ADDR_A="${CTR_IP[a:wa]}"
IFACE_A="$(cni_iface a wa)"
WEP_A="$(cni_wep a wa)"
echo "    wa ${ADDR_A:-none} on $IFACE_A, wb ${CTR_IP[b:wb]:-none}, wc ${CTR_IP[c:wc]:-none}"
check "the container has an address of the pool" in_pool4 "$ADDR_A"
check "as a /32 on eth0" ctr_has_cidr a wa "$ADDR_A/32"
check "default route via 169.254.1.1, which is on link" ctr_default_via_gateway a wa
check "eth0's MTU is the pod MTU tabbyd wrote" ctr_mtu_is a wa "$(cat "$WORK/a.mtu" 2>/dev/null)"
check "the host side is $IFACE_A in the node, MAC ee:ee:ee:ee:ee:ee" host_side_is_calicos a "$IFACE_A"
check "the node routes the address to it" route_matches a "$ADDR_A" "dev $IFACE_A"
check "the address's handle is tabby.<containerID>" handle_is "$ADDR_A" "tabby.$(ctr_id a wa)"
check "WorkloadEndpoint default/$WEP_A exists" wep_has default "$WEP_A" "interfaceName: $IFACE_A"
check "with orchestrator cni" wep_has default "$WEP_A" "orchestrator: cni"
check "and the address" wep_has default "$WEP_A" "$ADDR_A/32"
check "tuning, chained after tabby, got its prevResult and set its sysctl" \
    ctr_sysctl_is a wa net/ipv4/conf/eth0/accept_local 1
check "libcni cached the result (what DEL gets as prevResult)" cni_cached tabby "$(ctr_id a wa)"
check "the container's namespace is podman's bind mount in /run/netns" test -e "$(ctr_netns a wa)"
check "every container reaches every other over VXLAN" all_pairs_ping 10 a:wa b:wb c:wc
BLOCK_B="$(block_of "${CTR_IP[b:wb]}")"
check "node a routes b's block via vxlan.calico" route_matches a "$BLOCK_B" "dev vxlan.calico"
check "the host namespace got no link" only_in_node_namespaces

# --- CrossSubnet: every node in 192.0.2.0/24, so no encapsulation -------------------------------------------------
pool4 CrossSubnet
check "CrossSubnet routes b's block via the underlay" eventually 3 route_matches a "$BLOCK_B" "via 192.0.2.12 dev eth0"
TX_BEFORE="$(tx_packets a)"
check "containers reach each other under CrossSubnet" all_pairs_ping 10 a:wa b:wb c:wc
check "and nothing went through vxlan.calico on a" test "$TX_BEFORE" = "$(tx_packets a)"
pool4 Always
check "back to VXLAN" eventually 3 route_matches a "$BLOCK_B" "dev vxlan.calico"

# --- podman stop (DEL) and start (ADD again, a new namespace, the same container ID) ----------------------------
ADDR_C="${CTR_IP[c:wc]}"
IFACE_C="$(cni_iface c wc)"
pm c stop -t 0 wc >/dev/null 2>&1
check "podman stop ran DEL: the address is released" not_assigned "$ADDR_C"
check "and the veth is gone" no_link c "$IFACE_C"
check "podman start runs ADD again" pm_quiet c start wc
CTR_IP[c:wc]="$(ctr_ip c wc)"
check "the container has an address again, under the same handle" handle_is "${CTR_IP[c:wc]:-none}" "tabby.$(ctr_id c wc)"
check "its endpoint names it" wep_has default "$(cni_wep c wc)" "${CTR_IP[c:wc]:-none}/32"
check "and the others reach it" all_pairs_ping 10 a:wa b:wb c:wc

# --- Many podman runs at once on one node: distinct addresses -------------------------------------------------
PARALLEL=(p1 p2 p3 p4 p5 p6)
# Only these jobs are waited for: tabbyd runs in the background too.
jobs_of_ours=()
for name in "${PARALLEL[@]}"; do ctr_run c "$name" tabby & jobs_of_ours+=($!); done
wait "${jobs_of_ours[@]}"
parallel_addresses() { local name; for name in "${PARALLEL[@]}"; do ctr_ip c "$name"; done; }
all_running() { local name; for name in "${PARALLEL[@]}"; do ctr_running c "$name" || return 1; done; }
distinct_addresses() {
    [ "$(parallel_addresses | grep -c .)" = "${#PARALLEL[@]}" ] && [ -z "$(parallel_addresses | sort | uniq -d)" ]
}
check "${#PARALLEL[@]} podman runs at once on c: all running" all_running
check "with ${#PARALLEL[@]} distinct addresses" distinct_addresses
PARALLEL_ADDRESSES="$(parallel_addresses)"
jobs_of_ours=()
for name in "${PARALLEL[@]}"; do ctr_rm c "$name" & jobs_of_ours+=($!); done
wait "${jobs_of_ours[@]}"
all_released() { local address; for address in $PARALLEL_ADDRESSES; do not_assigned "$address" || return 1; done; }
check "removed at once, every address is released" all_released

# --- Policy on pod labels: Pod objects written before podman run, then a GlobalNetworkPolicy on their labels ------
apply <<YAML
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: $POD_NAMESPACE, labels: {app: web}}
spec: {nodeName: a}
---
apiVersion: v1
kind: Pod
metadata: {name: client-ok, namespace: $POD_NAMESPACE, labels: {role: allowed}}
spec: {nodeName: b}
---
apiVersion: v1
kind: Pod
metadata: {name: client-no, namespace: $POD_NAMESPACE, labels: {role: other}}
spec: {nodeName: c}
YAML
check "podman run web on a (network tabby-k8s)" ctr_run a web tabby-k8s
check "podman run client-ok on b" ctr_run b client-ok tabby-k8s
check "podman run client-no on c" ctr_run c client-no tabby-k8s
WEB="$(ctr_ip a web)"
CTR_IP[a:web]="$WEB"
CTR_IP[b:client-ok]="$(ctr_ip b client-ok)"
CTR_IP[c:client-no]="$(ctr_ip c client-no)"
serve a web 8080
check "web's WorkloadEndpoint is the pod's: a-k8s-web-eth0 in $POD_NAMESPACE" \
    wep_has "$POD_NAMESPACE" a-k8s-web-eth0 "orchestrator: k8s"
check "with the pod's label" wep_has "$POD_NAMESPACE" a-k8s-web-eth0 "app: web"
check "and the host side named from $POD_NAMESPACE.web" host_side_is_calicos a "$(pod_iface web)"
check "the Pod got its address written back (cni.projectcalico.org/podIP)" pod_annotation_has web "podIP: .*$WEB"
check "before any policy, client-ok connects to web:8080" eventually 5 connects b client-ok "$WEB" 8080
check "and so does client-no" eventually 5 connects c client-no "$WEB" 8080
apply <<YAML
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: web-from-allowed}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: role == 'allowed'}
    destination: {ports: [8080]}
YAML
check "with the GlobalNetworkPolicy, client-no (role other) times out" eventually 5 times_out c client-no "$WEB" 8080
check "and client-ok (role allowed) still connects" connects b client-ok "$WEB" 8080

# --- A requested address: --ip (CNI_ARGS IP=) -------------------------------------------------------------------
FIXED="$(free_block_address)"
check "there is a /28 of the pool without a block" test -n "$FIXED"
check "podman run --ip $FIXED on a" ctr_run a fixed tabby --ip "$FIXED"
check "the container has exactly that address" test "$(ctr_ip a fixed)" = "$FIXED"
CTR_IP[a:fixed]="$FIXED"
check "under its handle" handle_is "$FIXED" "tabby.$(ctr_id a fixed)"
check "a second container asking for $FIXED (on b) fails" ctr_run_fails b fixed-again tabby --ip "$FIXED"
check "the ADD of tabby failed" output_says fixed-again 'plugin type="tabby" failed (add)'
check "with Calico's error naming the address" output_says fixed-again "${FIXED:-no address}"
check "and is not running" ctr_not_running b fixed-again
check "the address still belongs to the first" handle_is "$FIXED" "tabby.$(ctr_id a fixed)"
check "and left no veth on b" no_link b "$(cni_iface b fixed-again)"
check "nor a WorkloadEndpoint" no_wep default "$(cni_wep b fixed-again)"
ctr_rm b fixed-again

# --- podman rm: DEL gives back the address, the route and the endpoint --------------------------------------------
FIXED_IFACE="$(cni_iface a fixed)"
FIXED_WEP="$(cni_wep a fixed)"
FIXED_NETNS="$(ctr_netns a fixed)"
FIXED_ID="$(ctr_id a fixed)"
check "before rm: the node routes the address" has_route a "$FIXED"
check "before rm: its namespace is ${FIXED_NETNS:-unknown}" test -e "${FIXED_NETNS:-/nonexistent}"
check "podman rm -f fixed" ctr_rm a fixed
check "its address is released" not_assigned "$FIXED"
check "its host route is gone" no_route a "$FIXED"
check "its veth is gone" no_link a "$FIXED_IFACE"
check "its WorkloadEndpoint is gone" no_wep default "$FIXED_WEP"
check "its network namespace is gone" test ! -e "${FIXED_NETNS:-/nonexistent}"
check "and libcni's cache entry" bash -c "! ls /var/lib/cni/results/tabby-${FIXED_ID:-none}-* >/dev/null 2>&1"

# --- tabbyd down during podman run ------------------------------------------------------------------------------
LATE="$(free_block_address)"
check "there is another /28 without a block" test -n "$LATE"
tabbyd_stop b
check "with tabbyd on b stopped, podman run --ip $LATE on b works" ctr_run b late tabby --ip "$LATE"
check "the container has its address" test "$(ctr_ip b late)" = "$LATE"
check "its WorkloadEndpoint is written" wep_has default "$(cni_wep b late)" "$LATE/32"
LATE_BLOCK="$(block_of "$LATE")"
echo "    late $LATE in the new block $LATE_BLOCK"
# Not checks, what was seen: a's own tabbyd may route the block at once (IPAM says it is b's), and whether the
# container answers before b's tabbyd programs its endpoint is the dataplane's business.
echo "    while b's tabbyd was down: a routes the block: $(eventually 3 route_matches a "${LATE_BLOCK:-none}" \
    "dev vxlan.calico" && echo yes || echo no); wa reaches late: $(ctr_ping a wa "$LATE" && echo yes || echo no)"
tabbyd_start b --node-ip6 "${NODE_IP6[b]}" --no-default-pools
wait_ready b
CTR_IP["b:late"]="$LATE"
check "with b's tabbyd back, a routes the new block via vxlan.calico" \
    eventually 5 route_matches a "$LATE_BLOCK" "dev vxlan.calico"
check "and so does c" eventually 5 route_matches c "$LATE_BLOCK" "dev vxlan.calico"
check "and containers on a and c reach it" all_pairs_ping 10 a:wa c:wc b:late

# --- Dual stack ----------------------------------------------------------------------------------------------------
check "podman run a dual-stack container on a (network tabby-ds)" ctr_run a dsa tabby-ds
check "and on b" ctr_run b dsb tabby-ds
DSA6="$(ctr_ip a dsa 6)"
DSB6="$(ctr_ip b dsb 6)"
DSB4="$(ctr_ip b dsb 4)"
CTR_IP[a:dsa]="$(ctr_ip a dsa 4)"
CTR_IP[b:dsb]="$DSB4"
CTR_IP6[a:dsa]="$DSA6"
CTR_IP6[b:dsb]="$DSB6"
echo "    dsa ${DSA6:-no IPv6}, dsb ${DSB6:-no IPv6} / ${DSB4:-no IPv4}"
check "it has an IPv4 address of the pool" in_pool4 "$(ctr_ip a dsa 4)"
check "and an IPv6 address of the IPv6 pool" in_pool6 "$DSA6"
check "as a /128 on eth0" ctr_has_cidr a dsa "$DSA6/128"
check "IPv6 default route via fe80::ecee:eeff:feee:eeee" ctr_default6_via_host a dsa
check "the node routes the IPv6 address to the container" route6_matches a "$DSA6" "dev $(cni_iface a dsa)"
check "the WorkloadEndpoint has the IPv6 address too" wep_has default "$(cni_wep a dsa)" "$DSA6/128"
check "dsa pings dsb over IPv4" eventually 10 ctr_ping a dsa "$DSB4"
check "dsa pings dsb over IPv6 (IPv6 VXLAN between the nodes)" eventually 10 ctr_ping a dsa "$DSB6"

# --- Everything removed -----------------------------------------------------------------------------------------
for n in "${NODE_NAMES[@]}"; do pm "$n" rm -a -f -t 0 >/dev/null 2>&1; done
check "after podman rm of every container, none of their addresses is assigned" no_address_assigned
check "and tabbyctl ipam check finds nothing wrong" ipam_check_clean
check "no WorkloadEndpoint is left" no_endpoints
check "no container namespace of ours is left in /run/netns" no_podman_netns
check "no libcni cache entry of ours is left" no_cni_cache
check "the host namespace got no link at any time" only_in_node_namespaces

echo "e2e-podman: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
