"""The admin's service-category tree through the test client: add, edit, retire; a
category can never end up below itself."""
import re

import pytest

from marketplace.accounts.models import Role
from marketplace.agencies.models import ServiceCategory
from marketplace.extensions import db
from tests.factories import UserFactory
from tests.integration.catalogue.test_catalogue_pages import (category, reload, signed_in,
                                                              text)


@pytest.fixture
def admin(app):
    found = UserFactory(role=Role.ADMIN, locale="en")
    db.session.commit()
    return signed_in(app, found)


def category_form(**changes):
    form = {"code": "lab_metal", "name_zh": "金属检测", "name_en": "Metal testing",
            "parent_id": str(category("testing").id), "sort_order": "5", "is_active": "y"}
    form.update(changes)
    return {key: value for key, value in form.items() if value is not None}


def test_the_admin_adds_a_sub_category_that_the_catalogue_offers(admin, client):
    response = admin.post("/admin/categories/new", data=category_form())
    assert response.status_code == 302 and response.location == "/admin/categories"
    child = category("lab_metal")
    assert child.parent_id == category("testing").id
    rows = re.findall(r'data-testid="category-row" data-depth="(\d)">\s*<td[^>]*>(.*?)</td>',
                      text(admin.get("/admin/categories")))
    names = [(depth, re.sub(r"<[^>]+>", "", cell)) for depth, cell in rows]
    at = names.index(("0", "检验检测"))
    assert names[at + 1] == ("1", "— 金属检测")
    assert '<option value="lab_metal" >— 金属检测</option>' in text(client.get("/catalogue"))


def test_a_category_cannot_be_moved_below_itself_or_its_children(admin):
    admin.post("/admin/categories/new", data=category_form())
    testing = category("testing")
    url = f"/admin/categories/{testing.id}"
    page = text(admin.get(url))
    parents = re.search(r'<select[^>]*id="parent_id".*?</select>', page, re.S).group(0)
    assert "金属检测" not in parents and ">检验检测<" not in parents
    response = admin.post(url, data=category_form(
        code=None, name_zh="检验检测", name_en="Inspection and testing",
        parent_id=str(category("lab_metal").id)))
    assert response.status_code == 422
    assert reload(ServiceCategory, testing.id).parent_id is None


def test_a_duplicate_code_keeps_the_typed_values(admin):
    response = admin.post("/admin/categories/new", data=category_form(code="testing"))
    assert response.status_code == 422
    page = text(response)
    assert "A category with this code already exists." in page
    assert 'value="金属检测"' in page and 'value="Metal testing"' in page


def test_the_admin_renames_and_retires_a_category_but_not_its_code(admin, client):
    ip = category("ip")
    response = admin.post(f"/admin/categories/{ip.id}", data=category_form(
        code="renamed", name_zh="知识产权与专利", name_en="IP and patents", parent_id="0",
        is_active=None))
    assert response.status_code == 302
    stored = reload(ServiceCategory, ip.id)
    assert (stored.code, stored.name_zh, stored.is_active) == ("ip", "知识产权与专利", False)
    assert 'value="ip"' not in text(client.get("/catalogue"))
    assert admin.get("/admin/categories/987654").status_code == 404
