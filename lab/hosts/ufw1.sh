# ufw1: placeholder until its issue-10 set-up lands (sshd, auditor with sudo, nothing else).
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PermitRootLogin no" "PasswordAuthentication no" "KbdInteractiveAuthentication no"
lab_sudo_all
lab_exec_sshd
