"""Deactivating an account ends its sessions once, in the deactivation's own transaction."""

from __future__ import annotations

from quart import Quart

from application.commands import Actor, Client, SignIn
from application.services import Services
from tests.conftest import statements_on
from tests.web.conftest import Account, engine_of


async def test_deactivation_ends_every_session_in_one_statement_and_no_second_pass(
    app: Quart, services: Services, account: Account
) -> None:
    """The sessions end inside the deactivation's transaction; no event handler goes
    over them again afterwards in a transaction of its own."""
    for _ in range(2):
        await services.sign_in(
            SignIn(login=account.user.username, password=account.password, client=Client())
        )

    with statements_on(engine_of(app)) as sent:
        await services.deactivate_user(account.user.id, Actor.system("test"))

    revoking = [sql for sql in sent if sql.lstrip().upper().startswith("UPDATE SESSIONS")]
    assert len(revoking) == 1
    assert await services.list_sessions(account.user.id, None) == []
