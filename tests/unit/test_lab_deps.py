"""The set-up installs every program the project executes on this machine.

The programs are read from the code, not listed by hand: the first word of every argv that
lab/*.py and tests/ hand to subprocess (or to labctl's `run`), every `shutil.which("x")`,
and the commands of the Makefile's recipes and of lab/ensure-deps.sh. Each must have a line
in lab/deps.txt, which ensure-deps.sh installs from. An argv whose program the scan cannot
read (a variable, an f-string) must be declared in DYNAMIC below, with the programs it can
name, so that a new one fails here until someone says what it runs.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.unit.lab_module import REPO, load_labctl

DEPS = REPO / "lab" / "deps.txt"
ENSURE_DEPS = REPO / "lab" / "ensure-deps.sh"
# Here an argv the scan cannot read is an error; elsewhere in tests/ only literal ones count.
STRICT = ("lab/", "tests/lab/", "tests/unit/transport/sshlab.py")
RUNNERS = {"run", "Popen", "check_output", "check_call", "call"}
SHELL_WORDS = {
    # keywords and builtins of bash/make recipes: nothing to install
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "in", "function", "{", "}", "[", "[[", "]]", "]", "!", "echo", "printf", "test", "exit",
    "return", "set", "export", "local", "declare", "trap", "shift", "read", "command", "cd",
    "true", "false", "break", "continue", "unset", "eval", "exec", "source", ".", ":",
    "on_path", "usage", "wait",
}  # fmt: skip


def labctl_dynamic() -> dict[tuple[str, str], set[str]]:
    """argv[0] expressions the scan cannot read -> the programs they stand for."""
    labctl = load_labctl()
    families = labctl.IPTABLES_FAMILIES.values()
    return {
        # run() and bench's audit_run pass their caller's argv along: the callers are scanned
        ("lab/labctl.py", "args"): set(),
        ("lab/labctl.py", "tools.save"): {f.save for f in families},
        ("lab/labctl.py", "tools.restore"): {f.restore for f in families},
        ("lab/labctl.py", "tools.tool"): {f.tool for f in families},
        ("lab/labctl.py", "command"): set(labctl.INNER_ENGINE_BINARIES.values()),
        # sys.executable: the venv's python, made by the Makefile
        ("*", "sys.executable"): set(),
    }


@dataclass(frozen=True)
class Exec:
    """A place that runs a program: where, and which programs (None: unreadable argv)."""

    where: str
    expression: str
    programs: frozenset[str] | None


def read_table() -> dict[str, str]:
    table = {}
    for line in DEPS.read_text().splitlines():
        words = line.split()
        if words and not words[0].startswith("#"):
            table[words[0]] = words[1]
    return table


class ArgvScanner:
    """Finds the programs a set of Python files executes (see the module docstring)."""

    def __init__(self, files: list[Path]) -> None:
        self.trees = {path: ast.parse(path.read_text()) for path in files}
        self.functions: dict[str, list[ast.FunctionDef]] = {}
        self.module_values: dict[Path, dict[str, list[ast.expr]]] = {}
        for path, tree in self.trees.items():
            values: dict[str, list[ast.expr]] = {}
            for node in tree.body:
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            values.setdefault(target.id, []).append(node.value)
            self.module_values[path] = values
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef):
                    self.functions.setdefault(node.name, []).append(node)
        # wrappers such as labctl's run(argv) and run_with_progress(argv, ...): their callers'
        # first argument is an argv too
        self.runners = set(RUNNERS) | {
            name for name, defs in self.functions.items()
            if any(arg.arg == "argv" for fn in defs for arg in fn.args.args)
            and any(isinstance(node, ast.Call) and self.argv_of(node) is not None
                    for fn in defs for node in ast.walk(fn))
        }  # fmt: skip

    def execs(self) -> Iterator[Exec]:
        for path, tree in self.trees.items():
            for function, call in self.calls(tree):
                argv = self.argv_of(call)
                if argv is None:
                    continue
                programs = self.programs(argv, function, path, depth=0)
                where = f"{path.relative_to(REPO)}:{call.lineno}"
                yield Exec(where, ast.unparse(self.head(argv)), programs)

    @staticmethod
    def head(argv: ast.expr) -> ast.expr:
        """argv[0] as written: `tools.save` in `[tools.save, ...]`."""
        while isinstance(argv, ast.List | ast.Tuple) and argv.elts:
            argv = argv.elts[0]
            if isinstance(argv, ast.Starred):
                argv = argv.value
        return argv

    def calls(self, tree: ast.Module) -> Iterator[tuple[ast.FunctionDef | None, ast.Call]]:
        def visit(
            node: ast.AST, function: ast.FunctionDef | None
        ) -> Iterator[tuple[ast.FunctionDef | None, ast.Call]]:
            for child in ast.iter_child_nodes(node):
                inner = child if isinstance(child, ast.FunctionDef) else function
                if isinstance(child, ast.Call) and (uses_subprocess or not bare_run(child)):
                    yield inner, child
                yield from visit(child, inner)

        # a bare run(...) is labctl's subprocess wrapper only where subprocess is imported
        uses_subprocess = any(
            isinstance(node, ast.Import) and any(a.name == "subprocess" for a in node.names)
            for node in tree.body
        )
        yield from visit(tree, None)

    def argv_of(self, call: ast.Call) -> ast.expr | None:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        owner = getattr(getattr(func, "value", None), "id", "")
        runners = getattr(self, "runners", RUNNERS)
        runner = name in runners and (owner == "subprocess" or isinstance(func, ast.Name))
        which = name == "which" and owner == "shutil"
        if (runner or which) and call.args:
            return call.args[0]
        return None

    def programs(
        self, expr: ast.expr, function: ast.FunctionDef | None, path: Path, depth: int
    ) -> frozenset[str] | None:
        """Programs an argv (or a program name) expression can start; None if unreadable."""
        if depth > 6:
            return None
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return frozenset({Path(expr.value).name})
        if isinstance(expr, ast.List | ast.Tuple):
            if not expr.elts:
                return None
            first = expr.elts[0]
            if isinstance(first, ast.Starred):
                return self.programs(first.value, function, path, depth + 1)
            return self.programs(first, function, path, depth + 1)
        if isinstance(expr, ast.Subscript):  # argv[:1]
            return self.programs(expr.value, function, path, depth + 1)
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.programs(expr.left, function, path, depth + 1)
        if isinstance(expr, ast.Call):
            func = expr.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in {"str", "Path"} and expr.args:  # str(SSHD), Path("/usr/sbin/sshd")
                return self.programs(expr.args[0], function, path, depth + 1)
            found: set[str] = set()
            defs = self.functions.get(name, [])
            returns = [
                (node.value, fn) for fn in defs for node in ast.walk(fn)
                if isinstance(node, ast.Return) and node.value is not None
            ]  # fmt: skip
            for value, fn in returns:
                got = self.programs(value, fn, path, depth + 1)
                if got is None:
                    return None
                found |= got
            return frozenset(found) if returns else None
        if isinstance(expr, ast.Name):
            values = []
            if function is not None:
                for node in ast.walk(function):
                    if isinstance(node, ast.Assign | ast.AnnAssign):
                        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                        named = any(isinstance(t, ast.Name) and t.id == expr.id for t in targets)
                        if named and node.value is not None:
                            values.append(node.value)
            if not values:
                values = self.module_values[path].get(expr.id, [])
            found = set()
            for value in values:
                got = self.programs(value, function, path, depth + 1)
                if got is None:
                    return None
                found |= got
            return frozenset(found) if values else None
        return None


def bare_run(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id in RUNNERS


def python_files() -> list[Path]:
    files = sorted((REPO / "lab").glob("*.py"))
    files += sorted(p for p in (REPO / "tests").rglob("*.py") if p.name != Path(__file__).name)
    return files


def python_execs() -> list[Exec]:
    return list(ArgvScanner(python_files()).execs())


def resolve_dynamic(found: Exec, dynamic: dict[tuple[str, str], set[str]]) -> set[str] | None:
    path = found.where.rsplit(":", 1)[0]
    for (where, expression), programs in dynamic.items():
        if expression == found.expression and where in {"*", path, Path(path).name}:
            return programs
    # argv built from a parameter (a wrapper such as labctl.run): its callers are scanned
    if found.expression in {"args", "argv", "command", "cmd"}:
        return set()
    return None


def shell_commands(text: str) -> set[str]:
    """First words of the simple commands in shell text (recipes, ensure-deps.sh)."""
    commands = set()
    text = re.sub(r"(?m)(^|\s)#.*$", "", text)  # comments
    text = re.sub(r"\$\{[^}]*\}", "x", text)  # ${parameter expansions}
    text = re.sub(r"'[^']*'|\"(?:[^\"\\]|\\.)*\"", '""', text)  # no commands in quoted text
    text = re.sub(r"\$\(\((.*?)\)\)", " ", text)  # arithmetic
    text = re.sub(r"\d*[<>]+&?\d*", " ", text)  # redirections: 2>&1 is no command "1"
    for piece in re.split(r"\$\(|\|\||&&|[;|&()`]|\n|\bthen\b|\bdo\b|\belse\b", text):
        try:
            words = shlex.split(piece, comments=True)
        except ValueError:
            words = piece.split()
        while words and (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=.*", words[0])
                         or words[0] in {"!", "if", "while", "until", "elif", "local", "then"}):  # fmt: skip
            words = words[1:]
        if not words or words[0] in SHELL_WORDS or words[0].startswith(("-", "$", "<", ">", "2>")):
            continue
        if "/" in words[0] and not words[0].startswith("/"):
            continue  # a project file such as .venv/bin/python or lab/labctl.py
        if re.fullmatch(r"[A-Za-z0-9_.+-]+|/[A-Za-z0-9_./+-]+", words[0]):
            commands.add(Path(words[0]).name)
    return commands


def makefile_commands() -> set[str]:
    make = (REPO / "Makefile").read_text()
    variables = dict(re.findall(r"(?m)^([A-Z]+) [?:]?= *(.*)$", make))
    recipes = []
    for line in make.replace("\\\n", " ").splitlines():
        if line.startswith("\t"):
            recipe = line.strip().lstrip("@-")
            recipe = re.sub(r"\$\(if [^,]*,[^,]*,([^)]*)\)", r"\1", recipe)  # $(if a,b,c): c
            for _ in range(3):  # $(PY) -> .venv/bin/python (a project file), $(PYTHON) -> python3
                recipe = re.sub(r"\$\(([A-Z]+)\)", lambda m: variables.get(m.group(1), ""), recipe)
            recipes.append(recipe.replace("$$", "$"))
    return shell_commands("\n".join(recipes))


def ensure_deps_commands() -> set[str]:
    return shell_commands(ENSURE_DEPS.read_text())


def ci_commands() -> set[str]:
    return shell_commands((REPO / ".ci" / "run").read_text())


def test_every_program_the_python_code_runs_is_installed_by_the_setup() -> None:
    table = read_table()
    dynamic = labctl_dynamic()
    missing, unreadable = [], []
    for found in python_execs():
        programs = found.programs
        if programs is None:
            resolved = resolve_dynamic(found, dynamic)
            if resolved is None:
                if found.where.startswith(STRICT):
                    unreadable.append(f"{found.where}: {found.expression}")
                continue
            programs = frozenset(resolved)
        missing += [f"{found.where}: {p}" for p in sorted(programs) if p not in table]
    assert not unreadable, "argv[0] the scan cannot read; declare it in labctl_dynamic: " + repr(
        unreadable
    )
    assert not missing, "programs executed but absent from lab/deps.txt: " + repr(missing)


def test_scan_sees_the_programs_the_lab_is_known_to_run() -> None:
    """A scanner that finds nothing would pass the test above: pin a few it must see."""
    seen: set[str] = set()
    for found in python_execs():
        seen |= found.programs or set()
    assert {"debootstrap", "dockerd", "docker", "tar", "ssh-keygen", "ip", "nft",
            "iptables", "ldd", "umount", "ssh", "sshd", "bash"} <= seen  # fmt: skip
    assert {"python3", "bash"} <= makefile_commands()
    assert {"apt-get", "chmod"} <= ensure_deps_commands()
    assert {"bash", "make", "grep", "tee"} <= ci_commands()


def test_scan_catches_a_new_program(tmp_path: Path) -> None:
    module = tmp_path / "newcode.py"
    module.write_text(
        "import subprocess\n"
        "def run(argv): ...\n"
        "def f():\n"
        "    run(['newtool', '-x'])\n"
        "    probe = ['othertool', 'y']\n"
        "    subprocess.run(probe)\n"
        "    subprocess.Popen(['/usr/sbin/thirdtool'])\n"
    )
    scanner = ArgvScanner([module])
    scanner.trees = {REPO / "newcode.py": scanner.trees[module]}
    scanner.module_values = {REPO / "newcode.py": scanner.module_values[module]}
    found = set()
    for item in scanner.execs():
        found |= item.programs or set()
    assert {"newtool", "othertool", "thirdtool"} <= found
    assert not {"newtool", "othertool", "thirdtool"} & set(read_table())


def test_every_program_the_makefile_ensure_deps_and_ci_run_is_installed() -> None:
    table = read_table()
    used = makefile_commands() | ensure_deps_commands() | ci_commands()
    assert sorted(used - set(table)) == []


def test_dynamic_declarations_name_listed_programs() -> None:
    table = read_table()
    for programs in labctl_dynamic().values():
        assert programs <= set(table)


def test_the_lint_tools_of_the_facts_script_are_installed() -> None:
    table = read_table()
    assert table["shellcheck"] == "shellcheck"
    assert table["busybox"] == "busybox"
    assert table["dash"] == "dash"


def run_ensure_deps(
    tool_path: Path, *args: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HARDAUDIT_TOOL_PATH": str(tool_path)}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        ["/bin/bash", str(ENSURE_DEPS), "--dry-run", *args],
        capture_output=True, text=True, env=env, check=False, timeout=30,
    )  # fmt: skip


def would_install(result: subprocess.CompletedProcess[str]) -> set[str]:
    for line in result.stdout.splitlines():
        if line.startswith("[deps] would install: "):
            return set(line.split(": ", 1)[1].split())
    return set()


def test_dry_run_on_a_machine_without_the_tools_names_every_package(tmp_path: Path) -> None:
    """A fresh machine simulated: nothing on PATH at all, not even coreutils."""
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run_ensure_deps(empty, "--python", str(tmp_path / "no-python"), path=str(empty))
    assert result.returncode == 0, result.stderr
    assert would_install(result) == {*read_table().values(), "python3-venv"}


@pytest.mark.parametrize("program", ["nft", "dockerd", "debootstrap", "sshd", "iptables"])
def test_dry_run_names_the_package_of_one_missing_program(tmp_path: Path, program: str) -> None:
    table = read_table()
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in table:
        if name != program:
            (tools / name).symlink_to("/bin/true")
    result = run_ensure_deps(tools)
    assert result.returncode == 0, result.stderr
    assert would_install(result) == {table[program]}


def test_dry_run_with_everything_present_installs_nothing(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in read_table():
        (tools / name).symlink_to("/bin/true")
    result = run_ensure_deps(tools, "--python", "/bin/true")
    assert result.returncode == 0, result.stderr
    assert would_install(result) == set()
    assert "nothing missing" in result.stdout


def test_a_python_that_cannot_make_a_venv_gets_python3_venv(tmp_path: Path) -> None:
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in read_table():
        (tools / name).symlink_to("/bin/true")
    result = run_ensure_deps(tools, "--python", "/bin/false")
    assert would_install(result) == {"python3-venv"}
