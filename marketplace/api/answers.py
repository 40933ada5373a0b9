"""The answers of the API, built by the pydantic models its operations declare (the same
models the OpenAPI document is written from), so an answer cannot differ from the
document: the model decides the fields, their types and enums, and a missing field is an
error here rather than a surprise for a client."""
from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer

# A moment in an answer: written as Python's isoformat ("...+00:00", as the answers always
# were), where pydantic alone would write "Z"
Timestamp = Annotated[datetime, PlainSerializer(lambda value: value.isoformat(),
                                                return_type=str, when_used="json")]


class _Fields:
    """An object's attributes, with some values given instead (computed ones: a balance,
    a permission-dependent part, a version number read through a relation)."""

    def __init__(self, source, values):
        self.__dict__.update(_source=source, _values=values)

    def __getattr__(self, name):
        values = self.__dict__["_values"]
        return values[name] if name in values else getattr(self.__dict__["_source"], name)


def answer(model, source=None, /, **values):
    """The JSON answer ``model`` declares, built by the model itself from ``source`` (an
    ORM object, read attribute by attribute) and ``values`` (which win over the
    source's attributes; alone when there is no source): what the OpenAPI document
    says is what is sent, the model deciding the fields, their types and enums."""
    data = values if source is None else _Fields(source, values)
    return model.model_validate(data, from_attributes=True).model_dump(mode="json")
