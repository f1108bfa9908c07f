#!/bin/bash
# Installs the CNI plugins like calico-node's install-cni: the `tabby` and `tabby-ipam` binaries into
# CNI_BIN_DIR and the conflist 10-tabby.conflist (from 10-tabby.conflist.in) into CNI_CONF_DIR, with the
# datastore directory and the node name filled in. `make install` runs it after a release build.
#
#   SOURCE_BIN    where the built binaries are (required)
#   CNI_BIN_DIR   default /opt/cni/bin
#   CNI_CONF_DIR  default /etc/cni/net.d
#   DATASTORE     default /var/lib/tabby/datastore
#   NODENAME      default the host name
#   ASSIGN_IPV6   true or false (default false): give workloads an IPv6 address too
#
# An existing conflist with the same content is left alone; one with other content is replaced, the old one
# kept as 10-tabby.conflist.bak, and both are said.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${SOURCE_BIN:?SOURCE_BIN must name the directory holding the built tabby and tabby-ipam}"
CNI_BIN_DIR="${CNI_BIN_DIR:-/opt/cni/bin}"
CNI_CONF_DIR="${CNI_CONF_DIR:-/etc/cni/net.d}"
DATASTORE="${DATASTORE:-/var/lib/tabby/datastore}"
NODENAME="${NODENAME:-$(hostname)}"
ASSIGN_IPV6="${ASSIGN_IPV6:-false}"

fail() { echo "install: $*" >&2; exit 1; }

# The values go into JSON strings: refuse what would need escaping rather than write a broken conflist.
for name in DATASTORE NODENAME; do
    value="${!name}"
    [ -n "$value" ] || fail "$name is empty"
    case "$value" in *'"'* | *'\'* | *$'\n'* | *'@'* | *'|'*) fail "$name \"$value\" holds a character a conflist cannot take here";; esac
done
case "$ASSIGN_IPV6" in true | false) ;; *) fail "ASSIGN_IPV6 is \"$ASSIGN_IPV6\", not true or false";; esac
case "$DATASTORE" in /*) ;; *) fail "DATASTORE \"$DATASTORE\" is not an absolute path";; esac

for binary in tabby tabby-ipam; do
    [ -x "$SOURCE_BIN/$binary" ] || fail "$SOURCE_BIN/$binary is not built"
done
mkdir -p "$CNI_BIN_DIR" "$CNI_CONF_DIR"
for binary in tabby tabby-ipam; do
    # Through a temporary name and a rename: a runtime executing the old binary meanwhile is not disturbed.
    install -m 0755 "$SOURCE_BIN/$binary" "$CNI_BIN_DIR/.$binary.new"
    mv -f "$CNI_BIN_DIR/.$binary.new" "$CNI_BIN_DIR/$binary"
    echo "installed $CNI_BIN_DIR/$binary"
done

conflist="$CNI_CONF_DIR/10-tabby.conflist"
rendered="$(mktemp "$CNI_CONF_DIR/.10-tabby.conflist.XXXXXX")"
trap 'rm -f "$rendered"' EXIT
sed -e "s|@DATASTORE@|$DATASTORE|g" -e "s|@NODENAME@|$NODENAME|g" -e "s|@ASSIGN_IPV6@|$ASSIGN_IPV6|g" \
    "$here/10-tabby.conflist.in" > "$rendered"
chmod 0644 "$rendered"
if [ -f "$conflist" ] && cmp -s "$rendered" "$conflist"; then
    echo "unchanged $conflist"
    exit 0
fi
if [ -f "$conflist" ]; then
    cp -p "$conflist" "$conflist.bak"
    echo "replacing $conflist, which had other content (the old one is $conflist.bak):"
    diff -u "$conflist.bak" "$rendered" | sed 's/^/    /' || true
fi
mv -f "$rendered" "$conflist"
trap - EXIT
echo "installed $conflist (node $NODENAME, datastore $DATASTORE)"
