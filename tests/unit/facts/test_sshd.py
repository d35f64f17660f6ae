from hardaudit.facts.parsers.sshd import parse_sshd_config, parse_sshd_t, split_files

NONCE = "abc123"


def dump(files: dict[str, str]) -> str:
    return "".join(f"@@{NONCE} FILE {path}\n{body}" for path, body in files.items())


def test_sshd_t_keywords_compared_lower_case_and_repeated_values_kept() -> None:
    cfg = parse_sshd_t("PermitRootLogin no\nhostkey /etc/ssh/a\nHostKey /etc/ssh/b\n")
    assert cfg.get("permitrootlogin") == "no"
    assert cfg.values["hostkey"] == ("/etc/ssh/a", "/etc/ssh/b")
    assert cfg.effective


def test_first_value_wins_across_includes() -> None:
    text = dump(
        {
            "/etc/ssh/sshd_config": (
                "Include /etc/ssh/sshd_config.d/*.conf\n"
                "PermitRootLogin yes\nPasswordAuthentication no\n"
            ),
            "/etc/ssh/sshd_config.d/50-cloud-init.conf": "PasswordAuthentication yes\n",
        }
    )
    cfg = parse_sshd_config(text, NONCE)
    assert cfg.get("passwordauthentication") == "yes"
    assert cfg.origins["passwordauthentication"] == "/etc/ssh/sshd_config.d/50-cloud-init.conf:1"
    assert cfg.get("permitrootlogin") == "yes"
    assert cfg.origins["permitrootlogin"] == "/etc/ssh/sshd_config:2"
    assert not cfg.effective


def test_include_order_is_sorted_and_relative_paths_are_under_etc_ssh() -> None:
    text = dump(
        {
            "/etc/ssh/sshd_config": "Include sshd_config.d/*.conf\n",
            "/etc/ssh/sshd_config.d/20-b.conf": "X11Forwarding yes\n",
            "/etc/ssh/sshd_config.d/10-a.conf": "x11forwarding no\n",
        }
    )
    assert parse_sshd_config(text, NONCE).get("x11forwarding") == "no"


def test_match_blocks_do_not_change_global_settings() -> None:
    text = dump(
        {
            "/etc/ssh/sshd_config": (
                "PasswordAuthentication no\nMatch Address 10.0.0.0/8\n  PermitRootLogin yes\n"
                "Match all\nMaxAuthTries 3\n"
            ),
        }
    )
    cfg = parse_sshd_config(text, NONCE)
    assert cfg.get("permitrootlogin") == "prohibit-password"
    assert cfg.origins["permitrootlogin"] == "default"
    assert cfg.get("maxauthtries") == "3"


def test_keyword_equals_syntax_comments_and_alias() -> None:
    text = dump(
        {"/etc/ssh/sshd_config": "# PermitRootLogin yes\nChallengeResponseAuthentication=no\n"}
    )
    cfg = parse_sshd_config(text, NONCE)
    assert cfg.get("kbdinteractiveauthentication") == "no"
    assert cfg.get("permitrootlogin") == "prohibit-password"


def test_split_files_ignores_text_before_first_marker() -> None:
    assert split_files(f"junk\n@@{NONCE} FILE /a\nx 1\n", NONCE) == {"/a": ["x 1"]}
