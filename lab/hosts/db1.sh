# db1: the deliberately weak host. Root login allowed in the main sshd_config, passwords
# re-enabled by a drop-in that wins over the main file, redis open on 0.0.0.0:6379,
# a private key readable by everyone, and no sudo for auditor.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor

if ! grep -q '^# hardaudit lab: db1' /etc/ssh/sshd_config; then
    # Drop-ins are Included at the top, so their PasswordAuthentication wins over this "no".
    printf '%s\n' "# hardaudit lab: db1" "PermitRootLogin yes" "PasswordAuthentication no" \
        >>/etc/ssh/sshd_config
fi
echo "PasswordAuthentication yes" >/etc/ssh/sshd_config.d/50-cloud-init.conf

id app >/dev/null 2>&1 || useradd -m app
install -d -m 755 -o app -g app /home/app/.ssh
[ -f /home/app/.ssh/id_ed25519 ] || ssh-keygen -q -t ed25519 -N '' -C app@db1 -f /home/app/.ssh/id_ed25519
chown app:app /home/app/.ssh/id_ed25519 /home/app/.ssh/id_ed25519.pub
chmod 644 /home/app/.ssh/id_ed25519 /home/app/.ssh/id_ed25519.pub

runuser -u redis -- redis-server --bind 0.0.0.0 --port 6379 --protected-mode no \
    --daemonize yes --save '' --appendonly no --dir /var/lib/redis \
    --logfile /var/log/redis/redis-server.log

lab_exec_sshd
