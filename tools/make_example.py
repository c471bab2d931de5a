"""Writes the example workbooks: inputs/procurement.xlsx, the seed's Procurement highlight
report (the default JIB profile), and one paper for each other bundled profile under examples/.

Run from the repository root: python tools/make_example.py
The plan dates are illustrative, chosen to agree with the seed's text; the other papers are
invented, in the shape public bodies' papers take.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from boardpack.paper.profile import load_profile
from boardpack.workbook.writer import write_workbook

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


PRINCE2_DETAILS = {
    "Project name": "Customer Portal Replacement",
    "Project ID": "ICT-2024-017",
    "Project manager": "Priya Shah",
    "Project executive": "Tom Adeyemi, Director of Customer Services",
    "Board": "Digital Programme Board",
    "Meeting date": dt.date(2024, 10, 10),
    "Date of report": dt.date(2024, 9, 30),
    "Period covered": "1-30 September 2024",
    "Stage status": "Amber",
}
PRINCE2_SECTIONS = [
    (
        "1",
        "Paragraph",
        "Stage 2 (build) is on schedule for the portal and its payments, but the"
        " address lookup is four weeks late because the supplier's interface changed. Cost is"
        " within tolerance; time is forecast to use 3 of the stage's 4 weeks' tolerance.",
    ),
    ("2", "Bullet", "Payments module built and through its security test."),
    ("2", "Bullet", "Accessibility audit of the sign-in pages: 3 issues found, 2 fixed."),
    ("2", "Bullet", "Address lookup: the supplier's new interface specified and agreed."),
    (
        "3",
        "Paragraph",
        "Next period the project will finish the address lookup, run the user"
        " acceptance tests and prepare the end stage report.",
    ),
    (
        "5",
        "Paragraph",
        "RFC-04, moving the launch from 4 November to 25 November, is put to"
        " the board for approval.",
    ),
    (
        "7",
        "Paragraph",
        "Testing the supplier's interface early would have shown the change in"
        " July; interface tests now start in the first week of each stage.",
    ),
]
PRINCE2_PLAN = [
    (
        "Build payments module",
        "Payments",
        "Work package",
        dt.date(2024, 7, 1),
        dt.date(2024, 9, 13),
        "Complete",
    ),
    (
        "Build address lookup",
        "Address lookup",
        "Work package",
        dt.date(2024, 8, 5),
        dt.date(2024, 10, 25),
        "Delayed",
    ),
    (
        "User acceptance tests",
        "UAT",
        "Work package",
        dt.date(2024, 10, 14),
        dt.date(2024, 11, 8),
        "Not started",
    ),
    ("Portal live", None, "Product", None, dt.date(2024, 11, 25), "Not started"),
    ("End stage report", None, "Product", None, dt.date(2024, 11, 29), "Not started"),
]
PRINCE2_TOLERANCES = [
    ("Time", "4 weeks; 3 forecast to be used", "8 weeks; 3 used", "Amber"),
    ("Cost", "£40,000; £6,500 forecast", "£150,000; £21,000 used", "Green"),
    ("Quality", "WCAG 2.2 AA on every page", "As the stage", "Green"),
    ("Scope", "No change", "No change", "Green"),
]
PRINCE2_RISKS = [
    (
        "I03",
        "Issue",
        "The address supplier changed its interface in August",
        3,
        2,
        None,
        "New interface specified; build finishes 25 October",
        "Priya Shah",
    ),
    (
        "R07",
        "Risk",
        "The supplier's interface changes again before launch",
        2,
        3,
        None,
        "Interface tests run weekly against the supplier's test service",
        "Priya Shah",
    ),
    (
        "R09",
        "Risk",
        "Staff are not trained before the portal goes live",
        2,
        2,
        None,
        "Training booked for the week of 18 November",
        "Tom Adeyemi",
    ),
    (
        "R11",
        "Risk",
        "Launch clashes with council tax reminders in late November",
        3,
        3,
        None,
        "Reminders moved to 2 December",
        "Priya Shah",
    ),
]

CORPORATE_DETAILS = {
    "Register": "Corporate Risk Register",
    "Report of": "Jane Smith, Director of Resources",
    "Contact officer": "Alex Green, Risk and Insurance Manager, 01234 567890",
    "Committee": "Audit and Governance Committee",
    "Meeting date": dt.date(2025, 3, 20),
    "Report date": dt.date(2025, 3, 3),
}
CORPORATE_SECTIONS = [
    (
        "1",
        "Paragraph",
        "To report the Council's corporate risks, their scores before and"
        " after the controls in place, and the further actions agreed, as at 3 March 2025.",
    ),
    (
        "2",
        "Paragraph",
        "That the Committee notes the register and the two risks whose"
        " residual score has risen since its last meeting.",
    ),
    (
        "3",
        "Bullet",
        "CR02 (cyber attack) has risen from 12 to 16 after the national alert of"
        " February; a recovery test is planned for April.",
    ),
    (
        "3",
        "Bullet",
        "CR05 (social care market) has risen from 9 to 12 as two providers have left the county.",
    ),
    ("3", "Bullet", "CR06 (new): the waste contract ends in 2026."),
]
CORPORATE_RISKS = [
    # ID, category, cause, risk, effect, owner, inherent L, I, score, controls, residual L, I,
    # score, trend, actions, target L, I, score, review
    (
        "CR01",
        "Financial",
        "Because demand for services grows faster than funding",
        "the Council cannot set a balanced budget for 2026/27",
        "which would lead to a section 114 notice",
        "Director of Resources",
        5,
        5,
        None,
        "Medium-term financial plan; savings programme monitored monthly",
        3,
        5,
        None,
        "Same",
        "Savings of £4.2m identified for 2026/27; £1.1m still to find by June",
        2,
        5,
        None,
        dt.date(2025, 6, 1),
    ),
    (
        "CR02",
        "Operational",
        "Because attacks on councils are rising",
        "a cyber attack takes key systems offline",
        "which would stop services and payments for days",
        "Head of ICT",
        4,
        5,
        None,
        "Firewalls, patching, multi-factor sign-in, backups off site",
        4,
        4,
        None,
        "Up",
        "Recovery test in April; cyber insurance renewed",
        2,
        4,
        None,
        dt.date(2025, 4, 30),
    ),
    (
        "CR03",
        "Compliance",
        "Because of the new procurement law",
        "contracts are awarded in breach of the Procurement Act 2023",
        "which would lead to challenges and delay",
        "Head of Procurement",
        3,
        4,
        None,
        "Training for buyers; contract procedure rules updated",
        2,
        3,
        None,
        "Down",
        None,
        1,
        3,
        None,
        dt.date(2025, 9, 1),
    ),
    (
        "CR04",
        "People",
        "Because of national shortages",
        "the Council cannot recruit to key posts in planning and social work",
        "which would slow decisions and raise agency costs",
        "Director of People",
        4,
        4,
        None,
        "Market supplements; 'grow your own' trainee scheme",
        3,
        3,
        None,
        "Same",
        "Trainee cohort of 8 starts in September",
        2,
        3,
        None,
        dt.date(2025, 6, 1),
    ),
    (
        "CR05",
        "Operational",
        "Because providers are leaving the market",
        "the Council cannot place people who need residential care",
        "which would leave people in hospital longer than they need",
        "Director of Adult Care",
        4,
        4,
        None,
        "Provider forum; fee uplift agreed",
        3,
        4,
        None,
        "Up",
        "Block contract for 30 beds to be let by July",
        2,
        3,
        None,
        dt.date(2025, 5, 1),
    ),
    (
        "CR06",
        "Contractual",
        "Because the waste contract ends in March 2026",
        "a new contract is not in place in time",
        "which would stop collections",
        "Director of Environment",
        3,
        5,
        None,
        "Project board set up; options appraisal complete",
        2,
        5,
        None,
        "New",
        "Procurement to start in April 2025",
        1,
        5,
        None,
        dt.date(2025, 4, 15),
    ),
]


COVER_DETAILS = {
    "Report title": "Corporate risk management: quarter 4 update",
    "Report of": "Jane Smith, Director of Resources",
    "Contact officer": "Alex Green, Risk and Insurance Manager, 01234 567890",
    "Wards affected": "All",
    "Committee": "Audit and Governance Committee",
    "Meeting date": dt.date(2025, 3, 20),
    "Report date": dt.date(2025, 3, 3),
}
COVER_SECTIONS = [
    (
        "1",
        "Paragraph",
        "To give the Committee the Council's corporate risk register as at 3"
        " March 2025 (Appendix A), as its terms of reference ask each quarter.",
    ),
    ("2", "Numbered", "That the Committee notes the corporate risk register."),
    (
        "2",
        "Numbered",
        "That the Committee asks the Head of ICT to report on the April recovery"
        " test of the cyber attack risk (CR02) at its next meeting.",
    ),
    (
        "3",
        "Paragraph",
        "The register is reviewed each month by the Corporate Leadership Team."
        " Risks are scored on a 5 x 5 matrix before controls (inherent), now (residual) and where"
        " the Council aims to be (target).",
    ),
    (
        "4",
        "Paragraph",
        "There are no direct financial implications; the further actions are"
        " funded from existing budgets.",
    ),
    (
        "5",
        "Paragraph",
        "The Accounts and Audit Regulations 2015 require effective arrangements"
        " for the management of risk.",
    ),
    ("6", "Paragraph", "As set out in the register."),
]
COMMITTEE_SETTINGS = """# A cover report and its appendix, built as one paper.
board = "Audit and Governance Committee"
meeting_date = 2025-03-20

[appendices]
risk-management-update = ["corporate-risks"]
"""


PROGRAMME_DETAILS = {"Programme": "Pathfinder Programme", "Period": "Sept/Oct 2009"}

# Theme, project, status in the programme's words, RAG.
PROGRAMME_ROWS = [
    (
        "Customer access",
        "Joint customer contact centre",
        "On track; pilot opens in November",
        "Green",
    ),
    ("Customer access", "Single web presence", "Supplier chosen; contract by December", "Amber"),
    (
        "Back office",
        "Shared revenues and benefits",
        "Business case agreed by both councils",
        "Green",
    ),
    ("Back office", "Joint procurement", "Spend analysis late; new date January 2010", "Red"),
    ("Place", "Local area agreement targets", "Quarter 2 returns in", "Green"),
]


def programme(examples: Path) -> Path:
    """The programme traffic-light example: its own profile, no board, no meeting date."""
    from boardpack.paper.profile import load_profile as load

    folder = examples / "programme"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "pathfinder.xlsx"
    profile = load(str(folder / "programme.toml"))
    write_workbook(
        target,
        PROGRAMME_DETAILS,
        {"Projects": PROGRAMME_ROWS},
        profile,
        profile_name="programme.toml",
    )
    return target


THEME_DETAILS = {"Partnership": "Safer Communities Partnership", "Period": "Q3 2024"}
THEME_ROWS = [
    ("Anti-social behaviour", "Reports down 12% on the quarter; two dispersal orders used."),
    ("Domestic abuse", "The new refuge opened in August with twelve places."),
    ("Road safety", "Average speed cameras installed on the A41; results in Q4."),
]


def theme_update(examples: Path) -> Path:
    """The Theme | Update example: one two-column table, nothing invented around it."""
    from boardpack.paper.profile import load_profile as load

    folder = examples / "theme-update"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "safer-communities.xlsx"
    profile = load(str(folder / "theme-update.toml"))
    tables = {"Themes": THEME_ROWS}
    write_workbook(target, THEME_DETAILS, tables, profile, profile_name="theme-update.toml")
    return target


MONTHLY_DETAILS = {
    "Project": "Town Centre Regeneration",
    "Project number": "TCR-014",
    "Month": "March 2024",
    "Overall RAG": "Amber",
}
MONTHLY_SECTIONS = [
    ("Progress this month", "Bullet", "Market square paving complete on the north side."),
    ("Progress this month", "Bullet", "Planning consent granted for the bus interchange."),
    (
        "Issues and escalations",
        "Paragraph",
        "The utility diversion under the high street is four weeks late; the programme manager"
        " is asked to agree a revised completion date of 31 May 2024.",
    ),
]


def monthly_rag(examples: Path) -> Path:
    """The monthly RAG example: a project number, a month and a RAG key of escalations."""
    from boardpack.paper.profile import load_profile as load

    folder = examples / "monthly-rag"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "town-centre.xlsx"
    profile = load(str(folder / "monthly-rag.toml"))
    tables = {"Sections": MONTHLY_SECTIONS}
    write_workbook(target, MONTHLY_DETAILS, tables, profile, profile_name="monthly-rag.toml")
    return target


NUMBERED_COVER_DETAILS = {
    "Council": "Anytown Borough Council",
    "Committee": "Audit and Governance Committee",
    "Date of meeting": dt.date(2025, 3, 20),
    "Report title": "Risk and programme assurance",
    "Report of": "Jane Smith, Director of Resources",
    "Report date": dt.date(2025, 3, 3),
}
NUMBERED_COVER_SECTIONS = [
    ("Purpose of the report", "Paragraph", "To report the corporate risks and the portal project."),
    ("Recommendations", "Paragraph", "That the committee notes Appendices 2 and 3."),
    (
        "Appendices",
        "Paragraph",
        "Appendix 2: the corporate risk register. Appendix 3: the customer portal highlight"
        " report. Appendix 1, the committee's work programme, is published separately.",
    ),
]
NUMBERED_COVER_SETTINGS = """# A cover report with its Appendices 2 and 3, built as one paper.
board = "Audit and Governance Committee"
meeting_date = 2025-03-20

[appendices]
assurance = ["corporate-risks", "customer-portal"]
"""


def numbered_cover(examples: Path) -> Path:
    """The cover example whose appendices are numbered 2 and 3, under the council's name."""
    from boardpack.paper.profile import load_profile as load

    folder = examples / "cover"
    folder.mkdir(parents=True, exist_ok=True)
    cover = folder / "assurance.xlsx"
    profile = load(str(folder / "cover.toml"))
    sections = {"Sections": NUMBERED_COVER_SECTIONS}
    write_workbook(cover, NUMBERED_COVER_DETAILS, sections, profile, profile_name="cover.toml")
    risks: dict[str, Any] = {"Sections": CORPORATE_SECTIONS, "Risks": CORPORATE_RISKS}
    write_workbook(
        folder / "corporate-risks.xlsx",
        CORPORATE_DETAILS,
        risks,
        load("corporate-risk"),
        profile_name="corporate-risk",
    )
    portal: dict[str, Any] = {
        "Sections": PRINCE2_SECTIONS,
        "Plan": PRINCE2_PLAN,
        "Tolerances": PRINCE2_TOLERANCES,
        "Risks": PRINCE2_RISKS,
    }
    details = {**PRINCE2_DETAILS, "Board": "Audit and Governance Committee"}
    details["Meeting date"] = dt.date(2025, 3, 20)
    write_workbook(
        folder / "customer-portal.xlsx", details, portal, load("prince2"), profile_name="prince2"
    )
    (folder / "boardpack.toml").write_text(NUMBERED_COVER_SETTINGS, encoding="utf-8")
    return cover


def main(path: Path) -> None:
    write_workbook(
        path, DETAILS, {"Sections": SECTIONS, "Plan": PLAN, "Budget": [], "Risks": RISKS}
    )
    print(f"wrote {path}")
    examples = path.parent.parent / "examples"
    papers: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
        (
            "prince2",
            "customer-portal.xlsx",
            PRINCE2_DETAILS,
            {
                "Sections": PRINCE2_SECTIONS,
                "Plan": PRINCE2_PLAN,
                "Tolerances": PRINCE2_TOLERANCES,
                "Risks": PRINCE2_RISKS,
            },
        ),
        (
            "corporate-risk",
            "corporate-risks.xlsx",
            CORPORATE_DETAILS,
            {"Sections": CORPORATE_SECTIONS, "Risks": CORPORATE_RISKS},
        ),
    ]
    for name, workbook, details, tables in papers:
        folder = examples / name
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / workbook
        write_workbook(target, details, tables, load_profile(name), profile_name=name)
        print(f"wrote {target}")
    committee = examples / "committee"
    committee.mkdir(parents=True, exist_ok=True)
    cover = committee / "risk-management-update.xlsx"
    profile = load_profile("committee-report")
    sections = {"Sections": COVER_SECTIONS}
    write_workbook(cover, COVER_DETAILS, sections, profile, profile_name="committee-report")
    appendix = committee / "corporate-risks.xlsx"
    tables = {"Sections": CORPORATE_SECTIONS, "Risks": CORPORATE_RISKS}
    risks = load_profile("corporate-risk")
    write_workbook(appendix, CORPORATE_DETAILS, tables, risks, profile_name="corporate-risk")
    (committee / "boardpack.toml").write_text(COMMITTEE_SETTINGS, encoding="utf-8")
    print(f"wrote {cover}, {appendix} and their boardpack.toml")
    print(f"wrote {programme(examples)}")
    print(f"wrote {theme_update(examples)}")
    print(f"wrote {monthly_rag(examples)}")
    print(f"wrote {numbered_cover(examples)} and its appendices")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("inputs/procurement.xlsx"))
