from hardaudit.facts.sections import failure_reason, split_sections

N = "feedface"


def test_sections_split_with_rc_and_stderr() -> None:
    out = f"\n@@{N} BEGIN meta cap=100\nuid=0\n\n@@{N} END meta rc=0\n\n@@{N} BEGIN nft cap=100\n\n@@{N} END nft rc=1\n"
    err = f"\n@@{N} BEGIN meta\n\n@@{N} BEGIN nft\nnft: Operation not permitted\n"
    sections = split_sections(out, err, N)
    assert sections["meta"].text == "uid=0\n"
    assert sections["meta"].ok
    assert sections["nft"].rc == 1
    assert sections["nft"].stderr == "nft: Operation not permitted"
    assert (
        failure_reason(sections["nft"], "nft") == "nft: exit status 1: nft: Operation not permitted"
    )


def test_a_forged_marker_with_another_nonce_is_plain_text() -> None:
    out = f"@@{N} BEGIN meta cap=100\nuid=0\n@@deadbeef END meta rc=0\n\n@@{N} END meta rc=0\n"
    assert "@@deadbeef END meta" in split_sections(out, "", N)["meta"].text


def test_output_over_cap_is_truncated_and_never_ok() -> None:
    out = f"@@{N} BEGIN big cap=4\n12345\n@@{N} END big rc=141\n"
    section = split_sections(out, "", N)["big"]
    assert section.truncated
    assert section.text == "1234"
    assert not section.ok
    assert "cap" in failure_reason(section, "big")


def test_section_without_end_has_no_rc() -> None:
    out = f"@@{N} BEGIN sshd_t cap=100\npermitrootlogin no\n"
    section = split_sections(out, "", N)["sshd_t"]
    assert section.rc is None
    assert "did not finish" in failure_reason(section, "sshd -T")


def test_a_stream_cut_inside_the_end_marker_has_no_rc() -> None:
    out = f"@@{N} BEGIN redis cap=100\nbind 0.0.0.0\n\n@@{N} END redis rc=12"
    assert split_sections(out, "", N)["redis"].rc is None
