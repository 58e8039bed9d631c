"""Coverage of the policy frameworks by a set of question banks (pure, no framework imports)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quickscan import frameworks
from quickscan.bank import Bank


@dataclass(frozen=True)
class Dimension:
    """One block of the coverage matrix: a framework and the keys that must be covered."""

    name: str
    title: str
    keys: tuple[str, ...]
    labels: dict[str, str]
    common_only: bool


@dataclass(frozen=True)
class CoverageReport:
    """How many questions of each bank cover each framework key, and what is missing."""

    banks: tuple[Bank, ...]
    dimensions: tuple[Dimension, ...]
    counts: dict[tuple[str, str, str], int]  # (dimension, key, bank id) -> questions
    missing: tuple[tuple[str, str], ...]  # (dimension, key) with no (required) coverage

    @property
    def complete(self) -> bool:
        """True when every required key is covered."""
        return not self.missing


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("crpd", "VN-Verdrag Handicap (artikel)", tuple(frameworks.CRPD_ARTICLES),
              dict(frameworks.CRPD_ARTICLES), False),
    Dimension("levensdomein", "VNG-levensdomein", tuple(frameworks.LEVENSDOMEINEN),
              dict(frameworks.LEVENSDOMEINEN), False),
    Dimension("movisie", "Movisie-stap (in de gemeenschappelijke bank)",
              tuple(str(k) for k in frameworks.MOVISIE_STEPS),
              {str(k): v for k, v in frameworks.MOVISIE_STEPS.items()}, True),
    Dimension("routekaart", "VNG-routekaartstap (in de gemeenschappelijke bank)",
              tuple(str(k) for k in frameworks.ROUTEKAART_STEPS),
              {str(k): v for k, v in frameworks.ROUTEKAART_STEPS.items()}, True),
    Dimension("principles", "LIA-principe", tuple(frameworks.PRINCIPLES),
              dict(frameworks.PRINCIPLES), False),
    Dimension("groups", "Groep (inclusie in brede zin)", tuple(frameworks.GROUPS),
              dict(frameworks.GROUPS), False),
)


def _keys(bank: Bank, dimension: str) -> list[list[str]]:
    out = []
    for question in bank.questions:
        tags = question.tags
        if dimension == "crpd":
            out.append(list(tags.crpd))
        elif dimension == "levensdomein":
            out.append(list(tags.levensdomein))
        elif dimension == "movisie":
            out.append([str(tags.movisie)])
        elif dimension == "routekaart":
            out.append([str(step) for step in tags.routekaart])
        elif dimension == "groups":
            out.append(list(tags.groups))
        else:
            out.append(list(tags.principles))
    return out


def coverage(banks: Sequence[Bank]) -> CoverageReport:
    """Count per bank how many questions carry each framework key; list what is uncovered.

    Movisie and routekaart steps must be covered by the banks every round answers: the common
    bank (asked of every department) or a municipal bank (answered once for the municipality);
    CRPD articles, levensdomeinen, principles and groups by any bank.
    """
    counts: dict[tuple[str, str, str], int] = {}
    for bank in banks:
        for dimension in DIMENSIONS:
            for keys in _keys(bank, dimension.name):
                for key in keys:
                    index = (dimension.name, key, bank.id)
                    counts[index] = counts.get(index, 0) + 1
    missing = []
    for dimension in DIMENSIONS:
        eligible = [b.id for b in banks if b.common or b.municipal] if dimension.common_only else [
            b.id for b in banks]
        for key in dimension.keys:
            if not any(counts.get((dimension.name, key, bank_id)) for bank_id in eligible):
                missing.append((dimension.name, key))
    return CoverageReport(tuple(banks), DIMENSIONS, counts, tuple(missing))


def render_matrix(report: CoverageReport, markdown: bool = False) -> str:
    """Render the matrix (framework keys × banks) as plain text or a Markdown table."""
    ids = [bank.id for bank in report.banks]
    lines: list[str] = []
    for dimension in report.dimensions:
        header = [dimension.title] + ids
        rows = []
        for key in dimension.keys:
            label = f"{key} {dimension.labels[key]}"
            cells = [str(report.counts.get((dimension.name, key, b), "") or "·") for b in ids]
            flag = "  ONTBREEKT" if (dimension.name, key) in report.missing else ""
            rows.append([label] + cells + ([flag.strip()] if markdown and flag else []))
            if not markdown:
                rows[-1][-1] += flag
        if markdown:
            lines.append("| " + " | ".join(header) + " |")
            lines.append("|" + "---|" * len(header))
            lines.extend("| " + " | ".join(row) + " |" for row in rows)
        else:
            width = max(len(r[0]) for r in rows + [header])
            lines.append(dimension.title)
            lines.append(header[0].ljust(width) + " " + " ".join(f"{b[:6]:>6}" for b in ids))
            lines.extend(row[0][:width].ljust(width) + " " + " ".join(
                f"{cell:>6}" for cell in row[1:]) for row in rows)
        lines.append("")
    return "\n".join(lines)
