"""Qualification documents: accepted by content (never by name), size-limited, stored
outside the web root under random names, and served only to those allowed to see them."""
import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale

from marketplace.accounts.models import Role
from marketplace.agencies import services
from marketplace.core import storage
from marketplace.agencies.models import DocumentKind, QualificationDocument
from marketplace.extensions import db
from tests.conftest import login
from tests.factories import (PDF_BYTES, PNG_BYTES, AgencyMemberFactory, FirmMemberFactory,
                             UserFactory, make_agency_profile)

JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
NEXT_YEAR = date.today() + timedelta(days=365)


def stored_files(app):
    root = Path(app.config["UPLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file())


def add(profile, data, name, kind=DocumentKind.ACCREDITATION):
    member = profile.organisation.members[0]
    return services.add_document(profile, member, kind=kind, title="CMA 资质认定证书",
                                 expires_on=NEXT_YEAR, stream=io.BytesIO(data),
                                 original_name=name)


@pytest.fixture
def draft():
    return make_agency_profile(status="draft")


@pytest.mark.parametrize("data, name, content_type, extension", [
    (PDF_BYTES, "licence.pdf", "application/pdf", ".pdf"),
    (PNG_BYTES, "scan.pdf", "image/png", ".png"),          # the content decides, not the name
    (JPEG_BYTES, "photo", "image/jpeg", ".jpg"),
])
def test_pdf_png_and_jpeg_are_accepted_by_their_content(app, draft, data, name,
                                                        content_type, extension):
    document = add(draft, data, name)
    assert document.content_type == content_type
    assert document.original_name == name and document.size_bytes == len(data)
    assert document.storage_name.endswith(extension)
    path = storage.path_of(document.storage_name)
    assert path.read_bytes() == data


def test_a_file_is_stored_under_a_random_name_outside_the_web_root(app, draft):
    document = add(draft, PDF_BYTES, "../../static/营业执照.pdf")
    path = storage.path_of(document.storage_name).resolve()
    upload_root = Path(app.config["UPLOAD_DIR"]).resolve()
    assert upload_root in path.parents
    for public in (Path(app.static_folder).resolve(), Path(app.root_path).resolve()):
        assert public not in path.parents
    assert "营业执照" not in document.storage_name and len(document.storage_name) >= 40
    assert document.original_name == "营业执照.pdf"        # no directories kept
    other = add(draft, PDF_BYTES, "../../static/营业执照.pdf")
    assert other.storage_name != document.storage_name
    assert len(document.sha256) == 64 and document.sha256 == other.sha256
    with pytest.raises(ValueError):
        storage.path_of("../" + document.storage_name)


@pytest.mark.parametrize("data, name, reason", [
    (b"This is just text pretending to be a PDF.\n", "licence.pdf", "type"),
    (b"GIF89a" + b"\x00" * 30, "licence.png", "type"),
    (b"", "empty.pdf", "empty"),
])
def test_other_content_and_empty_files_are_refused_and_nothing_is_stored(app, draft, data,
                                                                        name, reason):
    before = stored_files(app)
    with force_locale("en"), pytest.raises(storage.UploadRejected) as refused:
        add(draft, data, name)
    assert refused.value.details == {"field": "file", "reason": reason}
    assert stored_files(app) == before
    db.session.flush()
    assert db.session.query(QualificationDocument).count() == 1   # the licence only


@pytest.fixture
def small_limit(app):
    previous = app.config["UPLOAD_MAX_BYTES"]
    app.config["UPLOAD_MAX_BYTES"] = 1024 * 1024            # 1 MiB for the test
    yield app.config["UPLOAD_MAX_BYTES"]
    app.config["UPLOAD_MAX_BYTES"] = previous


def test_a_file_above_the_limit_is_refused_and_nothing_is_stored(app, draft, small_limit):
    before = stored_files(app)
    too_big = PDF_BYTES + b"\x00" * small_limit
    with force_locale("en"):
        with pytest.raises(storage.UploadRejected) as refused:
            add(draft, too_big, "big.pdf")
        assert str(refused.value.message) == "The file is larger than 1 MiB."
    assert refused.value.details["reason"] == "too_large"
    assert stored_files(app) == before
    exactly = PDF_BYTES + b"\x00" * (small_limit - len(PDF_BYTES))
    assert add(draft, exactly, "exact.pdf").size_bytes == small_limit


def test_the_default_limit_is_ten_mebibytes(app):
    assert app.config["UPLOAD_MAX_BYTES"] == 10 * 1024 * 1024


def test_an_expired_or_same_day_document_is_refused(draft):
    member = draft.organisation.members[0]
    with pytest.raises(services.ValidationFailed) as refused:
        services.add_document(draft, member, kind=DocumentKind.ACCREDITATION, title="old",
                              expires_on=date.today(), stream=io.BytesIO(PDF_BYTES),
                              original_name="old.pdf")
    assert refused.value.details == {"field": "expires_on"}


# --- through the pages ---------------------------------------------------------------

def test_an_upload_of_text_named_pdf_is_refused_on_the_page(app, client):
    member = AgencyMemberFactory(locale="en")
    db.session.commit()
    before = stored_files(app)
    login(client, member.email)
    response = client.post("/registry/documents", data={
        "doc-kind": "business_licence", "doc-title": "Business licence",
        "doc-expires_on": NEXT_YEAR.isoformat(),
        "doc-file": (io.BytesIO(b"plain text"), "licence.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Only PDF, PNG or JPEG files are accepted." in page
    assert 'value="Business licence"' in page                  # what was typed stays
    assert stored_files(app) == before
    assert db.session.query(QualificationDocument).count() == 0


@pytest.fixture
def licence():
    profile = make_agency_profile(status="submitted")
    db.session.commit()
    return profile.documents[0]


@pytest.mark.parametrize("who", ["agency", "auditor", "supervisor", "admin"])
def test_the_agency_and_the_bureau_download_the_document(client, licence, who):
    user = {"agency": lambda: licence.agency.organisation.members[0]}.get(
        who, lambda: UserFactory(role=Role(who)))()
    db.session.commit()
    login(client, user.email)
    response = client.get(f"/registry/documents/{licence.id}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "licence.pdf" in response.headers["Content-Disposition"]
    assert response.data == PDF_BYTES


@pytest.mark.parametrize("who", ["other_agency", "firm", "expert"])
def test_anyone_else_gets_not_found(client, licence, who):
    user = {"other_agency": AgencyMemberFactory, "firm": FirmMemberFactory,
            "expert": lambda: UserFactory(role=Role.EXPERT)}[who]()
    db.session.commit()
    login(client, user.email)
    assert client.get(f"/registry/documents/{licence.id}").status_code == 404
    assert client.get("/registry/documents/987654").status_code == 404


def test_a_visitor_is_sent_to_sign_in(client, licence):
    response = client.get(f"/registry/documents/{licence.id}")
    assert response.status_code == 302 and "/login" in response.location
