"""Choose the template: once a paper's workbook is read and its profile settled, the template it
is rendered with, vetted and measured once per build.

The page the template gives (with the profile's own page, if it declares one) decides where the
paper's Gantt chart is cut into parts, so it is measured before the paper is validated, and the
parts are worked out once, there, for the warning and the render alike.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from boardpack.errors import TemplateProblem

if TYPE_CHECKING:
    from boardpack.meeting.settings import PackSettings
    from boardpack.paper.page import PageArea
    from boardpack.paper.profile import Profile

# outputs.render (docxtpl, matplotlib) is imported where a template is first chosen, by then
# with LibreOffice starting in the background (run.py).


class Templates:
    """The templates of one build: the one given for every paper, else boardpack.toml's for the
    paper, else its profile's; each vetted and measured at most once."""

    def __init__(self, given: Path | None, settings: PackSettings, folder: Path) -> None:
        self._given, self._settings, self._folder = given, settings, folder
        self._vetted: dict[Path, TemplateProblem | None] = {}
        self._areas: dict[tuple[Path, object], PageArea] = {}

    def choose(self, paper: str, profile: Profile, *, appendix: bool = False) -> Path:
        """The template the paper named `paper` (read by `profile`) is rendered with. The one
        given for every paper is a paper's, not its appendices' (they have their own shape)."""
        from boardpack.outputs.render import template_for

        given = None if appendix else self._given
        chosen = given or self._settings.template_for(paper, self._folder)
        return chosen or template_for(profile)

    def area(self, template: Path, profile: Profile) -> PageArea:
        """The text area of the template's page as the paper is rendered on it: the profile's
        page size and orientation, where it declares them, over the template's."""
        from boardpack.outputs.render import template_page_area

        key = (template, profile.page)
        if key not in self._areas:
            self._areas[key] = template_page_area(template, profile.page)
        return self._areas[key]

    def refusal(self, template: Path) -> TemplateProblem | None:
        """Why the template cannot be used, or None when it can."""
        from boardpack.outputs.render import vet_template

        if template not in self._vetted:
            try:
                vet_template(template)
                self._vetted[template] = None
            except TemplateProblem as exc:
                self._vetted[template] = exc
        return self._vetted[template]
