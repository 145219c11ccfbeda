"""Just enough XPath lexing to rewrite the two code-list idioms of the official rules into map look-ups.

* CEN: ``contains(' A B C ', concat(' ', X, ' '))``. For a literal list whose codes are separated by
  exactly one space (and that starts and ends with one) this is true exactly when X is one of the codes
  — provided X is non-empty and has no space; the rewrite keeps the original test for every other X.
* Peppol: ``some $code in $LIST satisfies V = $code`` with ``$LIST`` a global ``tokenize('…', '\\s')``
  and V an attribute or a ``normalize-space(…)`` (so string-like: the ``=`` compares strings). That is
  true exactly when some item of ``data(V)`` is a key of a map built from the same tokens.

Both keep the result the same for every input; anything that does not match these shapes exactly is
left alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_HEAD = re.compile(
    r"""(?<![\w.:-])contains\(\s*(?P<q>['"])(?P<codes> (?:[^'"\s]+ )+)(?P=q)\s*,\s*concat\(\s*(?P<s>['"]) (?P=s)\s*,"""
)
_TAIL = re.compile(r""",\s*(?P<q>['"]) (?P=q)\s*\)\s*\)""")
_MAP_CONTAINS = "Q{http://www.w3.org/2005/xpath-functions/map}contains"
_SOME = re.compile(
    r"(?<![\w$.:-])some\s+\$(?P<item>[\w.-]+)\s+in\s+\$(?P<list>[\w.-]+)\s+satisfies\s+"
    r"(?P<value>@[\w:.-]+|normalize-space\((?:[^()'\"]|\([^()'\"]*\))*\))\s*=\s*\$(?P=item)"
    r"(?=\s*(?:$|[)\],]))"  # the satisfies clause must end here, or the rewrite would change precedence
)


def code_list_checks(test: str, variable_for: Callable[[str], str], min_codes: int) -> str:
    """``test`` with each code-list check of at least ``min_codes`` codes turned into a map look-up.

    ``variable_for(codes)`` names the global variable that will hold the map of ``codes``.
    """
    parts: list[str] = []
    position = 0
    while (head := _HEAD.search(test, position)) is not None:
        rewritten = _rewrite(test, head, variable_for, min_codes)
        if rewritten is None:
            parts.append(test[position : head.end()])
            position = head.end()
            continue
        replacement, end = rewritten
        parts.append(test[position : head.start()] + replacement)
        position = end
    parts.append(test[position:])
    return "".join(parts)


def _rewrite(
    test: str, head: re.Match[str], variable_for: Callable[[str], str], min_codes: int
) -> tuple[str, int] | None:
    codes = head["codes"]
    if len(codes.split()) < min_codes:
        return None
    comma = _argument_end(test, head.end())
    tail = _TAIL.match(test, comma) if comma is not None else None
    if tail is None:
        return None
    value = test[head.end() : comma].strip()
    quote = head["q"]
    replacement = (
        f"(let $hub-code := concat('', {value}) return "
        f"if ($hub-code = '' or contains($hub-code, ' ')) "
        f"then contains({quote}{codes}{quote}, concat(' ', $hub-code, ' ')) "
        f"else {_MAP_CONTAINS}(${variable_for(codes)}, $hub-code))"
    )
    return replacement, tail.end()


def _argument_end(text: str, start: int) -> int | None:
    """Index of the comma that ends the function argument starting at ``start`` (None if unbalanced)."""
    depth = 0
    index = start
    while index < len(text):
        char = text[index]
        if char in "'\"":
            close = text.find(char, index + 1)
            if close < 0:
                return None
            index = close + 1
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                return None
            depth -= 1
        elif char == "," and depth == 0:
            return index
        index += 1
    return None


def list_membership_checks(test: str, maps: dict[str, str]) -> str:
    """``test`` with each ``some $c in $LIST satisfies V = $c`` (``LIST`` in ``maps``) as a map look-up.

    ``maps`` maps the name of a global tokenized code list to the name of the map built from it.
    """

    def rewrite(some: re.Match[str]) -> str:
        if some["list"] not in maps:
            return some[0]
        lookup = f"{_MAP_CONTAINS}(${maps[some['list']]}, $hub-value)"
        return f"(some $hub-value in data({some['value']}) satisfies {lookup})"

    return _SOME.sub(rewrite, test)


_FLAG_PREDICATE = re.compile(r"^\s*\$[\w.-]+(?:\s+(?:and|or)\s+\$[\w.-]+)*\s*$")


def pattern_alternatives(pattern: str) -> list[str]:
    """The alternatives of a union match pattern (``A | B`` → ``[A, B]``); ``[pattern]`` if it is none.

    ``(A | B)[$x and $y]`` becomes ``[A[$x and $y], B[$x and $y]]``: a predicate of variables joined by
    ``and``/``or`` is a boolean that does not depend on the position, so it filters each node alike.
    """
    alternatives = _split_top_level(pattern)
    if len(alternatives) > 1:
        return alternatives
    grouped = re.fullmatch(r"\s*\((?P<inner>.*)\)\s*\[(?P<predicate>[^\[\]]*)\]\s*", pattern, re.DOTALL)
    if grouped is None or not _FLAG_PREDICATE.match(grouped["predicate"]):
        return [pattern]
    inner = _split_top_level(grouped["inner"])
    if len(inner) < 2 or any(alternative.startswith("(") for alternative in inner):
        return [pattern]
    return [f"{alternative}[{grouped['predicate'].strip()}]" for alternative in inner]


def _split_top_level(text: str) -> list[str]:
    """``text`` split at each ``|`` outside brackets and string literals (stripped parts)."""
    parts: list[str] = []
    depth = 0
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char in "'\"":
            close = text.find(char, index + 1)
            index = len(text) if close < 0 else close + 1
            continue
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
        index += 1
    parts.append(text[start:].strip())
    return parts if all(parts) else [text]
