"""Writes inputs/procurement.xlsx: the seed's Procurement highlight report as a workbook.

Run from the repository root: python tools/make_example.py
The plan dates are illustrative, chosen to agree with the seed's text.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from boardpack.workbook import write_workbook

DETAILS = {
    "Project name": "Procurement",
    "Project sponsor": "Chris Furness",
    "Project manager": "Jim Burness",
    "Board": "Joint Improvement Board",
    "Meeting date": dt.date(2008, 1, 24),
    "Report date": dt.date(2008, 1, 14),
    "Overall status": "Green",
}

SECTIONS = [
    (
        "1. Recommendation",
        "Paragraph",
        "To Note progress on the project to date and the revised financial requirement",
    ),
    (
        "2. Project vision/objectives",
        "Numbered",
        "The procurement vision that is being pursued under enhanced two tier working is to obtain"
        " best value through planned and appropriate procurement in respect of goods, works and"
        " services required by the public sector authorities in Buckinghamshire for the delivery of"
        " services.",
    ),
    (
        "2. Project vision/objectives",
        "Numbered",
        "The procurement vision leads to the following objectives:",
    ),
    (
        "2. Project vision/objectives",
        "Bullet",
        "The procurement process must be clear and transparent and capable of demonstrating value"
        " for money.",
    ),
    (
        "2. Project vision/objectives",
        "Bullet",
        "Procurement options are chosen on the degree to which they help the authorities fulfil"
        " their aims and the specific objectives of the services involved in the procurement"
        " process.",
    ),
    (
        "2. Project vision/objectives",
        "Bullet",
        "Procurement will take into account the issues of sustainability, and the capacity of the"
        " different organisations to manage procurement arrangements.",
    ),
    (
        "2. Project vision/objectives",
        "Numbered",
        "Creating a more joined up approach to procurement issues for Buckinghamshire will also"
        " enable the area to engage more effectively at regional and national levels on"
        " procurement.",
    ),
    (
        "3. Summary Progress and key highlight report",
        "Bullet",
        "Project Board convened, agreed terms of reference and workplan to April 2008",
    ),
    (
        "3. Summary Progress and key highlight report",
        "Bullet",
        "Updating of combined Bucks contracts register in progress",
    ),
    (
        "3. Summary Progress and key highlight report",
        "Bullet",
        "Spend analysis work being commissioned in collaboration with SECE and some Oxon"
        " authorities",
    ),
    (
        "3. Summary Progress and key highlight report",
        "Bullet",
        "Bucks authorities collaborating on sustainable procurement initiative sponsored by SECE.",
    ),
    ("5. Deliverables/quick wins", "Paragraph", "None"),
    (
        "6. Financial update",
        "Paragraph",
        "The authorities have agreed to resource internally the data collection and updating work."
        " Part of this will involve spend analysis work with an external company which will be"
        " partly funded by SECE. The project will at this stage need to retain a contingency to buy"
        " in if required some specialist external advice, but initial allocation can be reduced"
        " from £50k to £30k.",
    ),
    (
        "7. Member involvement",
        "Numbered",
        "Progress reports will be made to the JIB, and Member involvement will be addressed as part"
        " of the project's communications plan",
    ),
    (
        "8. Related projects / Work streams",
        "Numbered",
        "Procurement in Bucks can benefit from contracts with other authorities in the region, and"
        " the developing links with Oxon authorities is a step in this direction. The SECE also"
        " is a source of advice and access to joint working with other authorities. The SECE is"
        " currently sponsoring work on sustainable procurement that the Bucks authorities are"
        " jointly participating in.",
    ),
    (
        "8. Related projects / Work streams",
        "Numbered",
        "Alongside of the work of the Procurement Project there is a major joint procurement"
        " exercise in progress being led by BCC for the provision of services under the broad"
        ' banner of "built environment" which will bring significant savings for BCC and may offer'
        " benefits to district councils.",
    ),
    (
        "8. Related projects / Work streams",
        "Numbered",
        "The other Pathfinder work steams may give rise to procurement issues and therefore their"
        " views will be sought on what support they may require or find useful..",
    ),
    (
        "9. Communications plan",
        "Paragraph",
        "Communications issues out side of overall Pathfinder activities will be addressed at later"
        " stage in the project.",
    ),
    ("10. Key Risks and issues", "Paragraph", "Attached."),
]

PLAN = [
    (
        "Procurement Project Board up and running with agreed terms of reference by November 2007.",
        "Project Board set up",
        "Within project",
        dt.date(2007, 9, 3),
        dt.date(2007, 11, 30),
        "Complete",
    ),
    (
        "Procurement roadmap and business case for investment produced by April 2008",
        "Roadmap and business case",
        "Within project",
        dt.date(2007, 12, 3),
        dt.date(2008, 4, 30),
        "In progress",
    ),
    (
        "Prioritisation of 2008/09 procurement activity for Pathfinder authorities agreed by"
        " Procurement Project Board by March 2008",
        "2008/09 priorities agreed",
        "Within project",
        None,
        dt.date(2008, 3, 31),
        "Not started",
    ),
    (
        "As part of MKOB Improvement Partnership work links are being developed with Oxon"
        " authorities on procurement through joint procurement meeting.",
        "Links with Oxon authorities",
        "Outside project",
        dt.date(2007, 10, 1),
        dt.date(2008, 4, 30),
        "In progress",
    ),
]

RISKS = [
    (
        "Unwillingness of authorities to collaborate on procurement",
        1,
        4,
        4,
        "Issues goes to heart of Pathfinder project. Initial work must be done to establish"
        " agreement to the project, and ideally a shared vision.",
    ),
    (
        "Lack of leadership on procurement within individual authorities",
        2,
        4,
        8,
        "Authorities must identify suitable senior officer to lead/champion procurement work",
    ),
    (
        "Lack of capacity to undertake work required to improve collaboration",
        3,
        3,
        9,
        "Will need to be assessed to identify where the capacity gaps are. And how best to address"
        " them. In short term MKOB project may provide some support.",
    ),
    (
        "Failure to identify resource to undertake skills/capacity analysis work",
        2,
        4,
        8,
        "Undertake discussions with SECE and MKOB about how tasks could be approached. Secure some"
        " contingency funding from JIB to bolster capacity.",
    ),
]


def main(path: Path) -> None:
    write_workbook(
        path, DETAILS, {"Sections": SECTIONS, "Plan": PLAN, "Budget": [], "Risks": RISKS}
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("inputs/procurement.xlsx"))
