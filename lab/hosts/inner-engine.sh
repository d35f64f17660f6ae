# Shared by the lab hosts that run their own Docker engine inside (dock2, stack1; LabHost.inner
# in labctl.py): labctl mounts this machine's engine binaries and the base image tarball at
# /lab-input/base.tar, and passes LAB_IMAGE (its name) and LAB_CGROUP_PARENT.

# lab_dockerd: start dockerd in the background, first, so that it initialises while the
# rest is set up. A relative cgroup parent (from labctl, unique to this lab): the containers'
# cgroups nest under the host's own, and labctl removes what runc leaves at the top of the
# cgroup2 tree.
lab_dockerd() {
    setsid dockerd --iptables=true --ip6tables=false --dns 127.0.0.1 \
        --cgroup-parent="$LAB_CGROUP_PARENT" </dev/null >/var/log/dockerd.log 2>&1 &
}

# lab_dockerd_ready: wait until the engine answers, then import the base image (no registry).
lab_dockerd_ready() {
    _tries=0
    until docker info >/dev/null 2>&1; do
        _tries=$((_tries + 1))
        if [ $_tries -gt 150 ]; then tail -20 /var/log/dockerd.log; exit 1; fi
        sleep 0.2
    done
    docker image inspect "$LAB_IMAGE" >/dev/null 2>&1 ||
        docker import /lab-input/base.tar "$LAB_IMAGE" >/dev/null
}
