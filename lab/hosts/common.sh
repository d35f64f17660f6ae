# Shared setup for every lab host. Sourced by lab/hosts/<host>.sh, which runs as the
# container's entrypoint (lab/ is mounted read-only at /lab) and ends with lab_exec_sshd.
# Input: LAB_AUTHORIZED_KEYS, the client public keys, one per line.
set -eu

lab_host_keys() {
    # The image carries the keys made when openssh-server was installed: every host
    # would share them and host-key tests would prove nothing.
    rm -f /etc/ssh/ssh_host_*
    ssh-keygen -A >/dev/null
}

lab_auditor() {
    id auditor >/dev/null 2>&1 || useradd -m -s /bin/sh auditor
    # useradd leaves the account locked ('!'); '*' still refuses passwords but allows keys.
    usermod -p '*' auditor
    install -d -m 700 -o auditor -g auditor /home/auditor/.ssh
    printf '%s\n' "$LAB_AUTHORIZED_KEYS" >/home/auditor/.ssh/authorized_keys
    chown auditor:auditor /home/auditor/.ssh/authorized_keys
    chmod 600 /home/auditor/.ssh/authorized_keys
}

# Write the lab's sshd drop-in; each argument is one sshd_config line.
lab_sshd_dropin() {
    printf '%s\n' "# written by the hardaudit lab" "$@" >/etc/ssh/sshd_config.d/10-lab.conf
}

lab_sudo_all() {
    echo 'auditor ALL=(root) NOPASSWD: ALL' >/etc/sudoers.d/auditor
    chmod 440 /etc/sudoers.d/auditor
    visudo -cqf /etc/sudoers.d/auditor
}

lab_exec_sshd() {
    mkdir -p /run/sshd
    chmod 755 /run/sshd
    /usr/sbin/sshd -t
    exec /usr/sbin/sshd -D -e
}
