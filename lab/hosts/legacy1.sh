# legacy1: iptables-legacy as the active backend (Debian's alternatives), a hand-written
# ruleset loaded with iptables-restore/ip6tables-restore, and no nft rules of its own (only
# Docker's embedded-DNS NAT rules, which the lab engine puts in every container's netns).
# Default deny for both families; new ssh connections over 10 a minute per source dropped.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudo_all

update-alternatives --quiet --set iptables /usr/sbin/iptables-legacy
update-alternatives --quiet --set ip6tables /usr/sbin/ip6tables-legacy
for family in 4 6; do
    if [ "$family" = 4 ]; then restore=iptables-restore icmp=icmp; else restore=ip6tables-restore icmp=ipv6-icmp; fi
    "$restore" <<RULES
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -p $icmp -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m hashlimit --hashlimit-above 10/min --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name ssh$family -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
RULES
done
iptables --version
lab_exec_sshd
