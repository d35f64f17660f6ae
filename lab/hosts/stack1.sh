# stack1: an application deployed with docker-compose (Debian's v1) against this host's own
# engine (labctl: LabHost.inner), the project "shop" from lab/stack1/ copied to /srv/shop:
# web publishing 443, api as uid 1000, a worker that drops root with setpriv, db and redis on
# an internal network, redis with a password, and a development mail catcher published on
# every address (8025), the one slip. Firewall: lab/hosts/stack1.nft (ssh and 443 in).
# Beside it, rootful podman (Debian's 4.3.1) runs one container, "podapp": as uid 1000, not
# privileged, no network, no published port (lab/README.md, "stack1 and podman").
. /lab/hosts/common.sh
. /lab/hosts/inner-engine.sh

lab_dockerd

lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudo_all
lab_nft /lab/hosts/stack1.nft inet filter

# The deployment: the project directory, its .env (600: it holds the Redis password) and the
# Redis config with that password (readable by the redis user of the container only).
install -d -m 755 /srv/shop
cp /lab/stack1/docker-compose.yml /srv/shop/docker-compose.yml
password=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 32)
umask 077
printf '%s\n' "COMPOSE_PROJECT_NAME=shop" "IMAGE=$LAB_IMAGE" "REDIS_PASSWORD=$password" \
    >/srv/shop/.env
{ cat /lab/stack1/redis.conf; echo "requirepass $password"; } >/srv/shop/redis.conf
umask 022
chown root:redis /srv/shop/redis.conf
chmod 640 /srv/shop/redis.conf

lab_dockerd_ready
# As an operator deploys it: from the project directory (its .env, its relative paths).
if ! (cd /srv/shop && docker-compose up --detach --no-color --quiet-pull) \
    >/var/log/compose.log 2>&1; then
    cat /var/log/compose.log
    exit 1
fi
running=$(docker ps -q --filter label=com.docker.compose.project=shop | wc -l)
if [ "$running" != 6 ]; then
    echo "stack1: $running of 6 compose services run"
    docker ps -a
    cat /var/log/compose.log
    exit 1
fi

# podman: the settings it needs to run here (lab/README.md), made persistent in its config
# files so that a plain `podman ps`/`podman inspect`, as the audit runs them, sees this store.
install -d /etc/containers
cat >/etc/containers/storage.conf <<'EOF'
[storage]
driver = "vfs"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
EOF
cat >/etc/containers/containers.conf <<'EOF'
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"

[engine.runtimes]
runc = ["/usr/sbin/runc"]
EOF
# Its image: sleep and the libraries it links, not the 200 MB base (vfs copies every layer).
root=$(mktemp -d)
chmod 755 "$root"  # the image's / (mktemp makes it 700: uid 1000 could not reach sleep)
install -d "$root/usr/bin" "$root/usr/lib" "$root/usr/lib64"
cp /usr/bin/sleep "$root/usr/bin/"
for lib in $(ldd /usr/bin/sleep | grep -o '/[^ ]*'); do
    install -D "$(readlink -f "$lib")" "$root/usr${lib#/usr}"
done
ln -s usr/bin "$root/bin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
tar -C "$root" -c . | podman import - localhost/lab-sleep:1 >/var/log/podman.log 2>&1
rm -rf "$root"
# --cgroup-parent: relative, under this host's lab cgroup, as dockerd's (labctl removes it).
if ! podman run --detach --name podapp --user 1000:1000 --network none \
    --cgroup-parent "$LAB_CGROUP_PARENT" localhost/lab-sleep:1 /usr/bin/sleep infinity \
    >>/var/log/podman.log 2>&1; then
    cat /var/log/podman.log
    exit 1
fi
lab_exec_sshd
