# bbox1: a BusyBox userland. /bin/sh (auditor's login shell) is BusyBox, its applets are
# installed in /usr/local/bin (first in sshd's and sudo's PATH, so stat, find, grep, sed,
# awk, head, timeout... are BusyBox's), and ss is gone: listeners come from /proc/net.
# sshd is still OpenSSH. Otherwise like web1: inbound default deny, sudo ALL.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudo_all
lab_nft /lab/hosts/deny-inbound.nft inet filter
rm -f /usr/bin/ss /usr/sbin/ss
busybox --install -s /usr/local/bin
ln -sf busybox /usr/bin/sh
lab_exec_sshd
