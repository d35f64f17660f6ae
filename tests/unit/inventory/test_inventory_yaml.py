"""The line-tracking YAML/JSON loader."""

from __future__ import annotations

import pytest

from hardaudit.errors import InventoryError
from hardaudit.inventory._yaml import MarkedDict, VaultedValue, parse_json, parse_yaml


def test_yaml_records_key_positions() -> None:
    data = parse_yaml("all:\n  hosts:\n    web1:\n      ansible_port: 22\n", "f.yml")
    assert isinstance(data, MarkedDict)
    web1 = data["all"]["hosts"]["web1"]
    assert web1.mark_of("ansible_port") == (4, 7)
    assert data.mark_of("all") == (1, 1)
    assert web1.mark_of("missing") == (4, 7)  # falls back to the mapping itself


def test_yaml_anchors_and_merge_keys() -> None:
    data = parse_yaml("base: &b {x: 1}\nmine:\n  <<: *b\n  y: 2\n", "f.yml")
    assert data["mine"] == {"x": 1, "y": 2}


def test_yaml_vault_and_unsafe_tags() -> None:
    data = parse_yaml("a: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  3031\nb: !unsafe '{{x}}'\n", "f")
    assert data["a"] == VaultedValue(1, 4)
    assert data["b"] == "{{x}}"


def test_yaml_error_position() -> None:
    with pytest.raises(InventoryError) as caught:
        parse_yaml("a: 1\nb: [1, 2\n", "f.yml")
    assert (caught.value.file, caught.value.line, caught.value.column) == ("f.yml", 3, 1)


def test_json_values_are_exact_and_marked() -> None:
    data = parse_json('{\n  "a": {\n    "n": 1e3,\n    "s": "x\\/y"\n  }\n}\n', "f.json")
    assert data == {"a": {"n": 1000.0, "s": "x/y"}}
    assert data["a"].mark_of("s") == (4, 5)


def test_json_that_yaml_rejects_still_loads_without_positions() -> None:
    key = "k" * 1100  # YAML limits implicit keys to 1024 characters; JSON does not
    data = parse_json(f'{{"{key}": {{"a": 1}}}}', "f.json")
    assert data == {key: {"a": 1}}
    assert data.mark_of(key) == (None, None)
    assert data[key].mark_of("a") == (None, None)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("all:\n  vars:\n    patch_window: 2024-02-30\n", 3, "day is out of range"),
        ("all:\n  vars:\n    when: 2024-01-01 25:00:00\n", 3, "hour must be in"),
        ("all:\n  vars:\n    n: " + "9" * 5000 + "\n", 3, "integer with more than"),
    ],
)
def test_yaml_value_that_python_cannot_build_is_an_inventory_error_at_its_line(
    text: str, line: int, words: str
) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_yaml(text, "hosts.yml")
    assert f"hosts.yml:{line}:" in str(caught.value)
    assert words in str(caught.value)


def test_json_integer_past_int_max_str_digits_is_an_inventory_error_at_its_line() -> None:
    text = '{"all":\n {"vars":\n  {"n": ' + "9" * 5000 + "}}}"
    with pytest.raises(InventoryError, match=r"hosts\.json:3: .*integer with more than"):
        parse_json(text, "hosts.json")


def test_json_nested_100000_deep_is_an_inventory_error_not_a_recursion_error() -> None:
    text = '{"all":\n' + "[" * 100_000 + "]" * 100_000 + "}"
    with pytest.raises(InventoryError, match=r"hosts\.json:2: data nested more than"):
        parse_json(text, "hosts.json")


def test_yaml_nested_too_deep_for_python_is_an_inventory_error() -> None:
    # deep enough for Python's recursion, shallow enough for libyaml's own limit
    text = "a: " + "[" * 900 + "]" * 900 + "\n"
    with pytest.raises(InventoryError, match=r"hosts\.yml"):
        parse_yaml(text, "hosts.yml")
