# nat1: a NAT-only ruleset, as a container engine writes it (iptables-nft, Debian 12's default
# backend): DNAT of a published port and MASQUERADE of the bridge's subnet, nothing filtering
# input. The "published" port 8080 is translated to a listener on port 80 of this host itself
# (its own address, read at start: no address is written here), so nothing leaves the lab.
# NAT rules are not a firewall: fw.enabled must fail and say so.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudo_all

addr=$(ip -4 -o addr show dev eth0 | awk '{ print $4; exit }')
own=${addr%/*}
iptables-restore --noflush <<RULES
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s $addr ! -o eth0 -j MASQUERADE
-A DOCKER -i lab0 -j RETURN
-A DOCKER ! -i lab0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination $own:80
COMMIT
RULES

install -d -m 755 /srv/www
python3 -m http.server 80 --directory /srv/www >/dev/null 2>&1 &
lab_exec_sshd
