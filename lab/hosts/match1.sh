# match1: sshd hardened globally (gold's options without AllowUsers), loosened by Match
# blocks at the end of the main sshd_config: root may log in from 198.51.100.0/24 and
# deploy may use a password. The firewall is an `ip` table (IPv4 only) while IPv6 is on
# (labctl sets disable_ipv6=0) and sshd listens on [::]:22 too: IPv6 is left open.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_hardened
lab_sudo_all
lab_user deploy
if ! grep -q '^# hardaudit lab: match1' /etc/ssh/sshd_config; then
    printf '%s\n' "" "# hardaudit lab: match1" \
        "Match Address 198.51.100.0/24" "    PermitRootLogin yes" \
        "Match User deploy" "    PasswordAuthentication yes" >>/etc/ssh/sshd_config
fi
lab_nft /lab/hosts/match1.nft ip filter
lab_exec_sshd
