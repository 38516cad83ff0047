"""The OASIS CAP 1.2 XML schema, vendored in models/data/schemas: every exported alert is
checked against it (the one module that uses lxml)."""

from __future__ import annotations

import functools
from importlib import resources

from lxml import etree

SCHEMA_FILE = "CAP-v1.2.xsd"
#: Largest document checked (a CAP alert of ours is a few kilobytes; inbound limit 1 MiB).
MAX_BYTES = 1024 * 1024


@functools.cache
def _schema() -> etree.XMLSchema:
    data = resources.files("models").joinpath("data", "schemas", SCHEMA_FILE).read_bytes()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.XMLSchema(etree.fromstring(data, parser))


def _parser() -> etree.XMLParser:
    # no DTDs, no entities, nothing fetched: the document is only checked, never trusted
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def cap_schema_problems(xml: str | bytes) -> list[str]:
    """Why ``xml`` is not a valid CAP 1.2 document by the OASIS schema (empty when it is).

    Parameters
    ----------
    xml
        The document; text is encoded as UTF-8 first (its declaration then must say UTF-8).

    Returns
    -------
    list of str
        One line per schema violation ("line 12: Element ... is not a valid value ..."),
        or the reason the text is not XML at all.
    """
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    if len(data) > MAX_BYTES:
        return [f"larger than {MAX_BYTES} bytes"]
    try:
        doc = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"[:300]]
    if doc.getroottree().docinfo.doctype:
        return ["a DOCTYPE is not allowed in CAP"]
    schema = _schema()
    if schema.validate(doc):
        return []
    return [f"line {e.line}: {e.message}"[:300] for e in schema.error_log]  # type: ignore[attr-defined]


def is_valid_cap(xml: str | bytes) -> bool:
    """Whether ``xml`` validates against the OASIS CAP 1.2 schema."""
    return not cap_schema_problems(xml)
