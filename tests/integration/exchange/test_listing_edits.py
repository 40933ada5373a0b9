"""Editing a result through its page: a saved change is re-indexed for matching; a refused
one keeps what was typed and changes nothing."""
from sqlalchemy import select

from marketplace.exchange.models import MatchTerm, TechResult
from marketplace.extensions import db
from tests.conftest import login
from tests.integration.exchange.builders import make_result


def _form(result, **changes):
    values = {"title": result.title, "field_code": result.field_code,
              "summary": result.summary, "ip_type": "invention_patent",
              "ip_numbers": "ZL202310000001.X", "trl": "6",
              "transfer_modes": ["mode_transfer"], "asking_price": "500000"}
    values.update(changes)
    return values


def _terms(result_id):
    return set(db.session.execute(select(MatchTerm.term).where(
        MatchTerm.kind == "result", MatchTerm.listing_id == result_id)).scalars())


def test_the_owner_edits_a_result_and_a_refused_edit_keeps_the_typed_values(app):
    result = make_result()
    owner_email = result.agency.organisation.members[0].email
    db.session.commit()
    client = app.test_client()
    login(client, owner_email)

    refused = client.post(f"/exchange/results/{result.id}/edit",
                          data=_form(result, title="石墨烯导热膜", trl="12"))
    assert refused.status_code == 422
    assert "石墨烯导热膜" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(TechResult, result.id).title != "石墨烯导热膜"
    assert "石墨" not in _terms(result.id)

    saved = client.post(f"/exchange/results/{result.id}/edit",
                        data=_form(result, title="石墨烯导热膜规模化制备技术"))
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(TechResult, result.id).title == "石墨烯导热膜规模化制备技术"
    assert "石墨" in _terms(result.id)
