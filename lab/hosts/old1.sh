# old1: Debian 11 (bullseye: OpenSSH 8.4p1, sudo 1.9.5p2), set up like web1: key-only sshd,
# nftables input policy drop, only sshd listening. Its sudoers is the least-privilege file in
# the form sudo 1.9.5 reads (docs/sudoers-sudo-1.9.5.example: no regexes), which labctl
# mounts at /lab-input/sudoers; visudo checks it here with the host's own sudo.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudoers_least
lab_nft /lab/hosts/deny-inbound.nft inet filter
lab_exec_sshd
