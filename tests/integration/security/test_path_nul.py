"""A NUL character in a path segment a view reads as text (the public contract
verification's number, a mailed link's token) is refused like one in a query string or
form: a clear 4xx, never a 500 from PostgreSQL."""
import pytest


@pytest.mark.parametrize("path", ["/contracts/verify/HC-2026-0000001%00?code=ABCD",
                                  "/login/link/abc%00def", "/password/reset/abc%00def",
                                  "/invitations/abc%00def"])
def test_a_nul_character_in_a_text_path_segment_is_no_server_error(client, path):
    assert client.get(path).status_code < 500
