"""``POST /incidents/INC-7/postmortem/grades/<id>``: a person confirms or changes the grade
the team's model proposed for a cause proposed during the incident (bot/record/postmortem/
grades.py); kept with who and when. Its proposer never grades it: an agent has no session
here, and a person is refused their own proposal."""

from __future__ import annotations

from aiohttp import web

from bot.basics.numbers import DATABASE_ID_MAX, parse_bounded_int
from bot.record.postmortem import grades
from bot.store.db import session_scope
from bot.web.postmortem.facts import refused_at, saved_at, typed_field, writer


async def grade_page(request: web.Request) -> web.Response:
    """Keep the grade the form gives; the page again, saying why, when it cannot be."""
    checked = await writer(request, published_too=True)
    if isinstance(checked, web.Response):
        return checked
    web_, by, form, incident = checked
    grade_id = parse_bounded_int(request.match_info.get("grade", ""), 1, DATABASE_ID_MAX)
    typed = typed_field(form, "grade")
    points = parse_bounded_int(typed, 0, 100)
    services = web_.services
    try:
        if grade_id is None or points is None:
            raise grades.GradeRefused("scale" if grade_id is not None else "unknown")
        async with session_scope(services.engine) as session:
            await grades.confirm(
                session, incident.id or 0, grade_id, grade=points, by=by, at=services.clock()
            )
            await session.commit()
    except grades.GradeRefused as refused:
        words = services.renderer.render("web/_draft_words.j2", problem=f"grade_{refused.reason}")
        return await refused_at(request, "grade", {"grade": words}, {"grade": typed})
    return saved_at(incident, "grade")
