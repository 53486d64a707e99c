#!/bin/bash
# tests/boot/guest.sh: the guest's half of scripts/boot-test. It runs at each boot of the test
# image (rfou-boot-test.service, after multi-user.target), from the share that the host
# mounts at /mnt/share, and writes one line per check to /mnt/share/results:
#   PASS|FAIL boot N: what was checked[: what was seen]
#   TIME boot N: ...      DONE boot N
# then reboots or powers off. The boots:
#   0  installs the package (apt-get install ./rfou_*.deb), checks what it installed, puts the
#      test's files in /etc (rfou, systemd-networkd, sysctl.d), enables networkd; reboots.
#   1  the state after a boot: every check below, and systemd-networkd's own FOU port and
#      tunnels beside rfou's (networkd_checks); reboots (systemctl reboot).
#   2  the same checks once more: the kernel's state was gone, the units made it again; then
#      puts a broken file, 15-bad.toml, in /etc/rfou; reboots.
#   3  the broken file failed the unit visibly, the others applied, the host reached
#      multi-user; then apt-get remove and apt-get purge, checked; powers off.
# The checks' commands are in single quotes on purpose: bash -c expands them, at check time.
# shellcheck disable=SC2016
set -u
share=/mnt/share
results=$share/results
conf=/etc/rfou
n=$(($(cat "$share/boots" 2>/dev/null || echo -1) + 1))
echo "$n" >"$share/boots"

pass() { echo "PASS boot $n: $*" >>"$results"; }
fail() { echo "FAIL boot $n: $*" >>"$results"; }
# check WHAT CMD...: passes when CMD succeeds; else fails with the end of its output.
check() {
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then
        pass "$what"
    else
        fail "$what: $(printf '%s' "$out" | tail -n 6 | tr '\n' '|')"
    fi
}
# The first line of standard input that matches, or failure.
has() { grep -E -- "$1"; }
mono() { systemctl show -p "$2" --value "$1"; }
# before UNIT1 PROP1 UNIT2 PROP2: UNIT1's PROP1 timestamp is set and not after UNIT2's PROP2.
before() {
    local a b
    a=$(mono "$1" "$2") b=$(mono "$3" "$4")
    echo "$1 $2=$a, $3 $4=$b"
    [[ $a -gt 0 && $b -gt 0 && $a -le $b ]]
}
# succeeded UNIT: the unit is active and its last run succeeded.
succeeded() {
    local active result
    active=$(systemctl show -p ActiveState --value "$1") result=$(systemctl show -p Result --value "$1")
    echo "$1: ActiveState=$active Result=$result"
    [[ $active == active && $result == success ]]
}
finish() {
    journalctl -b --no-pager -u rfou-apply.service -u rfou-apply-bound.service \
        -u systemd-networkd.service >"$share/journal-boot$n.txt" 2>&1
    journalctl -b --no-pager -p warning >"$share/warnings-boot$n.txt" 2>&1
    systemd-analyze blame --no-pager >"$share/blame-boot$n.txt" 2>&1
    echo "DONE boot $n" >>"$results"
    sync
    systemctl --no-block "$1"
}

read -r up _ </proc/uptime
echo "TIME boot $n: the guest agent started ${up%.*} s after the kernel" >>"$results"
# The boot is over when no job is left: running, or degraded when a unit failed.
state=$(timeout 300 systemctl is-system-running --wait)
echo "TIME boot $n: systemd-analyze time: $(systemd-analyze time 2>&1 | head -n 1)" >>"$results"
cat /proc/sys/kernel/random/boot_id >"$share/boot_id$n"

# The state every boot with the test's files must have made.
state_checks() {
    check "rfou-apply.service ran and succeeded" succeeded rfou-apply.service
    check "the files applied in name order" bash -c \
        'journalctl -b -o cat -u rfou-apply.service | grep "^applying " | tee /dev/stderr |
         diff - <(printf "applying /etc/rfou/%s\n" $(cd /etc/rfou && ls *.toml))'
    check "rfou-apply.service deferred 40-bound.toml's port 6080 (its address is networkd's)" \
        bash -c 'journalctl -b -o cat -u rfou-apply.service | grep -F "rfou: /etc/rfou/40-bound.toml:3: port 6080 local 10.77.0.1: deferred: the address is not on this host yet"'
    check "rfou-apply-bound.service made it and succeeded" succeeded rfou-apply-bound.service
    check "rfou-apply.service finished after systemd-sysctl.service" \
        before systemd-sysctl.service ActiveEnterTimestampMonotonic rfou-apply.service ExecMainStartTimestampMonotonic
    check "rfou-apply.service finished before network-pre.target" \
        before rfou-apply.service ActiveEnterTimestampMonotonic network-pre.target ActiveEnterTimestampMonotonic
    check "rfou-apply.service finished before systemd-networkd started" \
        before rfou-apply.service ActiveEnterTimestampMonotonic systemd-networkd.service ExecMainStartTimestampMonotonic
    local f
    for f in 10-underlay 20-site 40-bound rfou; do
        check "rfou apply --check $conf/$f.toml: in sync" rfou apply --check "$conf/$f.toml"
    done
    check "port 5555 (20-site.toml) exists" bash -c 'ip fou show | grep -x "port 5555 ipproto 4"'
    check "port 6080 bound to 10.77.0.1 (40-bound.toml) exists" \
        bash -c 'ip fou show | grep -x "port 6080 gue local 10.77.0.1"'
    check "port 6081 (40-bound.toml) exists" bash -c 'ip fou show | grep -x "port 6081 gue"'
    check "tunnel fou1 sends FOU to 5555, bound to rfu0 (made by the earlier file)" bash -c \
        'ip -d link show fou1 | tee /dev/stderr | grep -q "remote 192.0.2.2 local 192.0.2.1 dev rfu0 " &&
         ip -d link show fou1 | grep -q "encap fou encap-sport auto encap-dport 5555"'
    check "systemd-networkd gave fou1 its address" bash -c 'ip -4 -o addr show dev fou1 | grep -F " 10.99.0.1/30 "'
    check "systemd-networkd configured fou1" bash -c 'networkctl list --no-legend | grep -E " fou1 .* configured"'
    local key dev
    for dev in fou1 rfu0; do
        for key in accept_local log_martians; do
            check "$dev carries sysctl.d's net.ipv4.conf.default.$key = 1" \
                bash -c "[[ \$(cat /proc/sys/net/ipv4/conf/$dev/$key) == 1 ]]"
        done
    done
}

# systemd-networkd's own FOU objects beside rfou's (etc/systemd/network/7*-nd*.netdev): rfou
# reads them, leaves them alone without --prune, and `rfou import networkd` says them, so
# that what it prints makes the same objects in a fresh namespace. Boot 1 only.
nd_links="ndgre0 ndipip0 ndsit0 nd6gre0 nd6tnl0"
# The [[port]]/[[tunnel]] entries of desired-state file $1 that are networkd's (comments left
# out), each on one line (its lines joined by |), sorted: export lists them in the kernel's
# order, import in the files'.
nd_entries() {
    grep -v '^#' "$1" | awk -v RS= '/name = "nd|^\[\[port\]\].port = 707[02]/ { gsub("\n", "|"); print }' | sort
}
# What the kernel says of networkd's objects (their ifindex included).
nd_kernel() {
    ip fou show | grep -E '^port 707[02] '
    local l
    for l in $nd_links; do ip -d -o link show "$l"; done
}
# The checks run their commands in `bash -c`.
export nd_links
export -f nd_entries nd_kernel
networkd_checks() {
    local started i
    started=$(date +%s.%N)
    # networkd makes them once it runs; give it a moment after the boot settles.
    nd_made() {
        ip fou show | grep -x 'port 7070 ipproto 47' || return 1
        local l
        for l in $nd_links; do ip -d link show "$l" || return 1; done
    }
    for ((i = 0; i < 30; i++)); do
        nd_made >/dev/null 2>&1 && break
        sleep 1
    done
    check "networkd made its FOU port 7070 and its tunnels ($nd_links)" nd_made
    check "networkd 252 made Local=::1's port 7072 an unbound IPv4 port (what import names)" \
        bash -c 'ip fou show | grep -x "port 7072 ipproto 4"'
    check "rfou -j show reads networkd's ports as ip -j fou show does" bash -c \
        'for p in "{\"port\":7070,\"ipproto\":47,\"family\":\"inet\"}" "{\"port\":7072,\"ipproto\":4,\"family\":\"inet\"}"; do
           rfou -j show | grep -F -- "$p" && ip -j fou show | grep -F -- "$p" || exit 1; done'
    # The table's cells are padded (a space before the first column too): one space between
    # columns, none at either end. The last column is the MTU.
    check "rfou tunnel show reads networkd's FOU and GUE tunnels" bash -c \
        'rfou tunnel show | sed -E "s/ +/ /g; s/^ //; s/ $//" | grep "^nd" | tee /dev/stderr |
           grep -E "^ndgre0 gre 192\.0\.2\.5 192\.0\.2\.6 fou 7171 7070 - [0-9]+$" &&
         rfou tunnel show ndipip0 | sed -E "s/ +/ /g; s/^ //; s/ $//" | tee /dev/stderr |
           grep -E "^ndipip0 ipip - 198\.51\.100\.9 gue auto 6081 - [0-9]+$"'
    rfou import networkd /etc/systemd/network/*.netdev /etc/systemd/network/*.network \
        >/run/nd-import.toml 2>/run/nd-import.notes
    echo $? >/run/nd-import.status
    check "rfou import networkd: exit 0; names with FILE:LINE the IPv6 Local= it leaves out, and the tunnel on networkd's dummy0" bash -c \
        'cat /run/nd-import.notes; [[ $(cat /run/nd-import.status) == 0 ]] &&
         grep -F "rfou: note: /etc/systemd/network/70-nd-fou6.netdev:10: Local=::1: " /run/nd-import.notes &&
         grep -F "rfou: note: /etc/systemd/network/71-ndgre0.netdev:3: Name=ndgre0: its dev dummy0 is a netdev networkd makes" /run/nd-import.notes'
    check "what rfou import networkd prints is what networkd made: rfou apply --check is in sync" \
        rfou apply --check /run/nd-import.toml
    rfou export >/run/nd-export.toml
    check "rfou export reads networkd's objects as the import says them, entry for entry" bash -c \
        'diff <(nd_entries /run/nd-export.toml) <(nd_entries /run/nd-import.toml) && [[ $(nd_entries /run/nd-export.toml | wc -l) == 7 ]]'
    # rfou's files and more: a port and a tunnel of rfou's that are not there yet. Applied
    # without --prune, networkd's objects stay exactly as they were (same devices, same
    # ifindex, same settings); with --prune they are what would go (rfou's own, named in the
    # files, stay).
    { cat "$conf"/[0-9]*.toml
      printf '\n[[port]]\nport = 7373\ngue = true\n\n[[tunnel]]\nname = "rfx0"\nmode = "ipip"\nremote = "203.0.113.9"\nencap = "fou"\nencap-dport = 7373\n'
    } >/run/nd-other.toml
    nd_kernel >/run/nd-before
    check "rfou apply --check --prune names networkd's FOU port and tunnels among what it would delete" bash -c \
        'rfou apply --check --prune /run/nd-other.toml | tee /dev/stderr >/run/nd-prune; [[ ${PIPESTATUS[0]} == 3 ]] &&
         grep -x -- "- port 7070 ipproto 47" /run/nd-prune && grep -x -- "- port 7072 ipproto 4" /run/nd-prune &&
         grep -x -- "- tunnel ndgre0 mode gre" /run/nd-prune && grep -x -- "- tunnel ndipip0 mode ipip" /run/nd-prune &&
         [[ $(grep -c "^- " /run/nd-prune) == 4 ]]'
    check "rfou apply without --prune changes the namespace and leaves networkd's objects as they were" bash -c \
        'rfou apply /run/nd-other.toml | grep -x "+ port 7373 gue" && diff /run/nd-before <(nd_kernel)'
    check "the import applied in a fresh namespace (with a dummy0) makes the same objects" bash -c \
        'ip netns add ndimport && ip -n ndimport link add dummy0 type dummy &&
         rfou -n ndimport apply /run/nd-import.toml && rfou -n ndimport export >/run/nd-fresh.toml &&
         diff <(nd_entries /run/nd-export.toml) <(nd_entries /run/nd-fresh.toml)'
    ip netns del ndimport 2>/dev/null
    # Kept for a look after the run (target/boot-test/share).
    cp /run/nd-*.toml /run/nd-import.notes /run/nd-prune "$share/" 2>/dev/null
    echo "TIME boot $n: the networkd checks took $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s" >>"$results"
}

case $n in
0)
    check "rfou is not installed in the fresh image" bash -c '! dpkg -s rfou'
    check "apt-get install ./rfou_*.deb" \
        bash -c "DEBIAN_FRONTEND=noninteractive apt-get install -y $share/rfou_*.deb"
    for path in /usr/sbin/rfou /usr/libexec/rfou/rfou-boot \
        /lib/systemd/system/rfou-apply.service /lib/systemd/system/rfou-apply-bound.service \
        /usr/share/man/man8/rfou.8.gz /usr/share/man/man8/rfou-apply.8.gz \
        /usr/share/man/man8/rfou-fou.8.gz /usr/share/man/man8/rfou-tunnel.8.gz \
        /usr/share/bash-completion/completions/rfou /usr/share/zsh/vendor-completions/_rfou \
        /usr/share/fish/vendor_completions.d/rfou.fish /etc/rfou/rfou.toml \
        /usr/share/doc/rfou/copyright /usr/share/doc/rfou/changelog.gz; do
        check "the package installed $path" test -s "$path"
    done
    check "/etc/rfou/rfou.toml is a conffile" bash -c "dpkg-query -W -f='\${Conffiles}' rfou | grep -F ' /etc/rfou/rfou.toml '"
    check "both units are enabled" systemctl is-enabled rfou-apply.service rfou-apply-bound.service
    check "the installation started nothing" bash -c '[[ $(systemctl show -p ActiveState --value rfou-apply.service) == inactive ]]'
    check "the example changes nothing" bash -c 'rfou apply --check /etc/rfou/rfou.toml && [[ $(rfou apply /etc/rfou/rfou.toml) == unchanged ]]'
    check "the rfou command runs" rfou --version
    cp -r "$share/files/etc/." /etc/
    check "systemctl enable systemd-networkd" systemctl enable systemd-networkd.service
    finish reboot
    ;;
1 | 2)
    check "the host reached multi-user.target with no failed unit" \
        bash -c "[[ '$state' == running ]] || { systemctl --failed --no-legend; false; }"
    [[ $n == 2 ]] && check "a new boot: the kernel's state was made again" \
        bash -c "! cmp -s $share/boot_id1 $share/boot_id2"
    state_checks
    [[ $n == 1 ]] && networkd_checks
    [[ $n == 2 ]] && cp "$share/files/bad.toml" "$conf/15-bad.toml"
    finish reboot
    ;;
3)
    check "rfou-apply.service failed visibly (systemctl is-failed)" systemctl is-failed rfou-apply.service
    check "the journal names the broken file and line" bash -c \
        'journalctl -b -o cat -u rfou-apply.service | grep -E "^rfou: /etc/rfou/15-bad.toml:5: "'
    check "the unit names the failed file" bash -c \
        'journalctl -b -o cat -u rfou-apply.service | grep -Fx "rfou-boot: failed: /etc/rfou/15-bad.toml"'
    check "the host still reached multi-user.target (degraded)" \
        bash -c "[[ '$state' == degraded ]] && systemctl is-active multi-user.target"
    for f in 10-underlay 20-site 40-bound; do
        check "the files beside the broken one applied: $f.toml in sync" rfou apply --check "$conf/$f.toml"
    done
    check "rfou-apply-bound.service made 40-bound.toml's port" \
        bash -c 'systemctl is-active rfou-apply-bound.service && ip fou show | grep -x "port 6080 gue local 10.77.0.1"'
    snapshot() { ip fou show | sort; ip -d -o link show | sed 's/^[0-9]*: //' | sort; ip -o addr show | sort; }
    snapshot >/run/kernel-before
    check "apt-get remove rfou" bash -c 'DEBIAN_FRONTEND=noninteractive apt-get remove -y rfou'
    check "remove: the command and the units are gone" bash -c \
        '! test -e /usr/sbin/rfou && ! test -e /lib/systemd/system/rfou-apply.service && [[ $(systemctl show -p LoadState --value rfou-apply-bound.service) == not-found ]]'
    check "remove: the conffile and the administrator's files stay" \
        test -s /etc/rfou/rfou.toml -a -s /etc/rfou/20-site.toml
    check "remove: the kernel's ports, tunnels and addresses stay as they were" \
        bash -c "diff /run/kernel-before <($(declare -f snapshot); snapshot)"
    check "apt-get purge rfou" bash -c 'DEBIAN_FRONTEND=noninteractive apt-get purge -y rfou'
    check "purge: the package is gone, with its conffile" bash -c \
        '! dpkg -s rfou 2>/dev/null | grep -q "^Status: .* installed" && ! test -e /etc/rfou/rfou.toml'
    check "purge: no enablement or runtime state left" bash -c \
        '! ls /etc/systemd/system/*.wants/rfou-apply* /var/lib/systemd/deb-systemd-helper-enabled/rfou-apply* /var/lib/systemd/deb-systemd-helper-enabled/*.wants/rfou-apply* /run/rfou 2>/dev/null | grep .'
    check "purge: the administrator's files stay" test -s /etc/rfou/20-site.toml
    check "purge: the kernel's ports, tunnels and addresses stay as they were" \
        bash -c "diff /run/kernel-before <($(declare -f snapshot); snapshot)"
    finish poweroff
    ;;
*)
    fail "an unexpected boot"
    finish poweroff
    ;;
esac
