"""Hosted inbox without a network: host key persistence, configuration checks, path confinement."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import structlog
from pydantic import ValidationError

from hub.connectors.inbox.config import InboxAccount, InboxServer
from hub.connectors.inbox.files import EscapeError, valid_name, virtual_parts
from hub.connectors.inbox.hostkey import load_or_create_host_key, public_line
from hub.connectors.inbox.server import build_accounts
from hub.connectors.inbox.upload import move_no_clobber
from hub.errors import ConfigError
from hub.partners import Partners, PartnersFile
from tests.inbox.hosted import generate_key


def test_host_key_is_generated_once_loudly_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "host"
    with structlog.testing.capture_logs() as logs:
        first = load_or_create_host_key(path)
    [event] = [e for e in logs if e["event"] == "inbox.host_key_generated"]
    assert event["log_level"] == "warning" and event["public_key"] == public_line(first)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    with structlog.testing.capture_logs() as logs:
        again = load_or_create_host_key(path)
    assert public_line(again) == public_line(first) and logs == []
    assert path.read_bytes() == content


def test_an_unreadable_host_key_stops_the_hub_and_is_never_replaced(tmp_path: Path) -> None:
    garbage = tmp_path / "host"
    garbage.write_text("not a key\n")
    with pytest.raises(ConfigError, match=r"cannot read the SFTP inbox host key .* never replaces"):
        load_or_create_host_key(garbage)
    assert garbage.read_text() == "not a key\n"
    directory = tmp_path / "dir"
    directory.mkdir()
    with pytest.raises(ConfigError):
        load_or_create_host_key(directory)
    dangling = tmp_path / "link"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(ConfigError):
        load_or_create_host_key(dangling)
    assert not (tmp_path / "nowhere").exists()


def test_server_config_refuses_wildcards_and_bad_keys(tmp_path: Path) -> None:
    assert InboxServer().host == "127.0.0.1"
    for wildcard in ("0.0.0.0", "::"):
        with pytest.raises(ValidationError, match="wildcard"):
            InboxServer(host=wildcard)
    good = generate_key(tmp_path / "k")
    assert InboxAccount(authorized_keys=[good]).authorized_keys == [good]
    for bad in ("ssh-ed25519", "ssh-dss AAAAB3NzaC1kc3M=", 'from="10.0.0.1" ' + good, "ssh-ed25519 !!notbase64"):
        with pytest.raises(ValidationError):
            InboxAccount(authorized_keys=[bad])
    rsa_blob_as_ed25519 = "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7"
    with pytest.raises(ValidationError, match="does not hold a ssh-ed25519 key"):
        InboxAccount(authorized_keys=[rsa_blob_as_ed25519])


def test_two_wholesalers_cannot_share_a_login(tmp_path: Path) -> None:
    key = generate_key(tmp_path / "k")
    data = PartnersFile.model_validate(
        {
            "wholesalers": [
                {"id": "a", "name": "A", "inbox": {"username": "same", "authorized_keys": [key]}},
                {"id": "b", "name": "B", "inbox": {"username": "same", "authorized_keys": [key]}},
            ]
        }
    )
    with pytest.raises(ConfigError, match="'same' is used by 'a' and 'b'"):
        build_accounts(Partners(data), tmp_path)


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("/", ()),
        (".", ()),
        ("", ()),
        ("done/../done/x.xml", ("done", "x.xml")),
        ("/etc/passwd", ("etc", "passwd")),  # absolute paths mean the partner's own root
        ("//a//./b/", ("a", "b")),
    ],
)
def test_paths_resolve_inside_the_partner_root(path: str, parts: tuple[str, ...]) -> None:
    assert virtual_parts(path) == parts


@pytest.mark.parametrize("path", ["..", "/..", "../x", "done/../../x", "/a/../../etc/passwd"])
def test_climbing_above_the_root_is_refused(path: str) -> None:
    with pytest.raises(EscapeError):
        virtual_parts(path)


def test_upload_names() -> None:
    assert valid_name("prislista 2026.csv")
    assert not any(valid_name(n) for n in ("", ".hidden", "done", "error", "a\\b", "a\nb", "x" * 256))


def test_moving_never_overwrites(tmp_path: Path) -> None:
    folder = tmp_path / "done"
    for content in (b"one", b"two"):
        source = tmp_path / "tmp"
        source.write_bytes(content)
        move_no_clobber(source, folder, "a.xml")
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2 and (folder / "a.xml").read_bytes() == b"one"
    assert names[0].startswith("a.") and names[0].endswith("-1.xml")
