# web1: the reasonably hardened host. nftables input policy drop, only sshd listening.
# The sudoers rule comes from the repo's docs/sudoers-root-helper.example (the least-privilege
# commands plus the root helper, installed from docs/root-facts.example) when labctl mounts
# them at /lab-input/; otherwise auditor gets NOPASSWD: ALL.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudoers_least  # the sudoers file (and root helper) labctl mounts, else NOPASSWD: ALL
lab_nft /lab/hosts/deny-inbound.nft inet filter
lab_exec_sshd
