# dock2: a container host whose own firewall drops inbound traffic (inet filter, ssh only)
# while its engine publishes a container on 0.0.0.0:8080: Docker's DNAT sends that traffic
# through the forward chain, around the input chain. The engine runs here (labctl mounts
# the host's docker binaries and the base image tarball), with iptables on, and also
# listens on tcp://0.0.0.0:2375 without TLS (set in /etc/docker/daemon.json, so that
# --pid=host neighbours such as gold and dock1 do not see it on a dockerd command line).
. /lab/hosts/common.sh
. /lab/hosts/inner-engine.sh

mkdir -p /etc/docker
cat >/etc/docker/daemon.json <<'JSON'
{
    "hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"],
    "tls": false
}
JSON
# "tls": false above also skips dockerd 20.10's 15 s pause for plain tcp.
lab_dockerd

lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudo_all
lab_nft /lab/hosts/deny-inbound.nft inet filter

lab_dockerd_ready

# inner NAME ARGS...: one container, named and hostnamed NAME; all start in parallel.
inner() {
    _name=$1
    shift
    docker run --detach --name "$_name" --hostname "$_name" "$@" >/dev/null
}
# Privileged runs only as non-root here (root: no CAP_SYS_RESOURCE to give), and needs
# labctl's --device-cgroup-rule on dock2: runc writes "a *:* rwm" to its devices cgroup.
pids=
inner web --user 1000:1000 -p 0.0.0.0:8080:8080 "$LAB_IMAGE" \
    python3 -m http.server 8080 --directory /tmp &
pids="$pids $!"
inner priv --privileged --user 1000:1000 "$LAB_IMAGE" sleep infinity &
pids="$pids $!"
inner sock -v /var/run/docker.sock:/var/run/docker.sock --user 1000:1000 "$LAB_IMAGE" sleep infinity &
pids="$pids $!"
inner hostnet --network host --user 1000:1000 "$LAB_IMAGE" sleep infinity &
pids="$pids $!"
inner caps --cap-add SYS_ADMIN --user 1000:1000 "$LAB_IMAGE" sleep infinity &
pids="$pids $!"
inner etcrw -v /etc:/host-etc --user 1000:1000 "$LAB_IMAGE" sleep infinity &
pids="$pids $!"
inner rootly "$LAB_IMAGE" sleep infinity &
pids="$pids $!"
# Not a bare `wait`: that would also wait for dockerd.
for pid in $pids; do wait "$pid" || true; done
running=$(docker ps -q | wc -l)
if [ "$running" != 7 ]; then
    echo "dock2: $running of 7 containers run"
    docker ps -a
    exit 1
fi
lab_exec_sshd
