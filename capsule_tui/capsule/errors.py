"""CapsuleError and its subclasses: what went wrong talking to Capsule, and what to do next."""

from __future__ import annotations


class CapsuleError(Exception):
    """A failure talking to Capsule, told as a title (what happened) and a hint (what to do).

    Subclasses carry default wording; callers may pass their own. Messages never include
    the access token (the client builds them only from fixed text, host names and status
    codes, and redacts the token from anything the server sent).
    """

    default_title = "Capsule could not be read."
    default_hint = "Try again; if it keeps failing, check the API URL and the access token."

    def __init__(self, title: str | None = None, hint: str | None = None, *,
                 status: int | None = None) -> None:
        self.title: str = title or self.default_title
        self.hint: str = hint or self.default_hint
        self.status: int | None = status
        super().__init__(self.title, self.hint)

    def __str__(self) -> str:
        return f"{self.title} {self.hint}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(title={self.title!r}, hint={self.hint!r})"


class AuthError(CapsuleError):
    """401/403: Capsule refused the token (never retried)."""

    default_title = "Capsule refused the access token."
    default_hint = ("Check the personal access token in Capsule under My Preferences → "
                    "API Authentication Tokens, and paste it again.")
    scope_hint = ("Check that the token has read scope (Capsule: My Preferences → "
                  "API Authentication Tokens), or create a new one.")

    @classmethod
    def for_status(cls, status: int) -> "AuthError":
        if status == 403:
            return cls(hint=cls.scope_hint, status=status)
        return cls(status=status)


class NotCapsuleError(CapsuleError):
    """The URL answers, but not like Capsule's API (404 on /site, HTML, JSON of the wrong shape)."""

    default_title = "The server at this URL does not answer like Capsule's API."
    default_hint = "Check the API URL; the default is https://api.capsulecrm.com."


class NetworkError(CapsuleError):
    """The host could not be reached after retries (DNS, refused connection, timeouts, drops)."""

    default_title = "Capsule could not be reached."
    default_hint = "Check the URL and the network, then try again."


class ServerError(CapsuleError):
    """Capsule kept answering with 5xx after retries."""

    default_title = "Capsule answered with a server error."
    default_hint = "Capsule may be having trouble; wait a few minutes and try again."


class BadResponseError(CapsuleError):
    """Capsule kept sending truncated or non-JSON bodies after retries."""

    default_title = "Capsule sent a response that could not be read."
    default_hint = "This is usually a passing network fault; try again in a few minutes."


class PaginationError(CapsuleError):
    """The page links would loop (a page seen twice) or the page cap was hit."""

    default_title = "Capsule's page links did not lead to an end."
    default_hint = ("The download was stopped to avoid looping; try again later, and report it "
                    "if it happens again.")


class RateLimitedError(CapsuleError):
    """A rate-limit wait would be longer than the client is allowed to wait."""

    default_title = "Capsule's hourly request limit is used up."
    default_hint = "Wait until the limit resets (at most an hour), then try again."


class DownloadCancelled(CapsuleError):
    """The operator cancelled the work."""

    default_title = "The download was cancelled."
    default_hint = "Nothing was changed; start it again when you are ready."
