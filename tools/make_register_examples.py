"""Writes the example registers under examples/, each beside its profile: a register rated in
words (inherent and residual, no score), a letter x number register printing codes such as
C1, and a 16-column 5 x 5 register with quarterly RAG columns on A3 landscape.

Run from the repository root: python tools/make_register_examples.py
The risks are invented, in the shape councils' registers take.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from boardpack.paper.profile import load_profile
from boardpack.workbook.writer import write_workbook

RATED_DETAILS = {
    "Register": "Strategic Risk Register",
    "Committee": "Audit and Standards Committee",
    "Meeting date": dt.date(2011, 11, 24),
    "Report date": dt.date(2011, 11, 10),
}
RATED_SECTIONS = [
    (
        "Purpose of the report",
        "Paragraph",
        "To set out the strategic risks the Council faces and how each is being controlled.",
    ),
]
RATED_RISKS = [
    ["SR1", "Demand for adult social care grows faster than funding",
     "The Council cannot meet its statutory duties within its budget",
     "Services reduced; intervention by the Secretary of State", "High", "High",
     "Medium-term financial strategy; demand management programme", "Medium", "High",
     "Stable", "Director of Resources", dt.date(2011, 11, 17)],
    ["SR2", "Key safeguarding responsibilities are not understood by partners",
     "A child or vulnerable adult comes to harm", "Serious case review; loss of confidence",
     "Medium", "High", "Multi-agency safeguarding board; training", "Low", "High", "Improving",
     "Director of Children's Services", dt.date(2012, 1, 9)],
    ["SR3", "The waste contract's procurement is challenged",
     "Contract award delayed beyond March 2012", "Landfill tax rises; savings not made",
     "Medium", "Medium", "Legal advice at each stage", "Low", "Medium", "Worsening",
     "Head of Environmental Services", dt.date(2011, 12, 14)],
]  # fmt: skip

CODED_DETAILS = {
    "Project": "Library refurbishment",
    "Board": "Capital Programme Board",
    "Meeting date": dt.date(2024, 10, 10),
    "Report date": dt.date(2024, 9, 30),
}
CODED_SECTIONS = [
    ("Summary", "Paragraph", "The roof works are on programme; the contractor's finances are"
     " being watched."),
]  # fmt: skip
CODED_RISKS = [
    ["R1", "Contractor insolvency", "C", "1", None, "Parent company guarantee sought",
     "Project Manager"],
    ["R2", "Asbestos found in the roof void", "D", "2", None, "Survey before strip-out",
     "Clerk of Works"],
    ["R3", "Grant funding withdrawn", "E", "3", None, "", "Finance Lead"],
]  # fmt: skip

WIDE_DETAILS = {
    "Register": "Corporate Risk Register 2024/25",
    "Committee": "Audit and Governance Committee",
    "Meeting date": dt.date(2025, 3, 20),
    "Report date": dt.date(2025, 3, 1),
}
WIDE_SECTIONS = [
    (
        "Purpose of the report",
        "Paragraph",
        "To report the corporate risks at the end of the fourth quarter.",
    ),
]
WIDE_RISKS = [
    ["CR01", "Financial sustainability", "Funding falls short of demand; reserves exhausted",
     "Chief Finance Officer", 5, 5, None, "Medium-term financial strategy", 3, 5, None,
     "Amber", "Amber", "Red", "Amber", "Savings programme; lobbying for fair funding"],
    ["CR02", "Cyber security", "Ransomware attack disrupts services",
     "Head of Digital", 4, 5, None, "Backups; penetration testing", 2, 5, None,
     "Green", "Amber", "Amber", "Green", "Accreditation to Cyber Essentials Plus"],
    ["CR03", "Workforce capacity", "Recruitment and retention of social workers",
     "Director of People", 4, 4, None, "Market supplements", 3, 3, None,
     "Red", "Amber", "Amber", "Amber", ""],
]  # fmt: skip


def main(examples: Path) -> None:
    papers: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
        (
            "rated-in-words",
            "strategic-risks.xlsx",
            RATED_DETAILS,
            {"Sections": RATED_SECTIONS, "Risks": RATED_RISKS},
        ),
        (
            "letter-number",
            "library-risks.xlsx",
            CODED_DETAILS,
            {"Sections": CODED_SECTIONS, "Risks": CODED_RISKS},
        ),
        (
            "five-by-five-a3",
            "corporate-risks.xlsx",
            WIDE_DETAILS,
            {"Sections": WIDE_SECTIONS, "Risks": WIDE_RISKS},
        ),
    ]
    for name, workbook, details, tables in papers:
        folder = examples / name
        profile = f"{name}.toml"
        target = folder / workbook
        shape = load_profile(str(folder / profile))
        write_workbook(target, details, tables, shape, profile_name=profile)
        print(f"wrote {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("examples"))
