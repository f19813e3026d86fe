"""The welcome and password-reset mails, sent by background handlers after the commit."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from application.commands import (
    CompleteSignIn,
    ConfirmTwoFactor,
    RegisterUser,
    RequestPasswordReset,
    ResetPassword,
    UpdateProfile,
)
from application.mail import AccountMail
from application.results import TwoFactorRequired
from application.services import Services
from domain import events, totp, two_factor
from domain.ports import Mailer, MailMessage
from tests.fakes import FakeClock, FakeState, PlainMailTemplates, RecordingBus, RecordingMailer
from tests.unit.application.helpers import (
    CLIENT,
    NEW_PASSWORD,
    PASSWORD,
    SignUp,
    acting,
    credentials,
)


class BrokenMailer(Mailer):
    def __init__(self) -> None:
        self.attempts = 0

    async def send(self, message: MailMessage) -> None:
        self.attempts += 1
        raise ConnectionError("mail server down")


def account_mail(services: Services, mailer: Mailer, *, verification: bool = False) -> AccountMail:
    mail = AccountMail(
        uow_factory=services.uow_factory,
        mailer=mailer,
        templates=PlainMailTemplates(),
        tokens=services.tokens,
        clock=services.clock,
        address_tokens=services.address_tokens,
        verification=verification,
    )
    mail.subscribe(services.bus)
    return mail


@pytest.fixture
def mailer(services: Services) -> RecordingMailer:
    """A recording mailer, subscribed to the services' bus."""
    recording = RecordingMailer()
    account_mail(services, recording)
    return recording


def asking(email: str) -> RequestPasswordReset:
    return RequestPasswordReset(email=email, client=CLIENT)


def mailed_token(message: MailMessage) -> str:
    """The token PlainMailTemplates wrote as ``token=...``, the last value in the text."""
    _, found, token = message.text.partition("token=")
    assert found, message.text
    return token


async def test_registering_sends_one_welcome_mail_to_the_new_address(
    bus: RecordingBus, mailer: RecordingMailer, sign_up: SignUp
) -> None:
    await sign_up("alice", "Alice@Example.com")
    await bus.drain()
    assert mailer.sent == [
        MailMessage(
            to="Alice@example.com", subject="welcome", text="name=alice", html="<p>name=alice</p>"
        )
    ]


async def test_a_reset_request_for_a_known_address_mails_one_working_token(
    services: Services, bus: RecordingBus, mailer: RecordingMailer, sign_up: SignUp
) -> None:
    await sign_up("alice")
    await bus.drain()
    mailer.sent.clear()

    await services.request_password_reset(asking("ALICE@example.com"))
    await bus.drain()

    (message,) = mailer.sent
    assert (message.to, message.subject) == ("alice@example.com", "password_reset")
    assert message.text.startswith("name=alice token=")
    token = mailed_token(message)
    await services.check_reset_token(token)
    await services.reset_password(
        ResetPassword(token=token, new_password=NEW_PASSWORD, client=CLIENT)
    )
    assert (await services.sign_in(credentials("alice", NEW_PASSWORD))).user.username == "alice"


async def test_a_reset_request_for_an_unknown_or_inactive_address_sends_nothing(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    mailer: RecordingMailer,
    sign_up: SignUp,
    caplog: pytest.LogCaptureFixture,
) -> None:
    alice = await sign_up("alice")
    await bus.drain()
    mailer.sent.clear()
    state.users[alice.id].active = False

    with caplog.at_level(logging.ERROR, logger="application.event_bus"):
        await services.request_password_reset(asking("nobody@example.com"))
        await services.request_password_reset(asking("alice@example.com"))
        await bus.drain()

    assert mailer.sent == []
    assert caplog.records == []


async def test_an_account_deactivated_before_its_mail_goes_out_gets_none(
    services: Services, state: FakeState, clock: FakeClock, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    await services.bus.drain()
    recording = RecordingMailer()
    mail = account_mail(services, recording)
    state.users[alice.id].active = False

    await mail.welcome(
        events.UserRegistered(
            occurred_at=clock.now(), user_id=alice.id, username="alice", email=alice.email
        )
    )
    await mail.password_reset(
        events.PasswordResetRequested(occurred_at=clock.now(), email=alice.email, user_id=alice.id)
    )

    assert recording.sent == []


async def test_a_mailer_that_fails_does_not_fail_the_use_case(
    services: Services,
    state: FakeState,
    bus: RecordingBus,
    sign_up: SignUp,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = BrokenMailer()
    account_mail(services, broken)
    with caplog.at_level(logging.ERROR, logger="application.event_bus"):
        alice = await sign_up("alice")
        await services.request_password_reset(asking("alice@example.com"))
        await bus.drain()

    assert alice.id in state.users
    assert broken.attempts == 2
    assert len(caplog.records) == 2
    for record in caplog.records:
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], ConnectionError)


async def test_each_two_factor_change_mails_a_notice_and_a_used_code_says_how_many_remain(
    services: Services, mailer: RecordingMailer, sign_up: SignUp, make_admin: SignUp
) -> None:
    user = await sign_up("alice")
    boss = await make_admin("boss")
    setup = await services.begin_two_factor_setup(user.id)
    clock = services.clock
    code = totp.code_at(setup.secret, two_factor.step_of(clock.now()))
    codes = await services.confirm_two_factor_setup(ConfirmTwoFactor(user_id=user.id, code=code))
    started = await services.sign_in(credentials("alice"))
    assert isinstance(started, TwoFactorRequired)
    await services.complete_sign_in(
        CompleteSignIn(challenge=started.challenge, code=codes.codes[0], client=CLIENT)
    )
    await services.reset_two_factor(user.id, acting(boss))
    await services.bus.drain()

    notices = [m for m in mailer.sent if m.to == "alice@example.com" and m.subject != "welcome"]
    assert [m.subject for m in notices] == [
        "two_factor_enabled",
        "recovery_code_used",
        "two_factor_reset",
    ]
    assert "remaining=9" in notices[1].text


# Verified addresses


@pytest.fixture
def verifying(services: Services) -> RecordingMailer:
    """A recording mailer of a deployment with EMAIL_VERIFICATION on."""
    recording = RecordingMailer()
    account_mail(services, recording, verification=True)
    return recording


async def test_the_welcome_mail_carries_a_link_that_verifies_the_address(
    services: Services, state: FakeState, verifying: RecordingMailer, sign_up: SignUp
) -> None:
    alice = await sign_up("alice")
    await services.bus.drain()
    (welcome,) = verifying.sent
    assert welcome.subject == "welcome" and "token=" in welcome.text
    await services.verify_address(mailed_token(welcome), CLIENT)
    assert state.users[alice.id].email_verified


async def test_a_new_address_gets_a_link_and_the_old_one_a_notice(
    services: Services, state: FakeState, verifying: RecordingMailer, sign_up: SignUp
) -> None:
    confirming = replace(services, verification_on=True)
    alice = await sign_up("alice")
    await services.bus.drain()
    verifying.sent.clear()
    await confirming.update_profile(
        UpdateProfile(user_id=alice.id, email="ally@example.org", current_password=PASSWORD)
    )
    await services.bus.drain()
    assert str(state.users[alice.id].email) == "alice@example.com"  # not yet
    by_subject = {message.subject: message for message in verifying.sent}
    assert by_subject["confirm_address"].to == "ally@example.org"
    assert by_subject["address_change_notice"].to == "alice@example.com"
    await services.verify_address(mailed_token(by_subject["confirm_address"]), CLIENT)
    assert str(state.users[alice.id].email) == "ally@example.org"


async def test_a_quiet_registration_looks_the_same_for_a_new_and_a_taken_address(
    services: Services, state: FakeState, verifying: RecordingMailer, sign_up: SignUp
) -> None:
    await sign_up("alice")
    await services.bus.drain()
    verifying.sent.clear()
    commits = state.commits
    await services.register_quietly(
        RegisterUser(username="newbie", email="newbie@example.com", password=PASSWORD)
    )
    await services.bus.drain()
    new = (state.commits - commits, [m.to for m in verifying.sent])
    verifying.sent.clear()

    commits = state.commits
    await services.register_quietly(
        RegisterUser(username="impostor", email="ALICE@example.com", password=PASSWORD)
    )
    await services.bus.drain()
    taken = (state.commits - commits, [m.to for m in verifying.sent])

    assert new == (1, ["newbie@example.com"]) and taken == (1, ["alice@example.com"])
    assert verifying.sent[0].subject == "registration_tried"
    assert "impostor" not in {str(user.username) for user in state.users.values()}
