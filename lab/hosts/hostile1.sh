# hostile1: svc1's service and file mistakes, every one behind a hostile name: file and
# directory names holding a newline, an escape sequence (clear screen), a right-to-left
# override, invalid UTF-8, a leading `-`, `$(reboot)` and a forged `## none` line. Each
# world-readable .env, the world-readable private key, the world-writable files, the open
# Redis and the nginx site without headers must be reported under its own name; nothing
# may be hidden, skipped or made unknown by a name. Inbound default deny like web1.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudo_all
lab_nft /lab/hosts/deny-inbound.nft inet filter
lab_user app

NL='
'
ESC=$(printf '\033')
RLO=$(printf '\342\200\256')
BAD=$(printf 'bad\377\376')
# one name per hostile trait but the newline (made by hand below: `read` would split it)
HOSTILE_NAMES="clear${ESC}[2J
evil${RLO}txt.sh
$BAD
-rf
\$(reboot)"

mkdir -p /etc/systemd/system
cat >/etc/systemd/system/api.service <<'UNIT'
[Unit]
Description=api (no user set: runs as root)

[Service]
ExecStart=/bin/sleep infinity
UNIT

# Redis: open, and beside it a config file whose name forges a `## none` line.
sed -i -e 's/^bind .*/bind 0.0.0.0/' -e 's/^protected-mode .*/protected-mode no/' \
    -e '/^requirepass /d' /etc/redis/redis.conf
printf '%s\n' "bind 0.0.0.0" "protected-mode no" "port 6380" >"/etc/redis/x${NL}## none${NL}.conf"
chown redis:redis "/etc/redis/x${NL}## none${NL}.conf"
lab_redis_start

# nginx: the only site has no security header, in a file named like the forged marker.
lab_no_default_site
cat >"/etc/nginx/sites-enabled/x${NL}## none${NL}.conf" <<'SITE'
server {
    listen 80;
    server_name hostile.example.test;
    root /srv/www;
}
SITE
nginx -t -q

# .env files, world-readable, each in a directory with a hostile name; one more whose own
# name is hostile.
install -d -m 755 -o app -g app /srv/app
printf '%s\n' "$HOSTILE_NAMES" | while IFS= read -r _n; do
    [ -n "$_n" ] || continue
    install -d -m 755 -o app -g app "/srv/app/$_n"
    printf '%s\n' "API_KEY=hostile-lab-secret" >"/srv/app/$_n/.env"
    chown app:app "/srv/app/$_n/.env"
    chmod 644 "/srv/app/$_n/.env"
done
install -d -m 755 -o app -g app "/srv/app/a${NL}b"
printf '%s\n' "API_KEY=hostile-lab-secret" >"/srv/app/a${NL}b/.env"
chown app:app "/srv/app/a${NL}b/.env"
chmod 644 "/srv/app/a${NL}b/.env"
printf '%s\n' "API_KEY=hostile-lab-secret" >"/srv/app/.env.${ESC}[2J"
chown app:app "/srv/app/.env.${ESC}[2J"
chmod 644 "/srv/app/.env.${ESC}[2J"

# world-writable files in /etc and /opt under hostile names
printf '%s\n' "# world-writable on purpose" >"/etc/hardaudit-${RLO}ww.conf"
chmod 666 "/etc/hardaudit-${RLO}ww.conf"
mkdir -p /opt/hostile
printf '%s\n' "x" >"/opt/hostile/\$(reboot)"
chmod 666 "/opt/hostile/\$(reboot)"

# app's ~/.ssh: its key pair (600/644), a world-readable private key named `$(reboot)`,
# and public keys with a newline and invalid UTF-8 in their names.
lab_user_key app 600
_ssh=/home/app/.ssh
cp "$_ssh/id_ed25519" "$_ssh/id_\$(reboot)"
cp "$_ssh/id_ed25519.pub" "$_ssh/a${NL}b.pub"
cp "$_ssh/id_ed25519.pub" "$_ssh/$BAD.pub"
chown app:app "$_ssh/id_\$(reboot)" "$_ssh/a${NL}b.pub" "$_ssh/$BAD.pub"
chmod 644 "$_ssh/id_\$(reboot)" "$_ssh/a${NL}b.pub" "$_ssh/$BAD.pub"
lab_exec_sshd
