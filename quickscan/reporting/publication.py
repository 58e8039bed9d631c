"""The publication PDF: the accessible HTML report as a tagged PDF/UA-1 document.

The designed reportlab PDF (:mod:`quickscan.reporting.pdf`) is for reading and printing; a
municipality that publishes the report (in its raadsinformatiesysteem, on its website) must
meet the Besluit digitale toegankelijkheid, and for a PDF that means PDF/UA. This module renders
the same report from the accessible HTML (``templates/report/_body.html``, the body of the web
report) with WeasyPrint's ``pdf/ua-1`` variant: a structure tree of headings, paragraphs,
lists, tables with header cells and figures with their alternative text, the document language
and a title shown in the window.

Pure: a :class:`~quickscan.reporting.content.ReportContent` and the templates folder in, bytes
out. Charts are embedded as PNG data addresses, so nothing is fetched over the network.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import jinja2

from quickscan import charts
from quickscan.reporting.content import ReportContent, format_number
from quickscan.reporting.pdf import document_title

#: The PDF variant WeasyPrint writes: tagged, with the PDF/UA identification in the metadata.
PDF_VARIANT = "pdf/ua-1"
TEMPLATE = "report/publication.html"


def chart_sources(content: ReportContent) -> dict[str, str]:
    """Every chart of the report as a ``data:image/png`` address, by its name in the body."""
    def data_url(spec: Any) -> str:
        png = charts.render(spec, "png")
        return "data:image/png;base64," + base64.b64encode(png).decode("ascii")

    sources: dict[str, str] = {}
    if content.municipality_radar is not None and content.overall:
        sources["gemeente"] = data_url(content.municipality_radar.spec)
    for section in content.departments:
        if not section.hidden and section.submitted:
            sources[f"afdeling-{section.id}"] = data_url(section.radar.spec)
    return sources


def _environment(templates: Path) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates)),
        autoescape=jinja2.select_autoescape(["html"], default=True),
        undefined=jinja2.StrictUndefined)
    return environment


def publication_html(content: ReportContent, templates: Path) -> str:
    """The standalone HTML document the publication PDF is made from."""
    environment = _environment(templates)

    def score(value: float | None) -> str:
        return format_number(value, content.lang, 1, content.t("labels.none"))

    environment.filters["score"] = score
    template = environment.get_template(TEMPLATE)
    return template.render(content=content, chart_src=chart_sources(content),
                           title=document_title(content),
                           language=str(content.texts.get("pdf_language", "nl-NL")),
                           subject=content.t("titles.subject", round=content.round_name),
                           author=str(content.texts.get("author", "")))


def build_publication_pdf(content: ReportContent, templates: Path) -> bytes:
    """The tagged PDF/UA-1 report, rendered from the accessible HTML by WeasyPrint."""
    # imported here: it loads pango and friends, which only this needs; it ships no type hints
    import weasyprint  # type: ignore[import-untyped]

    html = publication_html(content, templates)
    document = weasyprint.HTML(string=html, base_url=str(templates))
    data: bytes = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True,
                                     uncompressed_pdf=False)
    return data
