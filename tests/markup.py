"""Structural checks on rendered pages: the shared table and form patterns, id references.

Parses HTML with the standard library, so a check reads the page as a browser builds it rather
than as text: every table stands in one labelled, focusable scroll region; numeric cells carry
the one numeric-column modifier; every POST form carries one CSRF field; every id that an
attribute refers to exists exactly once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}
#: Attributes whose value names other elements by id.
REFERENCES = ("aria-describedby", "aria-labelledby", "aria-controls", "for", "data-counter",
              "data-copy-target")
NUMERIC = "--numeric-column"
OLD_NUMERIC = ("utrecht-table__cell--numeric-data", "utrecht-table__cell--numeric ",
               "utrecht-table__header-cell--numeric ")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    children: list[Element] = field(default_factory=list)

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def descendants(self, tag: str) -> list[Element]:
        found = []
        for child in self.children:
            if child.tag == tag:
                found.append(child)
            found.extend(child.descendants(tag))
        return found


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {}, None)
        self.current = self.root
        self.all: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(element)
        self.all.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent


def parse(html: str) -> _Tree:
    tree = _Tree()
    tree.feed(html)
    return tree


def problems(html: str) -> list[str]:
    """What breaks the shared patterns on one page (empty when all is well)."""
    tree = parse(html)
    out: list[str] = []
    ids = Counter(e.attrs["id"] for e in tree.all if "id" in e.attrs)
    out += [f"id {i!r} used {n} times" for i, n in ids.items() if n > 1]
    for element in tree.all:
        for name in REFERENCES:
            for ref in element.attrs.get(name, "").split():
                if ref not in ids:
                    out.append(f"<{element.tag} {name}={ref!r}> points nowhere")
    for table in (e for e in tree.all if e.tag == "table"):
        region = table.parent
        captions = table.descendants("caption")
        if not captions or "id" not in captions[0].attrs:
            out.append("a table without a caption with an id")
            continue
        caption = captions[0]
        if region is None or not ({"qs-table-container"} <= region.classes()
                                  and region.attrs.get("role") == "region"
                                  and region.attrs.get("tabindex") == "0"
                                  and region.attrs.get("aria-labelledby") == caption.attrs["id"]):
            out.append(f"table {caption.attrs['id']!r} is not in a labelled, focusable scroll "
                       "region")
        for cell in table.descendants("td") + table.descendants("th"):
            cls = cell.attrs.get("class", "") + " "
            if any(old in cls for old in OLD_NUMERIC):
                out.append(f"a cell with another numeric modifier: {cls.strip()!r}")
    for form in (e for e in tree.all if e.tag == "form"):
        if form.attrs.get("method", "get").lower() != "post":
            continue
        tokens = [i for i in form.descendants("input") if i.attrs.get("name") == "csrf_token"]
        if len(tokens) != 1:
            out.append(f"form {form.attrs.get('action')!r} has {len(tokens)} CSRF fields")
    return out


def tables(html: str) -> list[Element]:
    return [e for e in parse(html).all if e.tag == "table"]
