"""``attempt``: the views' "call the service; on a DomainError roll back and show it"."""
import pytest
from flask import get_flashed_messages
from wtforms import Form, StringField

from marketplace.accounts.models import User
from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.core.web import attempt
from marketplace.extensions import db
from tests.factories import UserFactory


class _NameForm(Form):
    name = StringField()


def _refuse(message, **details):
    raise ValidationFailed(message, details=details)


def test_a_call_that_succeeds_returns_its_result_and_keeps_the_transaction(app):
    with app.test_request_context("/"):
        user = UserFactory(email="kept@example.com")
        result, refused = attempt(lambda a, *, b: a + b, 2, b=3)
        assert (result, refused) == (5, None)
        assert db.session.get(User, user.id) is not None
        assert get_flashed_messages() == []


def test_a_refusal_rolls_the_request_back_and_is_returned(app):
    with app.test_request_context("/"):
        user_id = UserFactory(email="lost@example.com").id   # flushed, not committed
        result, refused = attempt(_refuse, "No.", field="name")
        assert result is None
        assert isinstance(refused, DomainError) and refused.status == 422
        assert db.session.get(User, user_id) is None
        assert db.session.query(User).filter_by(email="lost@example.com").count() == 0


def test_the_error_goes_beside_the_field_it_names_and_the_form_keeps_what_was_typed(app):
    with app.test_request_context("/"):
        form = _NameForm(data={"name": "typed"})
        form.validate()
        _result, refused = attempt(_refuse, "This name is taken.", field="name", form=form)
        assert refused is not None
        assert form.name.errors == ["This name is taken."]
        assert form.name.data == "typed"
        assert get_flashed_messages() == []


def test_an_error_without_a_known_field_is_flashed_as_danger(app):
    with app.test_request_context("/"):
        form = _NameForm(data={"name": "typed"})
        form.validate()
        attempt(_refuse, "Not in this state.", field="no_such_field", form=form)
        attempt(_refuse, "Not now.")   # no form at all: flashed too
        assert form.name.errors == []
        assert get_flashed_messages(with_categories=True) == [
            ("danger", "Not in this state."), ("danger", "Not now.")]


def test_other_exceptions_are_not_caught(app):
    with app.test_request_context("/"):
        def broken():
            raise RuntimeError("a bug")
        with pytest.raises(RuntimeError):   # a bug is not shown as a refusal
            attempt(broken)
