"""Inventory: Ansible YAML/INI/JSON loading, variables, host patterns, ssh_config."""
