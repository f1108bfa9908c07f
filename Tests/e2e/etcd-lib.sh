#!/usr/bin/env bash
# etcd for the end-to-end scenarios, sourced by lib.sh when TABBY_DATASTORE=etcd: ETCD_MEMBERS (1 by default) real
# etcd members (Debian's etcd 3.4) in one namespace of the scenario's own, ${TOPO}-etcd, wired to the nodes' bridge
# br0 like a node. A network namespace has its own loopback, so etcd on the host's 127.0.0.1 would be out of reach
# of tabbyd in the node namespaces; on the bridge every node, and tabbyctl and etcdctl run in ${TOPO}-etcd, reach
# every member.
#
#   member i (0-based): m<i>, 192.0.2.(201+i), client URL http://192.0.2.(201+i):2379, peer port 2380,
#                       data in $WORK/etcd/m<i>, log in $WORK/etcd-m<i>.log, PID in ETCD_PID[i]
#
# Members are started and stopped by their PID only (etcd_member_start, etcd_member_stop); a restarted member keeps
# its data directory. topology_down stops every member before it deletes the namespaces.

: "${ETCD_MEMBERS:=1}"
ETCD_PID=()
ETCD_IP=()
for ((i = 0; i < ETCD_MEMBERS; i++)); do ETCD_IP[i]="192.0.2.$((201 + i))"; done
# etcd_url I: member I's client URL.
etcd_url() { echo "http://${ETCD_IP[$1]}:2379"; }
ETCD_ENDPOINTS="$(for ((i = 0; i < ETCD_MEMBERS; i++)); do printf ',%s' "$(etcd_url "$i")"; done)"
ETCD_ENDPOINTS="${ETCD_ENDPOINTS#,}"
ETCD_INITIAL_CLUSTER="$(for ((i = 0; i < ETCD_MEMBERS; i++)); do printf ',m%d=http://%s:2380' "$i" "${ETCD_IP[i]}"; done)"
ETCD_INITIAL_CLUSTER="${ETCD_INITIAL_CLUSTER#,}"
# Not exported: tabbyd gets flags (datastore_flags), tabbyctl the variables calicoctl reads (ctl in lib.sh).

# etcd_require SUITE: when etcd is not installed, prints the scenario's "skipped" summary and ends the script.
etcd_require() {
    if ! command -v etcd >/dev/null || ! command -v etcdctl >/dev/null; then
        echo "$1: skipped: etcd is not installed (apt-get install etcd-server etcd-client; make deps does)"
        echo "$1: 0 passed, 0 failed"
        exit 0
    fi
    # tabbyctl prefers calicoctl's configuration file to the environment.
    if [ -e /etc/calico/calicoctl.cfg ]; then
        echo "$1: FAIL: /etc/calico/calicoctl.cfg exists: tabbyctl would use it, not this scenario's etcd"
        echo "$1: 0 passed, 1 failed"
        exit 1
    fi
    # A tabbyctl without etcd would ignore DATASTORE_TYPE and write to its default directory: refuse to start.
    # The help text is captured first: `grep -q` under pipefail would close the pipe early and fail on SIGPIPE.
    local agent_help ctl_help
    agent_help=$("$BIN/tabbyd" --help 2>&1 || true)
    ctl_help=$("$BIN/tabbyctl" --help 2>&1 || true)
    if [[ $agent_help != *--datastore-type* ]] || [[ ${ctl_help,,} != *etcd* ]]; then
        echo "$1: FAIL: tabbyd or tabbyctl in $BIN has no etcd datastore (--datastore-type, DATASTORE_TYPE)"
        echo "$1: 0 passed, 1 failed"
        exit 1
    fi
}

# etcd_up: the etcd namespace on the bridge, every member started, and healthy (a cluster has a leader).
etcd_up() {
    ip netns add "$(ns etcd)"
    in_ns etcd ip link set lo up
    ip link add v-etcd netns "$(ns net)" type veth peer name eth0 netns "$(ns etcd)"
    in_ns net ip link set v-etcd master br0 up
    for ((i = 0; i < ETCD_MEMBERS; i++)); do in_ns etcd ip addr add "${ETCD_IP[i]}/24" dev eth0; done
    in_ns etcd ip link set eth0 up
    for ((i = 0; i < ETCD_MEMBERS; i++)); do etcd_member_start "$i"; done
    for ((i = 0; i < ETCD_MEMBERS; i++)); do etcd_wait_healthy "$i" 30; done
}

# etcd_member_start I: starts member I on its data directory (a new one the first time, the kept one after a stop).
etcd_member_start() {
    local i="$1" ip="${ETCD_IP[$1]}"
    mkdir -p "$WORK/etcd"
    # Not through a shell function: $! must be etcd itself (ip netns exec execs it), so that its PID is the one ended.
    ip netns exec "$(ns etcd)" etcd --name "m$i" --data-dir "$WORK/etcd/m$i" \
        --listen-client-urls "http://$ip:2379" --advertise-client-urls "http://$ip:2379" \
        --listen-peer-urls "http://$ip:2380" --initial-advertise-peer-urls "http://$ip:2380" \
        --initial-cluster "$ETCD_INITIAL_CLUSTER" --initial-cluster-state new --initial-cluster-token "$TOPO" \
        >>"$WORK/etcd-m$i.log" 2>&1 &
    ETCD_PID[i]=$!
}

# etcd_member_stop I [SIGNAL]: ends member I by its PID (KILL by default: a crash), keeping its data.
etcd_member_stop() {
    local i="$1" signal="${2:-KILL}" pid="${ETCD_PID[$1]:-}"
    if [ -n "$pid" ]; then
        kill "-$signal" "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        ETCD_PID[i]=""
    fi
}

# etcd_member_healthy I: member I answers /health with true (in a cluster: it has a leader).
etcd_member_healthy() {
    in_ns etcd curl -sf -m 1 "$(etcd_url "$1")/health" 2>/dev/null | grep -q '"health" *: *"true"'
}

# etcd_wait_healthy I [SECONDS]
etcd_wait_healthy() {
    if ! eventually "${2:-20}" etcd_member_healthy "$1"; then
        echo "etcd member m$1 did not become healthy; its log:" >&2
        tail -20 "$WORK/etcd-m$1.log" >&2
        return 1
    fi
}

etcd_down() {
    for ((i = 0; i < ETCD_MEMBERS; i++)); do etcd_member_stop "$i" TERM; done
}

# ectl ARGS...: etcdctl (v3 API) against every member, from the etcd namespace; ECTL_ENDPOINTS picks others.
ectl() {
    ip netns exec "$(ns etcd)" env ETCDCTL_API=3 etcdctl --endpoints "${ECTL_ENDPOINTS:-$ETCD_ENDPOINTS}" \
        --dial-timeout 2s --command-timeout 5s "$@"
}

# ectl_at I ARGS...: etcdctl against member I only.
ectl_at() { local i="$1"; shift; ECTL_ENDPOINTS="$(etcd_url "$i")" ectl "$@"; }

# etcd_leader: the index of the member that is the leader now (what `endpoint status` says), empty when none is.
etcd_leader() {
    local status i
    for ((i = 0; i < ETCD_MEMBERS; i++)); do
        [ -n "${ETCD_PID[i]:-}" ] || continue
        # The table's fifth column is IS LEADER.
        status="$(ectl_at "$i" endpoint status -w table 2>/dev/null | awk -F'|' 'NR > 3 && NF > 5 {print $6}')"
        if [ "$(echo "$status" | tr -d ' ')" = true ]; then echo "$i"; return 0; fi
    done
}

# etcd_revision: the store's current revision.
etcd_revision() { ectl endpoint status -w json 2>/dev/null | jq -r '[.[].Status.header.revision] | max'; }
