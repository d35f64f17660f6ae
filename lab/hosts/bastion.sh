# bastion: first hop, published on 127.0.0.1; on ha-front and ha-int.
. /lab/hosts/common.sh
lab_host_keys
lab_auditor
lab_sshd_dropin "PasswordAuthentication no" "PermitRootLogin no" "AllowTcpForwarding yes"
lab_sudo_all
lab_exec_sshd
