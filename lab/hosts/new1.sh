# new1: Debian 13 (trixie: OpenSSH 10.0p1 with sshd-session and sshd-auth, sudo 1.9.16p2,
# nftables 1.1.3), set up like web1 (key-only sshd, nftables input policy drop, the
# least-privilege sudoers with regexes from docs/sudoers.example) plus one Match block at the
# end of the main sshd_config: deploy may use a password. `sshd -T -C` judges that context
# as OpenSSH 10 runs it (ssh.password-auth fails for it, and only for it).
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudoers_least
lab_user deploy
if ! grep -q '^# hardaudit lab: new1' /etc/ssh/sshd_config; then
    printf '%s\n' "" "# hardaudit lab: new1" \
        "Match User deploy" "    PasswordAuthentication yes" >>/etc/ssh/sshd_config
fi
lab_nft /lab/hosts/deny-inbound.nft inet filter
lab_exec_sshd
