"""The set-up page /users/me/two-factor/: a QR code, a link and the key while off; the
recovery codes once when turned on; status, turning off and new codes while on."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

from quart.testing import QuartClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from domain import totp, two_factor
from infrastructure.db.tables import two_factor_pending
from tests.web.conftest import PASSWORD, Account, post_form

PAGE = "/users/me/two-factor/"
_KEY = re.compile(r'<code id="key">([A-Z2-7 ]+)</code>')
_CODES = re.compile(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>")


def key_on(page: str) -> str:
    found = _KEY.search(page)
    assert found, "no key on the set-up page"
    return found.group(1).replace(" ", "")


def code_for(secret: str, ahead: int = 0) -> str:
    return totp.code_at(secret, two_factor.step_of(datetime.now(UTC)) + ahead)


async def open_setup(client: QuartClient) -> str:
    """The set-up page's key, read off the page the way a person copies it."""
    response = await client.get(PAGE)
    assert response.status_code == 200
    return key_on(await response.get_data(as_text=True))


async def turn_on_by_page(client: QuartClient) -> tuple[str, list[str]]:
    """Set two-factor up through the page: the key and the recovery codes shown."""
    secret = await open_setup(client)
    response = await post_form(client, PAGE, {"code": code_for(secret)})
    assert response.status_code == 200
    return secret, _CODES.findall(await response.get_data(as_text=True))


async def test_the_profile_links_to_the_set_up_page(as_member: QuartClient) -> None:
    page = await (await as_member.get("/users/me")).get_data(as_text=True)
    assert f'href="{PAGE}"' in page


async def test_signed_out_the_page_sends_to_sign_in(client: QuartClient) -> None:
    response = await client.get(PAGE)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/?next={PAGE}"


async def test_the_page_shows_a_qr_code_a_link_the_key_and_a_code_field(
    as_member: QuartClient, account: Account
) -> None:
    response = await as_member.get(PAGE)
    page = await response.get_data(as_text=True)
    secret = key_on(page)
    assert "<svg" in page and "<path" in page  # drawn on the server, no script
    uri = f"otpauth://totp/Gatehouse:{account.user.username}?secret={secret}&amp;issuer=Gatehouse"
    assert f'href="{uri}"' in page
    field = re.search(r"<input id=\"code\"[^>]*>", page)
    assert field
    assert 'autocomplete="one-time-code"' in field.group(0)
    assert 'inputmode="numeric"' in field.group(0)
    assert not [tag for tag in re.findall(r"<input[^>]*>", page) if secret in tag]
    assert "<script" not in page


async def test_a_reload_shows_the_same_key(as_member: QuartClient) -> None:
    assert await open_setup(as_member) == await open_setup(as_member)


async def test_a_right_code_turns_it_on_and_shows_ten_codes_once_with_a_download(
    as_member: QuartClient,
) -> None:
    secret = await open_setup(as_member)
    response = await post_form(as_member, PAGE, {"code": code_for(secret)})
    page = await response.get_data(as_text=True)
    codes = _CODES.findall(page)
    assert response.status_code == 200
    assert len(set(codes)) == 10
    assert response.headers["Cache-Control"] == "no-store"
    link = re.search(r'href="data:text/plain;charset=utf-8,([^"]+)" download="([^"]+)"', page)
    assert link and link.group(2).endswith(".txt")
    assert unquote(html.unescape(link.group(1))).split() == codes
    after = await (await as_member.get(PAGE)).get_data(as_text=True)
    assert "Two-factor sign-in is on" in after
    assert "10 of 10 left" in after
    assert not any(code in after for code in codes)


async def test_a_missing_code_is_a_field_error(as_member: QuartClient) -> None:
    await open_setup(as_member)
    response = await post_form(as_member, PAGE, {"code": " "})
    assert response.status_code == 422
    assert "This field is required." in await response.get_data(as_text=True)


async def test_short_non_digit_and_wrong_codes_are_refused_and_the_same_key_stays(
    as_member: QuartClient,
) -> None:
    secret = await open_setup(as_member)
    wrong = str((int(code_for(secret)) + 1) % 1_000_000).zfill(6)
    for code in ("123", "abcdef", wrong, "1" * 100):
        response = await post_form(as_member, PAGE, {"code": code})
        page = await response.get_data(as_text=True)
        assert response.status_code in {400, 422}, code
        assert key_on(page) == secret
        assert 'aria-invalid="true"' in page
    assert "Set up two-factor" in await (await as_member.get(PAGE)).get_data(as_text=True)


async def test_an_expired_set_up_is_refused_and_a_new_key_is_shown(
    as_member: QuartClient, account: Account, web_engine: AsyncEngine
) -> None:
    secret = await open_setup(as_member)
    async with web_engine.begin() as conn:
        await conn.execute(
            update(two_factor_pending)
            .where(two_factor_pending.c.user_id == account.user.id)
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    response = await post_form(as_member, PAGE, {"code": code_for(secret)}, form_page="/users/me")
    page = await response.get_data(as_text=True)
    assert response.status_code == 400
    assert "expired" in page
    assert key_on(page) != secret


async def test_every_post_needs_the_csrf_token(as_member: QuartClient) -> None:
    secret = await open_setup(as_member)
    response = await as_member.post(PAGE, form={"code": code_for(secret)})
    assert response.status_code == 400
    assert "Set up two-factor" in await (await as_member.get(PAGE)).get_data(as_text=True)
    await turn_on_by_page(as_member)
    for path, form in (
        (f"{PAGE}disable", {"password": PASSWORD, "code": code_for(secret, 1)}),
        (f"{PAGE}recovery-codes", {"password": PASSWORD}),
    ):
        refused = await as_member.post(path, form=form)
        assert refused.status_code == 400
    assert "10 of 10 left" in await (await as_member.get(PAGE)).get_data(as_text=True)


async def test_turning_it_off_needs_the_password_and_a_code(as_member: QuartClient) -> None:
    secret, _ = await turn_on_by_page(as_member)
    disable = f"{PAGE}disable"
    missing = await post_form(as_member, disable, {"password": "", "code": ""}, form_page=PAGE)
    assert missing.status_code == 422
    wrong_password = await post_form(
        as_member, disable, {"password": "not it", "code": code_for(secret, 1)}, form_page=PAGE
    )
    assert wrong_password.status_code == 400
    assert "password is not right" in await wrong_password.get_data(as_text=True)
    wrong_code = await post_form(
        as_member, disable, {"password": PASSWORD, "code": "000000x"}, form_page=PAGE
    )
    assert wrong_code.status_code == 400
    assert "code is not right" in await wrong_code.get_data(as_text=True)
    right = await post_form(
        as_member, disable, {"password": PASSWORD, "code": code_for(secret, 1)}, form_page=PAGE
    )
    assert right.status_code == 303
    assert right.headers["Location"] == "/users/me"
    assert "Set up two-factor" in await (await as_member.get(PAGE)).get_data(as_text=True)


async def test_new_recovery_codes_need_the_password_and_replace_the_old(
    as_member: QuartClient,
) -> None:
    _, old = await turn_on_by_page(as_member)
    path = f"{PAGE}recovery-codes"
    wrong = await post_form(as_member, path, {"password": "not it"}, form_page=PAGE)
    assert wrong.status_code == 400
    assert "password is not right" in await wrong.get_data(as_text=True)
    right = await post_form(as_member, path, {"password": PASSWORD}, form_page=PAGE)
    fresh = _CODES.findall(await right.get_data(as_text=True))
    assert right.status_code == 200
    assert len(set(fresh)) == 10 and not set(fresh) & set(old)


async def test_the_page_while_on_gives_each_field_its_own_id(as_member: QuartClient) -> None:
    await turn_on_by_page(as_member)
    page = await (await as_member.get(PAGE)).get_data(as_text=True)
    ids = re.findall(r' id="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for field in ("codes-password", "disable-password", "disable-code"):
        assert f'<label for="{field}">' in page and f'<input id="{field}"' in page


async def test_the_forms_for_on_need_it_on(as_member: QuartClient) -> None:
    for path, form in (
        (f"{PAGE}disable", {"password": PASSWORD, "code": "123456"}),
        (f"{PAGE}recovery-codes", {"password": PASSWORD}),
    ):
        response = await post_form(as_member, path, form, form_page=PAGE)
        assert response.status_code == 303
        assert response.headers["Location"] == PAGE
