"""Who may do what with orders: each party acts on its own side; the bureau reads and
mediates."""
from marketplace.accounts.permissions import (is_admin, is_agency_member, is_auditor,
                                              is_firm_member, is_reviewer)
from marketplace.core.permissions import predicate


@predicate
def can_place_order(user, obj=None):
    return is_firm_member(user)


@predicate
def is_buyer_of(user, order):
    """A member of the firm that placed the order."""
    return order is not None and is_firm_member(user) and user.organisation_id == order.firm_id


@predicate
def is_seller_of(user, order):
    """A member of the agency the order is placed with."""
    return (order is not None and is_agency_member(user)
            and user.organisation_id == order.agency_id)


@predicate
def can_view_order(user, order):
    return order is not None and (is_buyer_of(user, order) or is_seller_of(user, order)
                                  or is_reviewer(user) or is_admin(user))


@predicate
def can_list_orders(user, obj=None):
    return is_firm_member(user) or is_agency_member(user) or is_reviewer(user) \
        or is_admin(user)


@predicate
def can_mediate_orders(user, obj=None):
    return is_auditor(user)


@predicate
def can_download_contract(user, order):
    """The contract's PDF: its two parties and the bureau (404 for everyone else, and for
    an order not signed yet)."""
    return order is not None and order.contract is not None and can_view_order(user, order)
