# stale1: an ordinary host on ha-int. Nothing is wrong here: labctl writes a wrong key
# for it into .lab/known_hosts, so the client must report a host-key mismatch.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PasswordAuthentication no" "PermitRootLogin no"
lab_sudo_all
lab_exec_sshd
