"""The official EN 16931 / Peppol rules (hub.validation) on the corpus and on deliberately broken copies.

The artefacts are third-party and live outside the project (``../shared/corpus/peppol-validation``);
without them these tests skip (in CI they are always present).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from hub.canonical.invoice import ValidationIssue
from hub.errors import ConfigError
from hub.validation import OfficialValidator, load_validator, svrl
from hub.validation import artefacts as artefacts_module
from hub.validation.artefacts import CEN_XSLT, PEPPOL_SCH
from hub.validation.xpathtext import code_list_checks, list_membership_checks, pattern_alternatives

PROJECT = Path(__file__).resolve().parents[2]
ARTEFACTS = PROJECT.parent / "shared" / "corpus" / "peppol-validation"
CORPUS = ARTEFACTS.parent
SWEDISH_EXAMPLE = PROJECT / "examples" / "invoices" / "elgrossisten-syd-F2026-1187.xml"
VALID_DOCUMENTS = [
    *sorted(CORPUS.glob("peppol-bis-billing3/examples__*.xml")),
    *sorted(CORPUS.glob("en16931-cen/*.xml")),
    SWEDISH_EXAMPLE,
]
SELLER_ORG_NUMBER = '<cbc:CompanyID schemeID="0007">5563012342</cbc:CompanyID>'
BANKGIRO = "<cbc:ID>57651234</cbc:ID>"
LINE_2_AMOUNT = '<cbc:LineExtensionAmount currencyID="SEK">362.50</cbc:LineExtensionAmount>'
LINE_2_QUANTITY = '<cbc:InvoicedQuantity unitCode="EA">25</cbc:InvoicedQuantity>'
BUYER_ENDPOINT = '<cbc:EndpointID schemeID="0007">5566045679</cbc:EndpointID>'


@pytest.fixture(scope="session")
def validator(tmp_path_factory: pytest.TempPathFactory) -> OfficialValidator:
    _require_artefacts()
    return OfficialValidator.load(ARTEFACTS, tmp_path_factory.mktemp("validation-cache"))


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> OfficialValidator:
    """The stylesheets exactly as published (no rewrites), to check the rewrites against."""
    _require_artefacts()
    return OfficialValidator.load(ARTEFACTS, tmp_path_factory.mktemp("published-cache"), optimise=False)


def _require_artefacts() -> None:
    if not (ARTEFACTS / CEN_XSLT).is_file() or not (ARTEFACTS / PEPPOL_SCH).is_file():
        pytest.skip(f"official validation artefacts not found in {ARTEFACTS}")


def _is_peppol(data: bytes) -> bool:
    customization = re.search(rb"<cbc:CustomizationID>([^<]*)<", data)
    return customization is not None and b"peppol" in customization.group(1).lower()


def _fatal(issues: Sequence[ValidationIssue]) -> set[str]:
    return {issue.rule for issue in issues if issue.severity == "fatal"}


def _warnings(issues: Sequence[ValidationIssue]) -> set[str]:
    return {issue.rule for issue in issues if issue.severity == "warning"}


def _swedish(*edits: tuple[str, str]) -> bytes:
    """The Swedish example with each ``old`` (which must occur exactly once) replaced by ``new``."""
    text = SWEDISH_EXAMPLE.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text.encode("utf-8")


# --- valid documents ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", VALID_DOCUMENTS, ids=lambda path: path.name)
def test_valid_documents_have_no_fatal_findings(validator: OfficialValidator, path: Path) -> None:
    data = path.read_bytes()
    issues = validator.validate(data, peppol=_is_peppol(data))
    assert _fatal(issues) == set(), [issue for issue in issues if issue.severity == "fatal"]
    assert all(issue.severity in ("fatal", "warning") for issue in issues)


def test_plain_en16931_documents_are_checked_without_the_peppol_rules(validator: OfficialValidator) -> None:
    broken = _swedish((SELLER_ORG_NUMBER, SELLER_ORG_NUMBER.replace("5563012342", "5563012343")))
    assert _fatal(validator.validate(broken, peppol=False)) == set()  # SE-R-013 is a Peppol rule


# --- broken copies of the Swedish example ---------------------------------------------------------

BROKEN = {
    "org-number-check-digit": (
        [(SELLER_ORG_NUMBER, SELLER_ORG_NUMBER.replace("5563012342", "5563012343"))],
        {"SE-R-013", "PEPPOL-COMMON-R049"},  # the Luhn check of SE, and Peppol's own 0007 format rule
    ),
    "no-buyer-or-order-reference": (
        [
            ("<cbc:BuyerReference>Projekt 19271 Kalle</cbc:BuyerReference>", ""),
            ("<cac:OrderReference>\n    <cbc:ID>19271</cbc:ID>\n  </cac:OrderReference>", ""),
        ],
        {"PEPPOL-EN16931-R003"},
    ),
    "payable-amount-off": (
        [
            (
                '<cbc:PayableAmount currencyID="SEK">2737.00</cbc:PayableAmount>',
                '<cbc:PayableAmount currencyID="SEK">2738.00</cbc:PayableAmount>',
            )
        ],
        {"BR-CO-16"},
    ),
    "line-amount-not-quantity-times-price": (
        [
            (
                '<cbc:PriceAmount currencyID="SEK">14.50</cbc:PriceAmount>',
                '<cbc:PriceAmount currencyID="SEK">14.60</cbc:PriceAmount>',
            )
        ],
        {"PEPPOL-EN16931-R120"},
    ),
    "unknown-vat-category": (
        [
            (
                "<cbc:ID>S</cbc:ID>\n        <cbc:Percent>25</cbc:Percent>\n        <cac:TaxScheme>\n"
                "          <cbc:ID>VAT</cbc:ID>\n        </cac:TaxScheme>\n      </cac:TaxCategory>",
                "<cbc:ID>Q</cbc:ID>\n        <cbc:Percent>25</cbc:Percent>\n        <cac:TaxScheme>\n"
                "          <cbc:ID>VAT</cbc:ID>\n        </cac:TaxScheme>\n      </cac:TaxCategory>",
            )
        ],
        # BR-CL-17: not a UNCL5305 code; BR-S-01: the lines are S, so an S breakdown must exist
        {"BR-CL-17", "BR-S-01"},
    ),
    "unknown-currency": (
        [(LINE_2_AMOUNT, LINE_2_AMOUNT.replace('"SEK"', '"XXQ"'))],
        # ISO 4217 in the CEN rules (BR-CL-03) and in Peppol's (CL007); Peppol's R051: not the invoice currency
        {"BR-CL-03", "PEPPOL-EN16931-CL007", "PEPPOL-EN16931-R051"},
    ),
    "unknown-unit": ([(LINE_2_QUANTITY, LINE_2_QUANTITY.replace('"EA"', '"QQQ"'))], {"BR-CL-23"}),
    "unknown-endpoint-scheme": (
        [(BUYER_ENDPOINT, BUYER_ENDPOINT.replace('"0007"', '"9999"'))],
        {"BR-CL-25", "PEPPOL-EN16931-CL008"},  # the EAS code list, in the CEN rules and in Peppol's
    ),
}
# Edge cases of the code-list rewrites (hub.validation.optimise), for the as-published comparison.
CODE_LIST_EDGES = [
    [(LINE_2_AMOUNT, LINE_2_AMOUNT.replace('"SEK"', '""'))],
    [(LINE_2_AMOUNT, LINE_2_AMOUNT.replace('"SEK"', '"SEK SGD"'))],
    [(LINE_2_AMOUNT, LINE_2_AMOUNT.replace('"SEK"', '" SEK"'))],
    [(LINE_2_QUANTITY, LINE_2_QUANTITY.replace('"EA"', '"EA EB"'))],
    [(LINE_2_QUANTITY, LINE_2_QUANTITY.replace('"EA"', '" EA "'))],
    [(LINE_2_QUANTITY, LINE_2_QUANTITY.replace('"EA"', '""'))],
    [(BUYER_ENDPOINT, BUYER_ENDPOINT.replace('"0007"', '" 0007"'))],
]


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_copies_fail_with_exactly_the_expected_rules(validator: OfficialValidator, case: str) -> None:
    edits, expected = BROKEN[case]
    assert _fatal(validator.validate(_swedish(*edits), peppol=True)) == expected


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        ("5765123A", {"SE-R-008"}),
        ("576512", {"SE-R-009"}),
        ("57-6512A", {"SE-R-008"}),
        ("5765-A12X", {"SE-R-008", "SE-R-009"}),
    ],
)
def test_malformed_bankgiro_is_a_warning(validator: OfficialValidator, account: str, expected: set[str]) -> None:
    """SE-R-008 (numeric) and SE-R-009 (7-8 characters) are flag="warning" in the Peppol rules."""
    issues = validator.validate(_swedish((BANKGIRO, f"<cbc:ID>{account}</cbc:ID>")), peppol=True)
    assert _fatal(issues) == set()
    assert _warnings(issues) == expected
    assert {issue.severity for issue in issues if issue.rule in expected} == {"warning"}


def test_a_finding_names_rule_message_and_location(validator: OfficialValidator) -> None:
    broken = _swedish((SELLER_ORG_NUMBER, SELLER_ORG_NUMBER.replace("5563012342", "5563012343")))
    [issue] = [i for i in validator.validate(broken, peppol=True) if i.rule == "SE-R-013"]
    assert issue == ValidationIssue(
        "SE-R-013",
        "fatal",
        "The last digit of a Swedish organization number must be valid according to the Luhn algorithm.",
        "/Invoice/cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity",
    )


# --- input handling -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"<Invoice><unclosed></Invoice>", b"", b"\xff\xfe\x00garbage", b'<?xml version="1.0" encoding="no-such"?><a/>'],
)
def test_unparseable_documents_give_one_parse_finding(validator: OfficialValidator, data: bytes) -> None:
    [issue] = validator.validate(data, peppol=True)
    assert (issue.rule, issue.severity) == ("XML-PARSE", "fatal")


def test_rules_that_cannot_be_evaluated_give_a_fatal_finding(validator: OfficialValidator) -> None:
    """The official rules cast amounts with xs:decimal: a non-numeric quantity stops the Peppol rules."""
    issues = validator.validate(_swedish((LINE_2_QUANTITY, LINE_2_QUANTITY.replace(">25<", ">x25<"))), peppol=True)
    [stopped] = [issue for issue in issues if issue.rule == "RULES-NOT-EVALUATED"]
    assert stopped.severity == "fatal" and "Peppol" in stopped.message and "x25" in stopped.message


def test_a_doctype_is_refused_before_saxon_sees_it(validator: OfficialValidator) -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>'
    [issue] = validator.validate(data, peppol=True)
    assert (issue.rule, issue.severity) == ("XML-PARSE", "fatal")
    assert "DOCTYPE" in issue.message


def test_the_declared_encoding_is_honoured(validator: OfficialValidator) -> None:
    text = SWEDISH_EXAMPLE.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    assert validator.validate(text.encode("iso-8859-1"), peppol=True) == []


# --- the rewrites change nothing ------------------------------------------------------------------


def test_rewritten_rules_find_exactly_what_the_published_ones_find(
    validator: OfficialValidator, published: OfficialValidator
) -> None:
    documents = [path.read_bytes() for path in VALID_DOCUMENTS]
    documents += [_swedish(*edits) for edits, _ in BROKEN.values()]
    documents += [_swedish(*edits) for edits in CODE_LIST_EDGES]
    german = SWEDISH_EXAMPLE.read_bytes().replace(b">SE</cbc:IdentificationCode>", b">DE</cbc:IdentificationCode>")
    documents += [german, german.replace(b'name="Bankgiro">30<', b">58<")]  # DE-R-* (grouped patterns)
    documents += [_swedish((BANKGIRO, "<cbc:ID>5765-A12X</cbc:ID>"))]
    for data in documents:
        for peppol in (True, False):
            assert set(validator.validate(data, peppol=peppol)) == set(published.validate(data, peppol=peppol))


def test_union_patterns_split_into_alternatives() -> None:
    assert pattern_alternatives("cbc:A | cac:B/cbc:A[@x = 'a|b']") == ["cbc:A", "cac:B/cbc:A[@x = 'a|b']"]
    assert pattern_alternatives("(/i:I/cac:X | /c:C/cac:X)[$de and $other]") == [
        "/i:I/cac:X[$de and $other]",
        "/c:C/cac:X[$de and $other]",
    ]
    assert pattern_alternatives("(/i:I | /c:C)[1]") == ["(/i:I | /c:C)[1]"]  # positional: left alone
    assert pattern_alternatives("cac:InvoiceLine") == ["cac:InvoiceLine"]


def test_code_list_rewrites_keep_the_original_test_where_it_differs() -> None:
    codes = " " + " ".join(f"C{number}" for number in range(20)) + " "
    test = f"(not(contains(normalize-space(@u), ' ')) and contains('{codes}', concat(' ', normalize-space(@u), ' ')))"
    rewritten = code_list_checks(test, lambda _: "m", 16)
    assert "Q{http://www.w3.org/2005/xpath-functions/map}contains($m, $hub-code)" in rewritten
    assert f"then contains('{codes}', concat(' ', $hub-code, ' '))" in rewritten  # empty or spaced values
    assert code_list_checks(test, lambda _: "m", 21) == test  # short lists stay as they are
    some = "some $code in $ISO4217 satisfies @currencyID = $code"
    assert "map}contains($set, $hub-value)" in list_membership_checks(some, {"ISO4217": "set"})
    assert list_membership_checks(f"{some} and true()", {"ISO4217": "set"}) == f"{some} and true()"


# --- loading, caching, threads --------------------------------------------------------------------


def test_a_second_load_reuses_the_compiled_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _require_artefacts()
    OfficialValidator.load(ARTEFACTS, tmp_path)
    cached = {path: path.stat().st_mtime_ns for path in tmp_path.iterdir()}
    assert len(cached) == 2 and all(path.suffix == ".xsl" for path in cached)

    def no_compiling(*_: object) -> bytes:
        raise AssertionError("recompiled although the cache was there")

    monkeypatch.setattr(artefacts_module, "compile_schematron", no_compiling)
    monkeypatch.setattr(artefacts_module, "optimise", no_compiling)
    again = OfficialValidator.load(ARTEFACTS, tmp_path)
    assert {path: path.stat().st_mtime_ns for path in tmp_path.iterdir()} == cached
    assert again.validate(SWEDISH_EXAMPLE.read_bytes(), peppol=True) == []


def test_concurrent_validation_gives_the_sequential_results(validator: OfficialValidator) -> None:
    documents = [SWEDISH_EXAMPLE.read_bytes(), *(_swedish(*edits) for edits, _ in BROKEN.values())]
    sequential = [validator.validate(data, peppol=True) for data in documents]
    results: dict[int, list[Sequence[ValidationIssue]]] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            results[worker] = [validator.validate(data, peppol=True) for _ in range(5) for data in documents]
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(found == sequential * 5 for found in results.values()) and len(results) == 4


def test_a_missing_artefacts_directory_says_where_to_get_the_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        OfficialValidator.load(tmp_path / "nowhere", tmp_path / "cache")
    message = raised.value.message
    assert str(tmp_path / "nowhere") in message
    assert "eInvoicing-EN16931" in message and "peppol-bis-invoice-3" in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    _require_artefacts()
    artefacts = tmp_path / "artefacts"
    artefacts.mkdir()
    (artefacts / CEN_XSLT).symlink_to(ARTEFACTS / CEN_XSLT)  # a link, not a copy of the third-party file
    with pytest.raises(ConfigError, match=PEPPOL_SCH) as raised:
        OfficialValidator.load(artefacts, tmp_path / "cache")
    assert "peppol-bis-invoice-3" in raised.value.message


def test_no_artefacts_directory_means_no_validator(tmp_path: Path) -> None:
    assert load_validator(None, tmp_path) is None


# --- SVRL reading -----------------------------------------------------------------------------------


def test_svrl_flags_map_to_two_severities_and_duplicates_go() -> None:
    report = "\n".join(
        [
            "BR-01\tfatal\t/a\tm1",
            "BR-01\tfatal\t/a\tm1",
            "BR-02\terror\t/b\tm2",
            "BR-03\t\t\tm3",
            "BR-04\twarning\t/d\tm4",
            "BR-05\tinformation\t/e\tm5",
        ]
    )
    found = svrl.issues([report, "BR-01\tfatal\t/a\tm1\n"])
    assert [(i.rule, i.severity) for i in found] == [
        ("BR-01", "fatal"),
        ("BR-02", "fatal"),
        ("BR-03", "fatal"),
        ("BR-04", "warning"),
        ("BR-05", "warning"),
    ]
    assert found[2].location is None
