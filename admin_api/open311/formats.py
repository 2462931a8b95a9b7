"""Open311's two formats: XML (required by the spec) and JSON (the Spark convention).

Spark: JSON drops the XML root element, and a container of repeated children
(`services/service`, `attributes/attribute`, …) becomes a JSON array.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from flask import Response

FORMATS = ("json", "xml")
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
# The element name of one item in each container (XML), by the container's name.
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
# Characters XML 1.0 cannot carry at all.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render(data: Any, root: str, fmt: str, status: int = 200) -> Response:
    """`data` (a list for containers, a dict for documents) as a response in `fmt`."""
    body = json.dumps(data, ensure_ascii=False) if fmt == "json" else to_xml(data, root)
    return Response(body, status=status, content_type=CONTENT_TYPES[fmt])


def to_xml(data: Any, root: str) -> str:
    element = ET.Element(root)
    _fill(element, root, data)
    ET.indent(element, space="  ")
    text = ET.tostring(element, encoding="unicode", short_empty_elements=False)
    return f'<?xml version="1.0" encoding="utf-8"?>\n{text}\n'


def _fill(element: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, list):
        item_tag = ITEM_TAGS[name]
        for item in value:
            _fill(ET.SubElement(element, item_tag), item_tag, item)
    elif isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), key, child)
    else:
        element.text = _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))
