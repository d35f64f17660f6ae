"""parse_units: unit files and drop-ins as systemd applies them."""

from __future__ import annotations

from hardaudit.facts.model import ServiceUnit
from hardaudit.facts.parsers.services import parse_units

from .test_services_script import NONCE, capture


def dump(files: dict[str, str]) -> str:
    return "".join(f"@@{NONCE} FILE {path}\n{body}" for path, body in files.items())


def test_fixture_units_with_drop_ins() -> None:
    units = {u.name: u for u in parse_units(capture("units", "units"), NONCE)}
    assert sorted(units) == ["api", "app", "backup", "metrics", "nginx", "ssh", "tool", "worker"]
    # 10-debug.conf resets User=, 20-user.conf (`User = wisphub`, spaces allowed) sets it again
    assert units["app"] == ServiceUnit(
        "app", "/etc/systemd/system/app.service", "wisphub", "wisphub"
    )
    # the drop-in's empty User= and Group= reset them: the service runs as root
    assert units["api"] == ServiceUnit("api", "/etc/systemd/system/api.service", "", "")
    # User=backup in [Unit] is not a service setting
    assert units["backup"].user == "root"
    assert units["metrics"].dynamic_user
    assert units["tool"] == ServiceUnit("tool", "/usr/local/lib/systemd/system/tool.service", "0")
    assert units["worker"].user == ""
    assert units["worker"].group == "worker"
    assert units["nginx"].path == "/lib/systemd/system/nginx.service"


def test_drop_ins_apply_in_file_name_order_across_directories() -> None:
    text = dump(
        {
            "/lib/systemd/system/redis-server.service": "[Service]\nUser=redis\n",
            "/lib/systemd/system/redis-server.service.d/50-vendor.conf": "[Service]\nUser=vendor\n",
            "/etc/systemd/system/redis-server.service.d/10-admin.conf": "[Service]\nUser=root\n",
        }
    )
    (unit,) = parse_units(text, NONCE)
    assert unit.user == "vendor"  # 50-vendor.conf sorts after 10-admin.conf


def test_drop_in_in_etc_masks_the_same_name_in_a_vendor_directory() -> None:
    text = dump(
        {
            "/lib/systemd/system/app.service": "[Service]\nUser=app\n",
            "/etc/systemd/system/app.service.d/override.conf": "[Service]\nUser=app2\n",
            "/lib/systemd/system/app.service.d/override.conf": "[Service]\nUser=root\n",
        }
    )
    assert parse_units(text, NONCE)[0].user == "app2"


def test_unit_in_etc_wins_over_the_same_unit_elsewhere_and_repeats_count_once() -> None:
    text = dump(
        {
            "/usr/local/lib/systemd/system/app.service": "[Service]\nUser=root\n",
            "/etc/systemd/system/app.service": "[Service]\nUser=app\n",
        }
    ) + dump({"/etc/systemd/system/app.service": "[Service]\nUser=app\n"})
    assert parse_units(text, NONCE) == (
        ServiceUnit("app", "/etc/systemd/system/app.service", "app"),
    )


def test_template_unit_keeps_its_at_sign_and_dynamic_user_values() -> None:
    text = dump(
        {
            "/etc/systemd/system/job@.service": "[Service]\nDynamicUser=true\n",
            "/etc/systemd/system/x.service": "[Service]\nDynamicUser=yes\nDynamicUser=no\n",
        }
    )
    units = parse_units(text, NONCE)
    assert [(u.name, u.dynamic_user) for u in units] == [("job@", True), ("x", False)]


def test_drop_in_without_its_unit_is_ignored_and_empty_output_is_no_units() -> None:
    assert parse_units(dump({"/etc/systemd/system/a.service.d/x.conf": "[Service]\n"}), NONCE) == ()
    assert parse_units("", NONCE) == ()
