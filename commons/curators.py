"""Curators sign in with a second factor before curator pages and curator API calls open.

The rule (CURATOR_MFA_REQUIRED, on by default): a curator acts as a curator only when
- in the browser, their account has an authenticator app (allauth.mfa TOTP) and this session passed it —
  at sign-in, by re-entering a code (`mfa_reauthenticate`), or by setting the app up just now;
- with an API token, the token's owner has an authenticator app. A token is a password-like secret made
  in a signed-in session; demanding a code per API call would make scripts impossible, so the second
  factor is required of the account, not of each call.
A curator who falls short is sent to set the app up or to enter a code, with a message saying why; their
other pages (reviewing, submitting) are unaffected. Services keep their role checks (`require_curator`);
this is the request-level rule the views apply before calling them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlparse

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme

from commons.curator_role import restore, withheld, withhold

CONTINUE_SESSION_KEY = "curator_continue"  # the curator page to go back to once the second factor is set up
SETUP_MESSAGE = ("Curator pages need two-factor sign-in: set up an authenticator app (after confirming your "
                 "password); then you can go back to the page you asked for.")
VERIFY_MESSAGE = ("Curator pages need your second factor in this session: enter the code from your "
                  "authenticator app, or one of your recovery codes.")
API_MESSAGE = ("Curator actions need two-factor sign-in: the token's owner must set up an authenticator app "
               "on /account/ (and, in the browser, pass it in this session).")


def required() -> bool:
    return bool(getattr(settings, "CURATOR_MFA_REQUIRED", True))


def has_authenticator_app(user: Any) -> bool:
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


def _api_token(request: Any) -> Any:
    from commons.models import ApiToken

    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiToken) else None


def passed_second_factor(request: Any) -> bool:
    """This request carries a second factor: a session that passed it, or a token whose owner has one."""
    user = request.user
    if not has_authenticator_app(user):
        return False
    if _api_token(request) is not None:
        return True
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


def acts_as_curator(request: Any) -> bool:
    """A curator whose request meets the second-factor rule: curator-only data and actions are theirs."""
    user = getattr(request, "user", None)
    if not (user is not None and user.is_authenticated and user.is_curator):
        return False
    return not required() or passed_second_factor(request)


def needs_second_factor(request: Any) -> bool:
    """A curator who would act as one but for the second factor."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and (user.is_curator or withheld(user))
                and not acts_as_curator(request))


# --- a curator without the second factor sees what a member sees: commons/curator_role.py -----------------


def withhold_without_second_factor(request: Any) -> None:
    """Set a signed-in curator's role aside for this request unless it meets the second-factor rule."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_curator and not acts_as_curator(request):
        withhold(user)


class SecondFactorNeeded(PermissionDenied):
    """Raised where a curator could go on once past the second factor (a private interview, withdrawing
    someone's interview): the middleware answers it by sending them for the code, as curator pages do."""

    def __init__(self) -> None:
        super().__init__(API_MESSAGE)


class CuratorSecondFactorMiddleware:
    """Browser requests: a curator session that has not passed the second factor acts as a member's."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        withhold_without_second_factor(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SecondFactorNeeded) and not request.path.startswith("/api/"):
            return _send_for_second_factor(request)
        return None  # the API answers 403 with the message (DRF handles PermissionDenied)


def _back_to(request: HttpRequest) -> str:
    if request.method == "GET":
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        page = urlparse(referer)  # the form the action was posted from, as a path on this site
        return page.path + (f"?{page.query}" if page.query else "")
    return reverse("account")


def second_factor_redirect(request: HttpRequest) -> HttpResponse | None:
    """For a curator short of the second factor, the way on (set the app up, or enter a code) with a
    message saying why; None for everyone else (curators who passed, and non-curators, whom the caller refuses)."""
    if not needs_second_factor(request):
        return None
    return _send_for_second_factor(request)


def staff_needs_second_factor(request: Any) -> bool:
    """The admin edits roles and everything else: staff meet the same rule as curators."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and user.is_staff and required()
                and not passed_second_factor(request))


def admin_has_permission(original: Any) -> Any:
    def has_permission(request: HttpRequest) -> bool:
        return original(request) and not staff_needs_second_factor(request)
    return has_permission


def admin_login(view: Any) -> Any:
    """/admin/login/ for signed-in staff short of the second factor: where to get it, not a password form."""
    def login(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if staff_needs_second_factor(request):
            return _send_for_second_factor(request, back=request.GET.get("next") or reverse("admin:index"),
                                           who="The admin needs")
        return view(request, *args, **kwargs)
    return login


def _send_for_second_factor(request: HttpRequest, back: str | None = None, who: str = "") -> HttpResponse:
    back = back or _back_to(request)
    reword = (lambda text: text.replace("Curator pages need", who)) if who else (lambda text: text)
    if not has_authenticator_app(request.user):
        request.session[CONTINUE_SESSION_KEY] = back if url_has_allowed_host_and_scheme(back, allowed_hosts=None) else ""
        messages.warning(request, reword(SETUP_MESSAGE))
        return HttpResponseRedirect(reverse("mfa_activate_totp"))
    messages.info(request, reword(VERIFY_MESSAGE))
    return HttpResponseRedirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': back})}")


def record_setup_as_passed(sender: Any, request: HttpRequest | None, user: Any, authenticator: Any,
                           **kwargs: Any) -> None:
    """Setting the app up means entering a code it made: that is this session's second factor (allauth
    records it at sign-in and re-authentication, not at set-up)."""
    from allauth.account.internal.flows.login import record_authentication

    if request is None or authenticator.type != Authenticator.Type.TOTP:
        return
    record_authentication(request, user, "mfa", type=authenticator.type, id=authenticator.pk)
    restore(user)  # this session has passed it now
    wanted = request.session.pop(CONTINUE_SESSION_KEY, "")
    if wanted and (user.is_curator or user.is_staff):
        messages.success(request, format_html(
            'Two-factor sign-in is on. Keep your recovery codes below somewhere safe, then '
            '<a href="{}">go back to the curator page you asked for</a>.', wanted))
