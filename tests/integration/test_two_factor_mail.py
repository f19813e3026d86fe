"""The two-factor notices render in both parts, with the name, the count and a way out."""

from __future__ import annotations

import pytest

from application.mail import NOTICES
from infrastructure.mail import JinjaMailTemplates

SITE = "https://gatehouse.test"


@pytest.mark.parametrize("template", sorted(NOTICES.values()))
def test_every_two_factor_notice_greets_by_name_and_links_a_password_reset(template: str) -> None:
    message = JinjaMailTemplates(SITE).render(
        template, "zoe@example.com", name="Zoë Ångström", remaining=7
    )
    assert message.to == "zoe@example.com"
    assert message.subject and "\n" not in message.subject
    for body in (message.text, message.html):
        assert "Zoë Ångström" in body
        assert f"{SITE}/reset-password/" in body
        assert "{{" not in body and "}}" not in body


def test_the_recovery_code_notice_says_how_many_codes_are_left() -> None:
    message = JinjaMailTemplates(SITE).render(
        "recovery_code_used", "zoe@example.com", name="Zoë", remaining=7
    )
    assert "7 of your codes are left" in message.text
    assert "7 of your codes are left" in message.html
