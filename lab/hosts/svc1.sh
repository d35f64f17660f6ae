# svc1: service and file mistakes. A unit without User= (api) next to one with (worker),
# redis on 0.0.0.0 without protected mode or password, nginx site files without security
# headers (plain) or hiding them in a location with its own add_header (hidden), a
# world-readable .env holding a secret, and a world-writable file in /etc.
# Inbound default deny like web1, so the firewall is not one of its findings.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudo_all
lab_nft /lab/hosts/deny-inbound.nft inet filter
lab_user app

mkdir -p /etc/systemd/system
cat >/etc/systemd/system/api.service <<'UNIT'
[Unit]
Description=api (no user set: runs as root)

[Service]
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
UNIT
cat >/etc/systemd/system/worker.service <<'UNIT'
[Unit]
Description=worker

[Service]
User=app
ExecStart=/bin/sleep infinity

[Install]
WantedBy=multi-user.target
UNIT

sed -i -e 's/^bind .*/bind 0.0.0.0/' -e 's/^protected-mode .*/protected-mode no/' \
    -e '/^requirepass /d' /etc/redis/redis.conf
lab_redis_start

lab_no_default_site
cat >/etc/nginx/sites-enabled/plain <<'SITE'
# No security header anywhere.
server {
    listen 80;
    server_name plain.example.test;
    root /srv/app/public;
    location / {
        try_files $uri $uri/ =404;
    }
}
SITE
cat >/etc/nginx/sites-enabled/hidden <<'SITE'
# All four headers at server level, but /api sets its own add_header: nginx then ignores
# every add_header inherited from the server level inside that location.
server {
    listen 8081;
    server_name hidden.example.test;
    root /srv/app/public;

    add_header X-Frame-Options "DENY" always;
    add_header X-Content-Type-Options "nosniff" always;
    add_header Referrer-Policy "no-referrer" always;
    add_header Content-Security-Policy "default-src 'self'" always;

    location / {
        try_files $uri $uri/ =404;
    }
    location /api {
        add_header Cache-Control no-store;
        try_files $uri =404;
    }
}
SITE
nginx -t -q

install -d -m 755 -o app -g app /srv/app /srv/worker
printf '%s\n' "DB_PASSWORD=hunter2-lab-secret" >/srv/app/.env
printf '%s\n' "QUEUE_URL=redis://127.0.0.1:6379/0" >/srv/worker/.env
chown app:app /srv/app/.env /srv/worker/.env
chmod 644 /srv/app/.env
chmod 600 /srv/worker/.env

printf '%s\n' "# left world-writable on purpose by the hardaudit lab" >/etc/hardaudit-ww.conf
chmod 666 /etc/hardaudit-ww.conf
lab_exec_sshd
