"""Until a session is verified with a one-time code, staff who must use two factors reach only the
code pages, the sign-in page and sign-out of the admin. Runs after django-otp's OTPMiddleware,
which tells whether the session is verified.

Outside the admin such a session counts as signed out, so the API's session authentication does
not open a way around the code; API tokens and members' JWTs are not sessions and pass as before.
"""

from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse

from two_factor.selectors import enrolled_device, must_use_two_factors

OPEN_PAGES = ("admin:two_factor_verify", "admin:two_factor_enrol", "admin:login", "admin:logout")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if must_use_two_factors(user) and not user.is_verified():
            if not request.path.startswith(reverse("admin:index")):
                request.user = AnonymousUser()
            elif request.path not in {reverse(name) for name in OPEN_PAGES}:
                return self._to_code_page(request)
        return self.get_response(request)

    @staticmethod
    def _to_code_page(request) -> HttpResponse:
        page = "admin:two_factor_verify" if enrolled_device(request.user) else "admin:two_factor_enrol"
        wanted = request.get_full_path() if request.method == "GET" else reverse("admin:index")
        url = f"{reverse(page)}?{urlencode({'next': wanted})}"
        if request.headers.get("HX-Request"):  # a panel refreshing itself: htmx opens the page whole
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
