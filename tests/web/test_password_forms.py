"""Every password form tells password managers what its fields are: the account it is
about (a hidden username field where the account is known) and which password is which."""

from __future__ import annotations

from html.parser import HTMLParser

from quart.testing import QuartClient

from tests.web.conftest import Account, Outbox, post_form, sign_in

Inputs = list[dict[str, str | None]]


class FormReader(HTMLParser):
    """The inputs of each form on a page, by the form's action, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, Inputs] = {}
        self._current: Inputs | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self._current = self.forms.setdefault(dict(attrs).get("action") or "", [])
        elif tag == "input" and self._current is not None:
            self._current.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


async def inputs_of(client: QuartClient, page: str, action: str) -> Inputs:
    response = await client.get(page)
    assert response.status_code == 200
    reader = FormReader()
    reader.feed(await response.get_data(as_text=True))
    assert action in reader.forms, f"no form posting to {action} on {page}: {list(reader.forms)}"
    return [field for field in reader.forms[action] if field.get("type") != "hidden"]


def autocompletes(inputs: Inputs) -> list[tuple[str | None, str | None]]:
    return [(field.get("name"), field.get("autocomplete")) for field in inputs]


def hidden_username(inputs: Inputs) -> dict[str, str | None]:
    """The hidden, read-only username field, which must come before the passwords."""
    (found,) = [field for field in inputs if field.get("name") == "username"]
    assert "hidden" in found and "readonly" in found
    assert found.get("type") == "text"
    first_password = next(i for i, field in enumerate(inputs) if field.get("type") == "password")
    assert inputs.index(found) < first_password
    return found


async def test_the_sign_in_form_on_the_home_page_names_the_username_and_current_password(
    client: QuartClient,
) -> None:
    inputs = await inputs_of(client, "/", "/")
    assert autocompletes(inputs)[:2] == [("login", "username"), ("password", "current-password")]


async def test_the_sign_in_form_in_the_header_names_the_username_and_current_password(
    client: QuartClient,
) -> None:
    inputs = await inputs_of(client, "/about/", "/")
    assert autocompletes(inputs) == [("login", "username"), ("password", "current-password")]


async def test_the_registration_form_asks_for_a_new_password_twice(client: QuartClient) -> None:
    inputs = await inputs_of(client, "/register/", "/register/")
    assert autocompletes(inputs) == [
        ("username", "username"),
        ("email", "email"),
        ("password", "new-password"),
        ("confirm", "new-password"),
    ]


async def test_the_change_password_form_names_the_signed_in_account(
    client: QuartClient, account: Account
) -> None:
    await sign_in(client, account.user.username)
    inputs = await inputs_of(client, "/users/me/password", "/users/me/password")
    assert hidden_username(inputs)["value"] == account.user.username
    assert autocompletes(inputs) == [
        ("username", "username"),
        ("current_password", "current-password"),
        ("new_password", "new-password"),
        ("confirm", "new-password"),
    ]


async def test_the_profile_forms_current_password_names_the_signed_in_account(
    client: QuartClient, account: Account
) -> None:
    await sign_in(client, account.user.username)
    inputs = await inputs_of(client, "/users/me", "/users/me")
    assert hidden_username(inputs)["value"] == account.user.username
    assert ("current_password", "current-password") in autocompletes(inputs)
    assert ("email", "email") in autocompletes(inputs)


async def test_the_new_password_form_of_a_reset_link_names_the_account_of_the_link(
    client: QuartClient, account: Account, outbox: Outbox
) -> None:
    await post_form(client, "/reset-password/", {"email": account.user.email})
    link = await outbox.link_for(account.user.email)
    inputs = await inputs_of(client, link, link)
    assert hidden_username(inputs)["value"] == account.user.username
    assert autocompletes(inputs) == [
        ("username", "username"),
        ("new_password", "new-password"),
        ("confirm", "new-password"),
    ]
    refused = await post_form(client, link, {"new_password": "short", "confirm": "short"})
    assert refused.status_code == 422
    assert f'name="username" value="{account.user.username}"' in await refused.get_data(
        as_text=True
    ), "the form sent back still names the account"


async def test_the_hidden_username_a_browser_sends_along_changes_nothing_else(
    client: QuartClient, account: Account
) -> None:
    await sign_in(client, account.user.username)
    response = await post_form(
        client,
        "/users/me",
        {"username": "someone-else", "first_name": "Ann", "email": account.user.email},
    )
    assert response.status_code == 303
    page = await (await client.get("/users/me")).get_data(as_text=True)
    assert f"<dd>{account.user.username}</dd>" in page
    assert f'name="username" value="{account.user.username}"' in page
