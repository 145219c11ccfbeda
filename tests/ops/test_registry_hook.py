"""HUB_EXTRA_TRANSLATORS: plugin translators join the registry; for one name the highest version wins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.errors import ConfigError
from hub.formats.registry import (
    TRANSLATORS,
    all_translators,
    by_name,
    check_unambiguous,
    install_extra_translators,
    known_names,
    merge_translators,
)
from hub.formats.sniff import sniff
from hub.settings import load_settings
from tests.conftest import EXAMPLES
from tests.ops.translators import BUGGY, FIXED, BuggyPeppolV1, FixedPeppolV2


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    yield
    install_extra_translators(None)


def test_without_plugins_the_active_set_is_the_literal_tuple() -> None:
    assert install_extra_translators(None) == TRANSLATORS == all_translators()
    assert install_extra_translators(" , ") == TRANSLATORS


def test_a_plugin_replaces_the_built_in_of_the_same_name_in_place() -> None:
    active = install_extra_translators(FIXED)
    assert len(active) == len(TRANSLATORS) and known_names() == [t.id.name for t in TRANSLATORS]
    assert isinstance(by_name("peppol-bis3-invoice"), FixedPeppolV2)
    head = (EXAMPLES / "invoices" / "elgrossisten-syd-F2026-1187.xml").read_bytes()[:4096]
    from hub.formats.registry import select

    assert select(sniff(head)).id.version == 2
    assert check_unambiguous() == []


def test_the_highest_version_wins_whatever_the_order() -> None:
    assert isinstance(by_name_after(f"{BUGGY},{FIXED}"), FixedPeppolV2)
    assert isinstance(by_name_after(f"{FIXED},{BUGGY}"), FixedPeppolV2)
    assert isinstance(by_name_after(BUGGY), BuggyPeppolV1)  # a tie with the built-in: the plugin wins
    merged = merge_translators([FixedPeppolV2()], [BuggyPeppolV1()])
    assert [t.id.version for t in merged] == [2]


def by_name_after(spec: str) -> object:
    install_extra_translators(spec)
    return by_name("peppol-bis3-invoice")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tests.ops.translators", "is not of the form module:Class"),
        ("tests.ops.nonexistent:X", "cannot import 'tests.ops.nonexistent'"),
        ("tests.ops.translators:Nope", "has no class 'Nope'"),
        ("tests.ops.translators:InvalidValueError", r"InvalidValueError\(\) failed"),
        ("tests.ops.translators:Decimal", "is not a translator"),
    ],
)
def test_bad_plugins_are_configuration_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        install_extra_translators(spec)
    assert all_translators() == TRANSLATORS


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_EXTRA_TRANSLATORS", FIXED)
    assert load_settings().extra_translators == FIXED
