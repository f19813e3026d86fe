"""Named domain errors: each carries a stable code and a message fit for a person."""

from __future__ import annotations

from collections.abc import Sequence


class DomainError(Exception):
    """Base of every error the domain and application layers raise on purpose."""

    code = "domain_error"
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)


class ValidationFailed(DomainError):
    """A value broke one of the domain's rules."""

    code = "validation_failed"
    default_message = "The value is not valid."


class InvalidFields(ValidationFailed):
    """Several values broke the rules at once: ``problems`` holds each one's error, so
    a form or a 422 can name every field in one answer."""

    default_message = "Some of the values are not valid."

    def __init__(self, problems: Sequence[ValidationFailed] = (), message: str | None = None):
        super().__init__(message)
        self.problems = tuple(problems)


def raise_together(problems: Sequence[ValidationFailed]) -> None:
    """Raise nothing when there are no problems, the one there is, or all of them."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise InvalidFields(problems)


class InvalidUsername(ValidationFailed):
    code = "invalid_username"
    default_message = "Usernames are 3 to 25 letters, digits, '.', '_' or '-'."


class InvalidEmail(ValidationFailed):
    code = "invalid_email"
    default_message = "Enter a valid e-mail address."


class InvalidName(ValidationFailed):
    code = "invalid_name"
    default_message = "Names are at most 30 characters, with no control characters."


class InvalidRoleName(ValidationFailed):
    code = "invalid_role_name"
    default_message = "Role names are 3 to 25 letters, digits, '.', '_' or '-'."


class WeakPassword(ValidationFailed):
    code = "weak_password"
    default_message = "Choose a stronger password."


class CurrentPasswordRequired(ValidationFailed):
    """A change that needs the current password came without one (as opposed to with a
    wrong one, which is InvalidCredentials)."""

    code = "current_password_required"
    default_message = "Enter your current password to change your e-mail address."


class Conflict(DomainError):
    """The change clashes with data that already exists."""

    code = "conflict"
    default_message = "That clashes with existing data."


class UsernameTaken(Conflict):
    code = "username_taken"
    default_message = "That username is already taken."


class EmailTaken(Conflict):
    code = "email_taken"
    default_message = "An account with that e-mail address already exists."


class RoleAlreadyExists(Conflict):
    code = "role_exists"
    default_message = "A role with that name already exists."


class InvalidCredentials(DomainError):
    """Sign-in failed; deliberately silent about why."""

    code = "invalid_credentials"
    default_message = "Invalid username or password."


class InactiveUser(DomainError):
    code = "inactive_user"
    default_message = "This account is not active."


class NotFound(DomainError):
    code = "not_found"
    default_message = "Not found."


class UserNotFound(NotFound):
    code = "user_not_found"
    default_message = "No such user."


class RoleNotFound(NotFound):
    code = "role_not_found"
    default_message = "No such role."


class ServiceUnavailable(DomainError):
    """A backing service (database, cache) cannot be reached right now."""

    code = "service_unavailable"
    default_message = "The service is briefly unavailable. Please try again shortly."


class SessionNotFound(NotFound):
    code = "session_not_found"
    default_message = "No such session."


class TooManyAttempts(DomainError):
    """Throttled: the same request may succeed after ``retry_after`` seconds."""

    code = "too_many_attempts"
    default_message = "Too many attempts."

    def __init__(self, retry_after: int = 60, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class AccountLocked(TooManyAttempts):
    """Too many wrong passwords for one account (or one login that names none: the
    same words for both, so the answer does not tell them apart). A password reset by
    mail unlocks it; programs see the same problem type as any other TooManyAttempts."""

    default_message = "Too many wrong passwords were tried for this account."


class InvalidResetToken(DomainError):
    """Expired, already used, altered or unknown: deliberately one error for all."""

    code = "invalid_reset_token"
    default_message = (
        "This reset link cannot be used: it has expired, has been used already, or is "
        "incomplete. Links work once, for a limited time. Ask for a new one below."
    )


class SamePassword(ValidationFailed):
    code = "same_password"
    default_message = "Choose a password different from your current one."


class PermissionDenied(DomainError):
    """The acting account lacks the role this needs."""

    code = "permission_denied"
    default_message = "You are not allowed to do that."


class RoleAlreadyHeld(Conflict):
    code = "role_already_held"
    default_message = "The user already holds that role."


class RoleNotHeld(Conflict):
    code = "role_not_held"
    default_message = "The user does not hold that role."


class RoleInUse(Conflict):
    code = "role_in_use"
    default_message = "The role is held by users or built in; it cannot be deleted."


class LastAdmin(Conflict):
    code = "last_admin"
    default_message = "This is the last active administrator; make another one first."


class CannotDeactivateSelf(Conflict):
    code = "cannot_deactivate_self"
    default_message = "You cannot deactivate your own account."


class InvalidCode(DomainError):
    """A second-factor code that is wrong, already used, or malformed: one error for all."""

    code = "invalid_code"
    default_message = "That code is not right. Enter the current code from your app."


class TwoFactorNotEnabled(Conflict):
    code = "two_factor_not_enabled"
    default_message = "Two-factor sign-in is not on for this account."


class CannotResetOwnTwoFactor(Conflict):
    """An administrator's reset skips the password and code: not for their own account."""

    code = "cannot_reset_own_two_factor"
    default_message = "Turn your own two-factor off on your two-factor page (password and code)."


class TwoFactorAlreadyEnabled(Conflict):
    code = "two_factor_already_enabled"
    default_message = "Two-factor sign-in is already on for this account."


class SetupExpired(DomainError):
    """The pending secret of a two-factor set-up is gone: too old, or never begun."""

    code = "setup_expired"
    default_message = "This set-up has expired. Start again with a new key."


class InvalidChallenge(DomainError):
    """A half-finished sign-in that is expired, used, or unknown: one error for all."""

    code = "invalid_challenge"
    default_message = "This sign-in has expired. Sign in again with your password."


class TrustedBrowserNotFound(NotFound):
    code = "trusted_browser_not_found"
    default_message = "There is no such trusted browser."


class TwoFactorSetupRequired(PermissionDenied):
    """An administrator without two-factor, where administration asks for it."""

    code = "two_factor_setup_required"
    default_message = "Turn on two-factor sign-in before using the administration."


class InvalidPasskey(DomainError):
    """A passkey answer that fails: unknown or removed credential, a bad signature, the
    wrong site or origin, or a signature counter that went backwards. One error for all."""

    code = "invalid_passkey"
    default_message = "That passkey could not be used. Try again, or sign in another way."


class InvalidPasskeyName(ValidationFailed):
    code = "invalid_passkey_name"
    default_message = "A passkey's name is at most 60 characters."


class PasskeyNotFound(NotFound):
    code = "passkey_not_found"
    default_message = "There is no such passkey."


class EmailAlreadyVerified(Conflict):
    code = "email_already_verified"
    default_message = "This address is verified already."


class InvalidAddressLink(DomainError):
    """Expired, already used, altered or unknown: deliberately one error for all."""

    code = "invalid_address_link"
    default_message = (
        "This link cannot be used: it has expired, has been used already, or is "
        "incomplete. Links work once, for three days. Ask for a new one on your profile."
    )


class EmailNotVerified(PermissionDenied):
    """The account's address is not verified, and this needs it to be."""

    code = "email_not_verified"
    default_message = "Confirm your address first: open the link we mailed you."

    def __init__(self, message: str | None = None, *, user_id: object = None) -> None:
        super().__init__(message)
        self.user_id = user_id


class CannotDeleteSelf(Conflict):
    code = "cannot_delete_self"
    default_message = "Delete your own account on your own page, with your password."
