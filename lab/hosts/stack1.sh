# stack1: an application deployed with docker-compose (Debian's v1) against this host's own
# engine (labctl: LabHost.inner), the project "shop" from lab/stack1/ copied to /srv/shop:
# web publishing 443, api as uid 1000, a worker that drops root with setpriv, db and redis on
# an internal network, redis with a password, and a development mail catcher published on
# every address (8025), the one slip. Firewall: lab/hosts/stack1.nft (ssh and 443 in).
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
lab_exec_sshd
