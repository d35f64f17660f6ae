# fwd1: firewalld (Debian's package, nftables backend) with its own dbus daemon, since no init
# runs here. The public zone (the default) allows ssh (rate-limited) and https only:
# dhcpv6-client, which Debian's default zone also allows, is removed (permanent
# configuration, then a reload). The auditor reads the kernel's ruleset firewalld builds
# (`inet firewalld`), never firewall-cmd.
# Listening: https on 443 and a backend on 8080 on all addresses, which the zone rejects.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudo_all

dbus-uuidgen --ensure
install -d -m 755 /run/dbus
rm -f /run/dbus/pid
dbus-daemon --system --fork
fwd_wait() {
    i=0
    until [ "$(firewall-cmd --state 2>/dev/null)" = running ]; do
        i=$((i + 1))
        if [ "$i" -gt 60 ]; then
            echo "fwd1: firewalld is not running" >&2
            cat /var/log/firewalld 2>/dev/null >&2 || true
            exit 1
        fi
        sleep 0.5
    done
}
firewalld
fwd_wait
# As an administrator does it: permanent configuration, then a reload.
firewall-cmd --permanent --zone=public --remove-service=dhcpv6-client
firewall-cmd --permanent --zone=public --add-service=https
# ssh through a rich rule with a limit (firewalld's way to rate-limit it) instead of the
# unlimited ssh service: new connections over 10 a minute fall through to the zone's reject.
firewall-cmd --permanent --zone=public --remove-service=ssh
firewall-cmd --permanent --zone=public --add-rich-rule='rule service name="ssh" accept limit value="10/m"'
firewall-cmd --reload
fwd_wait
firewall-cmd --list-all

install -d -m 755 /srv/www
python3 -m http.server 443 --directory /srv/www >/dev/null 2>&1 &
python3 -m http.server 8080 --directory /srv/www >/dev/null 2>&1 &
lab_exec_sshd
