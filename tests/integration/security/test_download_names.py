"""A downloaded file's name ends in the extension of the type its content was found to be,
not the uploader's: a PDF uploaded as ``x.html`` is saved by the browser as ``x.pdf``."""
import io
from datetime import date, timedelta

from sqlalchemy import select

from marketplace.core.storage import served_name
from marketplace.agencies.models import QualificationDocument
from marketplace.extensions import db
from marketplace.orders.models import OrderDocument
from tests.conftest import login
from tests.factories import PDF_BYTES, PNG_BYTES, AgencyMemberFactory
from tests.integration.orders.order_world import (agency_member, firm_member,  # noqa: F401
                                                  offering, quoted, signed)


def saved_as(response):
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    return disposition


def test_an_agency_document_uploaded_as_html_downloads_as_pdf(client):
    member = AgencyMemberFactory(locale="en")
    db.session.commit()
    login(client, member.email)
    response = client.post("/registry/documents", data={
        "doc-kind": "business_licence", "doc-title": "Business licence",
        "doc-expires_on": (date.today() + timedelta(days=365)).isoformat(),
        "doc-file": (io.BytesIO(PDF_BYTES), "licence.html")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    document = db.session.execute(select(QualificationDocument)).scalar_one()
    download = client.get(f"/registry/documents/{document.id}")
    assert "filename=licence.pdf" in saved_as(download)
    assert download.mimetype == "application/pdf"


def test_an_order_document_downloads_under_its_detected_type(client, quoted,  # noqa: F811
                                                              firm_member):  # noqa: F811
    signed(quoted, firm_member)
    login(client, firm_member.email)
    response = client.post(f"/orders/{quoted.id}/documents",
                           data={"document-kind": "signed_contract",
                                 "document-file": (io.BytesIO(PNG_BYTES), "合同.svg.html")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    document = db.session.execute(select(OrderDocument)).scalar_one()
    disposition = saved_as(client.get(f"/orders/{quoted.id}/documents/{document.id}"))
    assert "filename*=UTF-8''%E5%90%88%E5%90%8C.svg.png" in disposition, disposition
    assert ".html" not in disposition


def test_the_served_name_takes_the_detected_types_extension():
    assert served_name("x.html", "application/pdf") == "x.pdf"
    assert served_name("scan.PDF", "image/png") == "scan.png"
    assert served_name("photo", "image/jpeg") == "photo.jpg"
    assert served_name("../../etc/.htaccess", "application/pdf") == "htaccess.pdf"
    assert served_name("...", "application/pdf") == "document.pdf"
    assert served_name("", "application/pdf") == "document.pdf"
    assert served_name("x.pdf", "text/html") == "x.bin"


def test_a_commissioners_attachment_downloads_under_its_detected_type(client, auditor):
    from marketplace.commissioners.models import ServiceAttachment
    from tests.factories import FirmMemberFactory
    from tests.integration.commissioners.builders import log, paired, recognised

    commissioner = recognised(auditor=auditor)
    service = log(commissioner, paired(commissioner, FirmMemberFactory()), date.today(),
                  files=[(io.BytesIO(PDF_BYTES), "纪要.html")])
    db.session.commit()
    attachment = db.session.execute(select(ServiceAttachment)).scalar_one()
    login(client, commissioner.user.email)
    download = client.get(f"/commissioners/services/{service.id}/attachments/{attachment.id}")
    disposition = saved_as(download)
    assert "filename*=UTF-8''%E7%BA%AA%E8%A6%81.pdf" in disposition, disposition
    assert ".html" not in disposition
