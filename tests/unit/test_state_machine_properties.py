"""Every TransitionTable of the app, found by importing the models: no sequence of
actions, listed or not, leads out of the table's states, and the states are those of the
status type."""
import enum
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import marketplace.models  # noqa: F401  (imports every domain's models)
from marketplace.core.errors import InvalidTransition
from marketplace.core.states import TransitionTable


def _tables():
    found = {}
    for name, module in sorted(sys.modules.items()):
        if not name.startswith("marketplace.") or module is None:
            continue
        for attr, value in vars(module).items():
            if isinstance(value, TransitionTable):
                found.setdefault(id(value), (f"{name}.{attr}", value))
            elif isinstance(value, type) and isinstance(
                    getattr(value, "TRANSITIONS", None), TransitionTable) and \
                    value.__module__ == name:
                found.setdefault(id(value.TRANSITIONS),
                                 (f"{name}.{value.__name__}", value.TRANSITIONS))
    return sorted(found.values(), key=lambda item: item[0])


TABLES = _tables()


def test_the_tables_are_found():
    names = [name for name, _table in TABLES]
    assert len(TABLES) >= 10, names
    assert any(name.endswith("claims.models.Claim") for name in names), names
    assert any(name.endswith("orders.models.Order") for name in names), names


def _actions(table):
    return sorted({action for actions in table.table.values() for action in actions})


@pytest.mark.parametrize("name, table", TABLES, ids=[name for name, _t in TABLES])
def test_the_states_are_one_type(name, table):
    states = table.states()
    kinds = {type(state) for state in states}
    assert len(kinds) == 1, f"{name} mixes {kinds}"
    kind = kinds.pop()
    if issubclass(kind, enum.Enum):
        assert states <= set(kind), f"{name}: states outside {kind.__name__}"


@pytest.mark.parametrize("name, table", TABLES, ids=[name for name, _t in TABLES])
@settings(deadline=None)   # a loaded CI machine is no failure
@given(data=st.data())
def test_no_sequence_of_actions_leaves_the_table(name, table, data):
    states = sorted(table.states(), key=str)
    actions = _actions(table) + ["no-such-action"]
    state = data.draw(st.sampled_from(states), label="start")
    for action in data.draw(st.lists(st.sampled_from(actions), max_size=25), label="actions"):
        allowed = table.actions_from(state)
        try:
            after = table.target(state, action)
        except InvalidTransition:
            assert action not in allowed, f"{name}: {action} listed from {state} but refused"
            continue
        assert action in allowed
        assert after in table.states(), f"{name}: {state} --{action}--> {after}"
        state = after
    assert state in table.states()
