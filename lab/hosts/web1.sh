# web1: the reasonably hardened host. nftables input policy drop, only sshd listening.
# The sudoers rule comes from the repo's docs/sudoers.example when labctl mounts it at
# /lab-input/sudoers; otherwise auditor gets NOPASSWD: ALL.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
if [ -f /lab-input/sudoers ]; then
    install -m 440 -o root -g root /lab-input/sudoers /etc/sudoers.d/auditor
    visudo -cqf /etc/sudoers.d/auditor
else
    lab_sudo_all
fi
lab_nft /lab/hosts/deny-inbound.nft inet filter
lab_exec_sshd
