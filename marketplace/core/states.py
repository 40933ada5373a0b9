"""Explicit state machines: every status change goes through a transition table and
leaves an audit record."""
import enum

from marketplace.core import audit
from marketplace.core.errors import InvalidTransition


class TransitionTable:
    """``{from_state: {action: to_state}}``; anything not listed is refused."""

    def __init__(self, table):
        self.table = {state: dict(actions) for state, actions in table.items()}

    def target(self, state, action):
        try:
            return self.table[state][action]
        except KeyError:
            raise InvalidTransition(details={"state": _name(state), "action": action})

    def actions_from(self, state):
        return sorted(self.table.get(state, {}))

    def states(self):
        found = set(self.table)
        for actions in self.table.values():
            found.update(actions.values())
        return found


def _name(state):
    return state.value if isinstance(state, enum.Enum) else str(state)


def transition(obj, action, *, actor=None, data=None, table=None, field="status"):
    """Move ``obj`` along ``action`` using its class's ``TRANSITIONS`` table; audit it."""
    table = table or type(obj).TRANSITIONS
    before = getattr(obj, field)
    after = table.target(before, action)
    setattr(obj, field, after)
    audit.record(obj, action, actor=actor, before=before, after=after, data=data)
    return after
