"""SVRL → :class:`ValidationIssue`: owns how a Schematron report becomes the hub's findings.

Saxon reads the SVRL tree it produced (no serialising and re-parsing): :data:`READER_XSLT` flattens
every ``svrl:failed-assert`` and ``svrl:successful-report`` into one line of tab-separated fields
(``normalize-space`` guarantees no tab or newline inside a field), and :func:`issues` turns the lines
into findings: rule = ``@id``, severity = ``fatal`` when ``@flag`` is fatal/error or absent, else
``warning``; message = the normalised ``svrl:text``; location = ``@location`` (an XPath).
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.canonical.invoice import ValidationIssue

READER_XSLT = """<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:svrl="http://purl.oclc.org/dsdl/svrl">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:template match="/">
    <xsl:value-of separator="&#10;" select="
      (//svrl:failed-assert | //svrl:successful-report) ! string-join((
        normalize-space(@id), normalize-space(@flag), normalize-space(@location),
        normalize-space(string-join(svrl:text, ' '))), '&#9;')"/>
  </xsl:template>
</xsl:stylesheet>
"""

FATAL_FLAGS = frozenset({"", "fatal", "error"})
UNNAMED_RULE = "SCHEMATRON"  # a failed assertion without an @id (none in the official rules)


def issues(reports: Iterable[str]) -> list[ValidationIssue]:
    """The findings in the flattened reports, identical ones once, in report order."""
    found = (_issue(line) for report in reports for line in report.split("\n") if line.strip())
    return list(dict.fromkeys(found))


def _issue(line: str) -> ValidationIssue:
    rule, flag, location, message = [*line.split("\t"), "", "", ""][:4]
    severity = "fatal" if flag.lower() in FATAL_FLAGS else "warning"
    return ValidationIssue(rule or UNNAMED_RULE, severity, message, location or None)
