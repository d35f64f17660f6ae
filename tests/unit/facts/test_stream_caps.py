"""The section caps (issue 11: target CPU): two long-lived cappers for the whole stream where
awk keeps a NUL byte in its line, `head -c` per section elsewhere. Both must keep exactly the
same bytes, for any content a section prints: the client's split and truncation verdicts
then cannot tell them apart."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hardaudit.facts.script import DEFAULT_CAP, STDERR_CAP, UserFact, build_script
from hardaudit.facts.sections import split_sections

NONCE = "0123456789abcdef01234567"
PROBE = 'if [ "$_p" -eq 4 ] 2>/dev/null && has fold; then HA_SC=1; fi'
EMIT = """emit() {
  cat "$HA_TD/$1.out"; cat "$HA_TD/$1.err" >&2
  read -r _r <"$HA_TD/$1.rc"; return "$_r"
}
"""
SHELLS = [["dash"]] + ([["busybox", "sh"]] if shutil.which("busybox") else [])


def _script(runs: list[str], *, stream: bool) -> str:
    """The full-catalog script with its sections replaced by `runs` (emit's)."""
    text = _with_sections(EMIT + "sections() {\n" + "".join(runs) + "}\n")
    return text if stream else text.replace(PROBE, ": stream caps off")


def _with_sections(definition: str) -> str:
    """The full-catalog script with its `sections` function replaced by `definition`."""
    text = build_script(become=False, nonce=NONCE).script
    assert PROBE in text
    head, _, rest = text.partition("sections() {\n")
    _, _, tail = rest.partition("\n}\ncapped sections\n")
    assert tail, "the sections function changed shape"
    return head + definition + "capped sections\n" + tail


def _run_sections(body: str) -> subprocess.CompletedProcess[bytes]:
    """The script, its sections `body`, run by dash."""
    return subprocess.run(
        ["dash", "-s"],
        input=_with_sections("sections() {\n" + body + "}\n").encode(),
        capture_output=True,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
        timeout=30,
        check=False,
    )


def _run(
    sections: list[tuple[int, bytes, bytes, int]], tmp: Path, *, stream: bool, shell: list[str]
) -> tuple[bytes, bytes]:
    runs = []
    for i, (cap, out, err, rc) in enumerate(sections):
        (tmp / f"s{i}.out").write_bytes(out)
        (tmp / f"s{i}.err").write_bytes(err)
        (tmp / f"s{i}.rc").write_text(f"{rc}\n")
        runs.append(f"run s{i} {cap} emit s{i}\n")
    done = subprocess.run(
        [*shell, "-s"],
        input=_script(runs, stream=stream).encode(),
        capture_output=True,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HA_TD": str(tmp), "HA_TK": "0"},
        timeout=60,
        check=False,
    )
    assert f"@@{NONCE} DONE".encode() in done.stdout, done.stderr[-2000:]
    # the clock and the CPU figures differ from run to run; nothing else may
    times = re.compile(rb"^(@@" + NONCE.encode() + rb" TIME \S+) \d+ ", re.MULTILINE)
    cpu = done.stdout.rindex(f"@@{NONCE} CPU".encode())
    return times.sub(rb"\1 T ", done.stdout[:cpu]), done.stderr


def _both(
    sections: list[tuple[int, bytes, bytes, int]], tmp: Path, shell: list[str] = SHELLS[0]
) -> tuple[bytes, bytes]:
    (tmp / "a").mkdir(exist_ok=True)
    (tmp / "b").mkdir(exist_ok=True)
    streamed = _run(sections, tmp / "a", stream=True, shell=shell)
    headed = _run(sections, tmp / "b", stream=False, shell=shell)
    assert streamed == headed
    return streamed


# bytes that matter to the cappers: line ends, NUL, the marker's look-alikes, a long run
_PIECES = st.one_of(
    st.binary(max_size=40),
    st.sampled_from(
        [
            b"\n",
            b"\0",
            b"\n\n",
            b"@@",
            b"@@ffffffffffffffffffffffff BEGIN x cap=1\n",  # another nonce: content
            b"\n@@" + NONCE.encode() + b"X BEGIN x\n",  # the nonce with more after it
            b"x" * 300,
        ]
    ),
)
_CONTENT = st.lists(_PIECES, max_size=12).map(b"".join)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sections=st.lists(
        st.tuples(st.integers(0, 400), _CONTENT, _CONTENT, st.integers(0, 3)),
        min_size=1,
        max_size=4,
    )
)
def test_stream_caps_keep_exactly_what_head_keeps(
    sections: list[tuple[int, bytes, bytes, int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    _both(sections, tmp_path_factory.mktemp("caps"))


@pytest.mark.parametrize("shell", SHELLS, ids=" ".join)
def test_a_flood_is_cut_in_its_own_section_only(tmp_path: Path, shell: list[str]) -> None:
    one_line = b"A" * (DEFAULT_CAP + 70_000)  # one line longer than fold's width
    lines = b"line\n" * 60_000
    flood_err = b"E" * (STDERR_CAP * 5) + b"\n" + b"e\n" * 3000
    out, err = _both(
        [
            (DEFAULT_CAP, one_line, flood_err, 0),
            (100, b"small\0section\n", b"warning\n", 1),
            (DEFAULT_CAP, lines, b"", 0),
            (16384, b"uid=0\n", b"", 0),
        ],
        tmp_path,
        shell,
    )
    sections = split_sections(out.decode(errors="surrogateescape"), err.decode(), NONCE)
    assert sections["s0"].truncated
    assert sections["s0"].text == "A" * DEFAULT_CAP
    assert len(sections["s0"].stderr) == STDERR_CAP
    assert (sections["s1"].text, sections["s1"].rc, sections["s1"].stderr) == (
        "small\0section\n",
        1,
        "warning",
    )
    assert not sections["s1"].truncated
    assert sections["s2"].truncated
    assert sections["s2"].text.startswith("line\n")
    assert (sections["s3"].text, sections["s3"].truncated) == ("uid=0\n", False)


def test_output_between_sections_is_dropped(tmp_path: Path) -> None:
    """Nothing but markers passes from an END to the next BEGIN: a command's straggler that
    writes after its section ended reaches no section (if it writes then)."""
    body = "run a 100 echo a\necho straggler; echo oops >&2\nrun b 100 echo b\n"
    done = _run_sections(body)
    assert b"straggler" not in done.stdout
    sections = split_sections(done.stdout.decode(), done.stderr.decode(), NONCE)
    assert (sections["a"].text, sections["b"].text) == ("a\n", "b\n")


def _probe(awk: str, tmp_path: Path, *, fold: bool = True) -> str:
    """HA_SC as the prelude's probe sets it with `awk` (and fold, or without it)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "awk").symlink_to(awk)
    for tool in ("wc", *(("fold",) if fold else ())):
        (bindir / tool).symlink_to(shutil.which(tool) or tool)
    text = build_script(become=False, nonce=NONCE).script
    lines = [
        line for line in text.splitlines() if line.startswith(("has()", "_p=$(", 'if [ "$_p"'))
    ]
    assert len(lines) == 3, lines
    done = subprocess.run(
        [shutil.which("dash") or "/bin/sh", "-c", "\n".join([*lines, 'echo "[$HA_SC]"'])],
        capture_output=True,
        text=True,
        env={"PATH": str(bindir)},
        check=False,
    )
    return done.stdout.strip()


def test_an_awk_that_splits_a_line_at_nul_keeps_the_head_caps(tmp_path: Path) -> None:
    busybox = shutil.which("busybox")
    if not busybox:
        pytest.skip("no busybox")
    assert _probe(busybox, tmp_path) == "[]"


def test_mawk_takes_the_stream_caps(tmp_path: Path) -> None:
    awk = shutil.which("mawk")
    assert awk, "Debian's awk, mawk, is in lab/deps.txt"
    assert _probe(awk, tmp_path) == "[1]"


def test_without_fold_the_head_caps_stay(tmp_path: Path) -> None:
    """fold bounds the capper's line (awk's memory): no fold, no stream caps."""
    assert _probe(shutil.which("mawk") or "mawk", tmp_path, fold=False) == "[]"


def test_an_awk_that_prints_a_string_up_to_its_nul_keeps_the_head_caps(tmp_path: Path) -> None:
    """The probe checks printf "%s" too, not only length(): a stand-in awk that counts a NUL
    but prints a string up to it (as old awks' printf did) gets the head caps."""
    fake = tmp_path / "fake-awk"
    fake.write_text("#!/bin/sh\nprintf 'a3'\n")
    fake.chmod(0o755)
    (tmp_path / "p").mkdir()
    assert _probe(str(fake), tmp_path / "p") == "[]"


def test_the_nonce_is_not_in_the_cappers_arguments() -> None:
    """Other users read /proc/PID/cmdline: the nonce goes in awk's environment."""
    text = build_script(become=False, nonce=NONCE).script
    capper = text[text.index("capper() {") : text.index("\ncapped() {")]
    assert "ENVIRON[" in capper
    assert "$N" not in capper.replace("HA_CN=$N awk", "")


def _body(text: str, function: str) -> str:
    start = text.index(f"\n{function}() {{\n")
    return text[start : text.index("\n}\n", start)]


def test_commands_run_as_other_users_have_pipes_of_their_own() -> None:
    """With the stream caps every section shares the cappers' pipes: a program run as another
    user (who could ptrace it) must never hold them. Such programs start only in as_owner
    (setpriv, sudo -u), called only by keygrep, which runs only inside cap2, a command
    substitution whose pipes are its own."""
    text = build_script(become=True, nonce=NONCE).script
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    owner = _body(code, "as_owner")
    assert "setpriv" in owner
    assert "sudo -n -u" in owner
    without = code.replace(owner, "")
    assert "setpriv" not in without
    assert "sudo -n -u" not in without
    assert "-u " not in without.replace("-u)", "").replace("id -u", "")
    keygrep = _body(code, "keygrep")
    assert [line for line in code.splitlines() if "as_owner " in line] == [
        line for line in keygrep.splitlines() if "as_owner " in line
    ]
    calls = [line for line in code.splitlines() if "keygrep " in line]
    assert calls
    assert all("cap2 keygrep " in line for line in calls), calls


def test_a_straggler_is_dropped_between_sections_and_cannot_hold_the_end(tmp_path: Path) -> None:
    """A command left running by a section: what it prints after its section's END and
    before the next BEGIN is dropped (both streams), and once the cappers have seen EOF it
    gets SIGPIPE, so the script still ends (with the head caps it would hold it open)."""
    body = (
        "straggle() { ( sleep 0.3; echo LATE-OUT; echo LATE-ERR >&2; sleep 0.5; yes ) & echo a; }\n"
        "run a 100 straggle\nsleep 0.6\nrun b 100 echo b\n"
    )
    done = _run_sections(body)
    assert f"@@{NONCE} DONE".encode() in done.stdout
    sections = split_sections(done.stdout.decode(), done.stderr.decode(), NONCE)
    assert (sections["a"].text, sections["b"].text) == ("a\n", "b\n")
    assert b"LATE" not in done.stdout + done.stderr


def test_sections_a_user_can_lengthen_are_still_stopped_at_their_cap(tmp_path: Path) -> None:
    """env_files and ssh_files loop per name (a user can make thousands), user.* run an
    operator's command: head's exit stops them at the cap, where a capper would read on."""
    body = "".join(f"run {name} 100 yes\n" for name in ("env_files", "ssh_files", "user.site.x"))
    done = _run_sections(body)
    sections = split_sections(done.stdout.decode(), done.stderr.decode(), NONCE)
    for name in ("env_files", "ssh_files", "user.site.x"):
        assert sections[name].truncated
        assert sections[name].text == "y\n" * 50


def test_no_section_cap_is_over_folds_width() -> None:
    """fold breaks lines longer than DEFAULT_CAP + 1 (the capper's line bound): a break within a
    section's cap would be content. User checks' sections get DEFAULT_CAP (build_script)."""
    fact = UserFact("user.site.x", "true")
    text = build_script(become=True, nonce=NONCE, user_facts=[fact]).script
    caps = [int(line.split()[2]) for line in text.splitlines() if line.startswith("run ")]
    assert len(caps) > 20
    assert max(caps) <= DEFAULT_CAP
    assert f"fold -b -w {DEFAULT_CAP + 1} " in text
