# deep1: an ordinary host on ha-deep only, reached through bastion then bastion2.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PasswordAuthentication no" "PermitRootLogin no"
lab_sudo_all
lab_exec_sshd
