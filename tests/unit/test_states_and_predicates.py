import enum

import pytest

from marketplace.core.errors import InvalidTransition
from marketplace.core.permissions import Predicate, predicate
from marketplace.core.states import TransitionTable


class Light(enum.Enum):
    RED = "red"
    GREEN = "green"
    AMBER = "amber"


TABLE = TransitionTable({
    Light.RED: {"go": Light.GREEN},
    Light.GREEN: {"slow": Light.AMBER},
    Light.AMBER: {"stop": Light.RED},
})


def test_a_listed_transition_gives_its_target():
    assert TABLE.target(Light.RED, "go") is Light.GREEN


def test_an_unlisted_transition_is_refused_with_the_state_and_action():
    with pytest.raises(InvalidTransition) as raised:
        TABLE.target(Light.RED, "slow")
    assert raised.value.details == {"state": "red", "action": "slow"}
    assert raised.value.status == 409


def test_the_table_knows_every_state_it_can_reach():
    assert TABLE.states() == set(Light)
    assert TABLE.actions_from(Light.GREEN) == ["slow"]


class FakeUser:
    is_authenticated = True

    def __init__(self, role):
        self.role = role


@predicate
def is_red(user, obj=None):
    return user is not None and user.role == "red"


@predicate
def is_blue(user, obj=None):
    return user is not None and user.role == "blue"


def test_predicates_combine_and_keep_a_readable_name():
    either = is_red | is_blue
    both = is_red & is_blue
    assert isinstance(either, Predicate)
    assert either(FakeUser("blue")) and not both(FakeUser("blue"))
    assert (~is_red)(FakeUser("blue"))
    assert either.name == "(is_red | is_blue)"


def test_visitors_reach_predicates_as_none():
    class Visitor:
        is_authenticated = False
    assert not is_red(Visitor())
    assert (~is_red)(Visitor())
