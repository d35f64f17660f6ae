# One `run` line per section, in order; build_script drops the ones no selected check needs.
# The sshd_config files, listed once for the three sections that read them (each listing
# runs one awk per file); build_script drops this line when none of them is selected.
HA_SSHD_FILES=$(sshd_file_list)
HA_HS='__HELPER_SECTIONS__'
# Every section, through the cappers (see capped).
sections() {
root_helper __APP_DIRS__
run meta 16384 meta
run sshd_t __CAP__ sshd_t
run sshd_config __CAP__ sshd_files
run sshd_contexts __CAP__ sshd_contexts
run ssh_files __CAP__ ssh_files
run etc_files __CAP__ etc_files
run world_writable __CAP__ world_writable
run env_files __CAP__ env_files __APP_DIRS__
run listeners __CAP__ listeners
run nft __CAP__ fw_nft
run iptables __CAP__ fw_iptables
run ip6tables __CAP__ fw_ip6tables
run iptables_legacy __CAP__ fw_iptables_legacy
run ip6tables_legacy __CAP__ fw_ip6tables_legacy
run ipv6 __CAP__ ipv6
run processes __CAP__ processes
run containers __CAP__ containers
run podman_containers __CAP__ podman_containers
run units __CAP__ units
run redis __CAP__ redis
run nginx __CAP__ nginx
__USER_FACTS__}
capped sections
# The CPU the script used so far (its shell and every child it waited for), as `times` prints it.
printf '\n%s CPU\n' "$N"
times
printf '\n%s DONE\n' "$N"
