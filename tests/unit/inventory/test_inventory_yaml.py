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
