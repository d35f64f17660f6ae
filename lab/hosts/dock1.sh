# dock1: a container host. labctl mounts a separate engine's socket at
# /var/run/docker.sock and the host's docker client at /usr/bin/docker, and runs dock1
# with --pid=host so `docker inspect` pids match /proc here.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PasswordAuthentication no" "PermitRootLogin no"
lab_sudo_all
lab_exec_sshd
