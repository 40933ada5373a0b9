"""An uploaded file's name is what the browser sends, typed by anyone: a NUL character
in it (PostgreSQL text cannot hold one) is refused or dropped, never a 500, and the
stored name stays printable."""
import io
from datetime import date, timedelta

from marketplace.agencies.models import QualificationDocument
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import PDF_BYTES, AgencyMemberFactory


def test_a_nul_character_in_an_upload_name_is_no_server_error(app, client):
    member = AgencyMemberFactory(locale="en")
    db.session.commit()
    login(client, member.email)
    response = client.post("/registry/documents", data={
        "doc-kind": "business_licence", "doc-title": "Business licence",
        "doc-expires_on": (date.today() + timedelta(days=365)).isoformat(),
        "doc-file": (io.BytesIO(PDF_BYTES), "licence\x00.pdf")},
        content_type="multipart/form-data")
    assert response.status_code < 500
    for document in db.session.query(QualificationDocument):
        assert "\x00" not in document.original_name
