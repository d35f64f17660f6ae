# gold: built to pass every check. Hardened sshd (no Match), inet firewall dropping inbound
# and forwarded traffic with a rate limit on ssh, strict ~/.ssh and .env modes, a unit with
# User=, redis on loopback with a password, nginx site files with security headers, and one
# hardened container. labctl mounts a third engine's socket at /var/run/docker.sock and the
# host's docker client, and runs gold with --pid=host so `docker inspect` pids match /proc.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_hardened "AllowUsers auditor"
lab_sudo_all
lab_nft /lab/hosts/gold.nft inet filter

lab_user app
lab_user_key app 600
install -d -m 750 -o app -g app /srv/app
printf '%s\n' "APP_SECRET=gold-lab-not-a-secret" >/srv/app/.env
chown app:app /srv/app/.env
chmod 600 /srv/app/.env

# The base image has no world-writable file or non-sticky world-writable directory in the
# audited trees; should one appear (a new package, a bind mount), fix it here and say so.
found=$(find /etc /usr /bin /sbin /lib /boot /srv /opt -xdev \( -type f -o -type d \) \
    -perm -0002 ! -perm -1000 -print 2>/dev/null || true)
printf '%s\n' "${found:-none}" >/run/lab-world-writable.txt
if [ -n "$found" ]; then
    echo "gold: removing o+w from: $found"
    printf '%s\n' "$found" | while IFS= read -r path; do chmod o-w "$path"; done
fi

mkdir -p /etc/systemd/system
cat >/etc/systemd/system/app.service <<'EOF'
[Unit]
Description=gold's application (a file only: no systemd runs in the lab)

[Service]
User=app
Group=app
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
EOF

# Debian's redis.conf already binds 127.0.0.1 -::1 with protected-mode yes; add a password.
sed -i -e 's/^bind .*/bind 127.0.0.1 -::1/' -e 's/^protected-mode .*/protected-mode yes/' \
    -e '/^requirepass /d' /etc/redis/redis.conf
echo "requirepass $(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')" >>/etc/redis/redis.conf
lab_redis_start

lab_no_default_site
cat >/etc/nginx/sites-enabled/app <<'EOF'
# gold's site: security headers at server level; the location adds none, so it inherits them.
server {
    listen 443 ssl;
    listen [::]:443 ssl;
    server_name app.example.test;
    ssl_certificate /etc/ssl/lab/app.crt;
    ssl_certificate_key /etc/ssl/lab/app.key;
    root /srv/app/public;

    add_header X-Frame-Options "DENY" always;
    add_header X-Content-Type-Options "nosniff" always;
    add_header Referrer-Policy "no-referrer" always;
    add_header Content-Security-Policy "default-src 'self'" always;

    location / {
        try_files $uri $uri/ =404;
    }
}
EOF
lab_exec_sshd
