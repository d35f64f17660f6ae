"""The script's `podman_containers` section, run by the real shells on a fake `podman`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hardaudit.facts.parsers.containers import parse_containers
from hardaudit.facts.script import PODMAN_INSPECT_FORMAT, build_script

from .test_files_script import SHELLS, _function, run_function

ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
LINE = (
    f'{{"id":"{ID}","name":"podapp","image":"localhost/lab-sleep:1","user":"1000:1000",'
    '"pid":1,"running":true,"privileged":false,"network_mode":"none","pid_mode":"private",'
    '"ipc_mode":"shareable","cap_add":[],"mounts":[],"ports":{},"compose":{}}'
)


def _fake_podman(tmp: Path) -> Path:
    """A `podman` that logs its arguments: `ps` lists one id, `inspect` prints LINE."""
    bindir = tmp / "bin"
    bindir.mkdir()
    podman = bindir / "podman"
    podman.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$*" >>{bindir}/calls\n'
        f"case $1 in ps) echo {ID} ;; inspect) printf \"%s\\n\" '{LINE}' ;; esac\n"
    )
    podman.chmod(0o755)
    return bindir


def _run(tmp: Path, shell: list[str], uid: str, sudo: str) -> tuple[str, int, str]:
    bindir = _fake_podman(tmp)
    script = _function("container_procs")
    env = {"PATH": f"{bindir}:{os.environ['PATH']}", "HA_UID": uid, "HA_SUDO": sudo}
    return run_function("podman_containers", tmp, shell, before=script, env=env)


@pytest.mark.parametrize("shell", SHELLS)
def test_as_root_the_rootful_containers_are_listed_and_their_process_read(
    tmp_path: Path, shell: list[str]
) -> None:
    out, rc, err = _run(tmp_path, shell, "0", "")
    assert rc == 0, err
    assert out.splitlines()[:2] == ["## engine-ok", LINE]
    assert out.splitlines()[2].startswith("## proc 1 ")
    calls = (tmp_path / "bin" / "calls").read_text().splitlines()
    assert calls[0] == "ps -q --no-trunc"
    assert calls[1] == f"inspect --format __PODMAN_FORMAT__ {ID}"  # filled by build_script
    (container,) = parse_containers(out, engine="podman")
    assert (container.name, container.engine, container.pid) == ("podapp", "podman", 1)
    assert container.effective_uid is not None


@pytest.mark.parametrize("shell", SHELLS)
def test_another_user_without_sudo_is_refused_never_an_empty_list(
    tmp_path: Path, shell: list[str]
) -> None:
    """As uid 1000, podman would list uid 1000's rootless store: "no container" of root's."""
    out, rc, err = _run(tmp_path, shell, "1000", "")
    assert (out, rc) == ("", 1)
    assert err.strip() == "podman lists rootful containers to uid 0 only: no sudo here"
    assert not (tmp_path / "bin" / "calls").exists()


@pytest.mark.parametrize("shell", SHELLS)
def test_no_podman_is_127(tmp_path: Path, shell: list[str]) -> None:
    env = {"HA_UID": "0", "HA_SUDO": ""}
    absent = 'has() { [ "$1" != podman ] && command -v "$1" >/dev/null; }'
    out, rc, err = run_function("podman_containers", tmp_path, shell, before=absent, env=env)
    assert (out, rc, err.strip()) == ("", 127, "podman not installed")


def test_podmans_template_is_dockers_without_exposed_ports() -> None:
    script = build_script(become=True, nonce="n").script
    assert f"root podman inspect --format '{PODMAN_INSPECT_FORMAT}' $_ids" in script
    assert "run podman_containers 262144 podman_containers" in script
    only = build_script(become=True, nonce="n", facts=("containers",)).script
    assert "run podman_containers " in only
    assert "run containers " in only
    assert "ExposedPorts" not in PODMAN_INSPECT_FORMAT
    assert PODMAN_INSPECT_FORMAT.startswith('{"id":{{json .ID}},')
    assert '"user":{{json .Config.User}}' in PODMAN_INSPECT_FORMAT
    assert "'" not in PODMAN_INSPECT_FORMAT  # the script single-quotes it
