"""Types of the API for values that are tables the admin edits: checked against the table
on every request and listed in the OpenAPI document as they stand (``values_of``)."""
from marketplace.api.spec import values_of
from marketplace.technology_fields.services import field_codes

# GET /api/v1/technology-fields lists the fields with their names
FieldCode = values_of("technology field codes", field_codes, description=(
    "A technology field of the registration system, by its code."))
