"""The JSON API under /api/v1: bearer tokens, one error format, an OpenAPI document
generated from the operations' own declarations."""
