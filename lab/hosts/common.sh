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
    echo 'auditor ALL=(ALL) NOPASSWD: ALL' >/etc/sudoers.d/auditor  # (ALL): ~/.ssh files are read as their owner
    chmod 440 /etc/sudoers.d/auditor
    visudo -cqf /etc/sudoers.d/auditor
    lab_root_helper
}

# lab_sudoers_least: the least-privilege sudoers labctl mounts at /lab-input/sudoers (visudo
# must accept it: the host's own sudo checks the form made for it), else NOPASSWD: ALL.
lab_sudoers_least() {
    if [ -f /lab-input/sudoers ]; then
        install -m 440 -o root -g root /lab-input/sudoers /etc/sudoers.d/auditor
        visudo -cqf /etc/sudoers.d/auditor
        lab_root_helper
    else
        lab_sudo_all  # installs the root helper too
    fi
}

# lab_root_helper: the root helper (`audit root-helper`) labctl mounts at /lab-input/root-facts,
# installed as an operator would: root-owned, mode 0755, in a directory only root writes.
lab_root_helper() {
    if [ -f /lab-input/root-facts ]; then
        install -d -m 755 -o root -g root /usr/local/libexec/hardaudit
        install -m 755 -o root -g root /lab-input/root-facts /usr/local/libexec/hardaudit/root-facts
    fi
}

lab_exec_sshd() {
    mkdir -p /run/sshd
    chmod 755 /run/sshd
    /usr/sbin/sshd -t
    exec /usr/sbin/sshd -D -e
}

# lab_user NAME: an account that logs in with a key only ('*': no password can match).
lab_user() {
    id "$1" >/dev/null 2>&1 || useradd -m -s /bin/sh "$1"
    usermod -p '*' "$1"
}

# lab_user_key NAME MODE: NAME's ~/.ssh (700) with an id_ed25519 of MODE, owned by NAME.
lab_user_key() {
    _home=$(getent passwd "$1" | cut -d: -f6)
    install -d -m 700 -o "$1" -g "$1" "$_home/.ssh"
    [ -f "$_home/.ssh/id_ed25519" ] ||
        ssh-keygen -q -t ed25519 -N '' -C "$1@$(hostname)" -f "$_home/.ssh/id_ed25519"
    chown "$1:$1" "$_home/.ssh/id_ed25519" "$_home/.ssh/id_ed25519.pub"
    chmod "$2" "$_home/.ssh/id_ed25519"
    chmod 644 "$_home/.ssh/id_ed25519.pub"
}

# lab_nft FILE FAMILY TABLE: (re)load one table. Only our own table: a "flush ruleset"
# would also drop the rules of Docker's embedded DNS in this network namespace.
lab_nft() {
    nft delete table "$2" "$3" 2>/dev/null || true
    nft -f "$1"
}

# lab_redis_start: run redis-server daemonized from /etc/redis/redis.conf (no init here).
lab_redis_start() {
    install -d -m 2755 -o redis -g redis /run/redis
    runuser -u redis -- redis-server /etc/redis/redis.conf
}

# lab_no_default_site: Debian's nginx ships sites-enabled/default; sites are audited as files.
lab_no_default_site() {
    rm -f /etc/nginx/sites-enabled/default
}

# The sshd options of a hardened host (gold; match1 without AllowUsers).
LAB_SSHD_HARDENED='PermitRootLogin no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PubkeyAuthentication yes
MaxAuthTries 3
MaxStartups 3:50:10
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
LogLevel VERBOSE
Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes128-ctr
MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com
KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512
HostKey /etc/ssh/ssh_host_ed25519_key
HostKey /etc/ssh/ssh_host_rsa_key'

# lab_sshd_hardened [LINE...]: the hardened drop-in plus extra lines. Only the host keys
# it names remain (ssh-keygen -A also made an ECDSA key).
lab_sshd_hardened() {
    printf '%s\n' "# written by the hardaudit lab" "$LAB_SSHD_HARDENED" "$@" \
        >/etc/ssh/sshd_config.d/10-lab.conf
    rm -f /etc/ssh/ssh_host_ecdsa_key /etc/ssh/ssh_host_ecdsa_key.pub
}

# nginx is in the base image only for the hosts whose role includes it (svc1, gold, which
# write their own sites); elsewhere Debian's default site would be a finding of the image,
# not of the host's role.
lab_no_default_site
