# bastion2: second hop, reachable only from bastion; on ha-int and ha-deep.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PasswordAuthentication no" "PermitRootLogin no" "AllowTcpForwarding yes"
lab_sudo_all
lab_exec_sshd
