# ufw1: a web host behind a reverse proxy, firewalled with ufw the way its documentation says:
# `ufw default deny incoming`, `ufw allow 443/tcp`, `ufw limit 22/tcp`, `ufw enable`. No init
# runs here: `ufw --force enable` loads the rules as ufw's boot script would (iptables-nft, the
# Debian 12 default backend, IPv4 and IPv6). Listening: the front end on 443, and the
# application's backend on 8080 bound to all addresses by mistake, which ufw drops.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudo_all

ufw default deny incoming
ufw default allow outgoing
ufw allow 443/tcp
ufw limit 22/tcp
ufw --force enable
ufw status verbose

install -d -m 755 /srv/www
python3 -m http.server 443 --directory /srv/www >/dev/null 2>&1 &
python3 -m http.server 8080 --directory /srv/www >/dev/null 2>&1 &
lab_exec_sshd
