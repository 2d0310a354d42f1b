"""An alert's episodes as rows (``alert_episode``): a past episode stays readable once the
next one begins.

The alert's current episode is its group's own columns (``alert_group``), which every read
and every change uses as before. Whatever changed them, the transaction writes them to the
episode's row as it commits: one statement for every alert it changed (an upsert of their
rows), none when it changed no episode's facts. An alert's arrival pays that one statement,
and no read. An episode that ended and was followed by the next within one transaction is
written as its last flush left it, before the new one's row.

A new episode begins from ``begin_episode``: fresh ``EpisodeFacts`` (whose defaults are a
fresh episode's, the one place that lists them, for the group's columns and the episode's
row alike) copied onto the group, every field of them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstanceState, Session, UOWTransaction

from bot.store.models.alerting import EPISODE_FIELDS, AlertEpisode, AlertGroup, EpisodeFacts

# The session's groups whose episode facts changed in its transaction (by identity).
_CHANGED = "alert_episodes_changed"


def begin_episode(group: AlertGroup, fresh: EpisodeFacts) -> None:
    """The group's current episode becomes ``fresh``: every episode fact of the group is
    set from it, so nothing of the last episode carries over unless ``fresh`` says it."""
    for name in EPISODE_FIELDS:
        setattr(group, name, getattr(fresh, name))


def _facts(group: AlertGroup) -> dict[str, Any]:
    return {name: getattr(group, name) for name in EPISODE_FIELDS}


def _flushed_facts(state: InstanceState[AlertGroup]) -> dict[str, Any]:
    """The group's episode facts as its last flush (or its load) left them: a changed
    one's value before (none said: it was None), an unchanged one's as it is."""
    facts: dict[str, Any] = {}
    for name in EPISODE_FIELDS:
        history = state.attrs[name].history
        kept = history.deleted or history.unchanged
        facts[name] = kept[0] if kept else None
    return facts


def _note_changed(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    changed: dict[int, AlertGroup] = session.info.setdefault(_CHANGED, {})
    for each in (*session.new, *session.dirty):
        if not isinstance(each, AlertGroup):
            continue
        state = inspect(each)
        if not any(state.attrs[name].history.has_changes() for name in EPISODE_FIELDS):
            continue
        ended = state.attrs["episode"].history.deleted
        if id(each) in changed and ended and ended[0] >= 1 and each.id is not None:
            # Its episode ended and the next began in this transaction: the ended one is
            # written now, as it stood, since the commit only sees the new one.
            _write(session, [{"group_id": each.id, **_flushed_facts(state)}])
        changed[id(each)] = each


def _write_changed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the transaction's commit writes them
    # The commit's own flush comes after this: done first, its changes are noted (nothing
    # to flush, it returns at once; the commit's then finds nothing).
    session.flush()
    changed: dict[int, AlertGroup] = session.info.pop(_CHANGED, {})
    rows = [
        {"group_id": group.id, **_facts(group)}
        for group in changed.values()
        if group.id is not None and group.episode >= 1
    ]
    if rows:
        _write(session, sorted(rows, key=lambda row: row["group_id"]))


def _forget_changed(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def keep_episode_rows() -> None:
    """Have every session write the episodes' rows of the groups it changes (see the
    module's docstring): called as an engine is made (``bot.store.db.create_engine``), once
    for the process however many engines it makes."""
    for name, listener in (
        ("before_flush", _note_changed),
        ("before_commit", _write_changed),
        ("after_rollback", _forget_changed),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    """The episodes' rows as ``rows`` say, inserted or updated in one statement."""
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    statement = insert(AlertEpisode.__table__).values(rows)  # type: ignore[attr-defined]
    statement = statement.on_conflict_do_update(
        index_elements=["group_id", "episode"],
        set_={name: statement.excluded[name] for name in EPISODE_FIELDS if name != "episode"},
    )
    session.execute(statement)
