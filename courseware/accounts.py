"""Self-registration. Log in, log out and password pages are Django's own."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from lessons.validators import guard_text_field

# The usernames of the accounts a learning platform's launch makes (lti.services): never
# given at sign-up, so nobody can take the one a platform's user is about to get.
PLATFORM_USERNAME_PREFIX = "lti-"


class SignupForm(UserCreationForm):
    first_name = forms.CharField(max_length=150, label=_("First name"))
    last_name = forms.CharField(max_length=150, label=_("Last name"))
    email = forms.EmailField(label=_("Email"), help_text=_("Used only to reset your password."))

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "first_name", "last_name", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            guard_text_field(field)

    def clean_username(self):
        username = super().clean_username()
        if username and username.lower().startswith(PLATFORM_USERNAME_PREFIX):
            raise forms.ValidationError(
                _("Usernames starting with “%(prefix)s” are kept for learning platforms."),
                params={"prefix": PLATFORM_USERNAME_PREFIX},
            )
        return username

    def clean_email(self):
        email = self.cleaned_data["email"]
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("An account already uses this e-mail address."))
        return email


def client_ip(request) -> str:
    """The address login failures are counted for (django-axes).

    Each of the TRUSTED_PROXY_COUNT proxies in front of the app appends the address it
    saw to X-Forwarded-For, so the entry that many places from the end is the client's;
    anything before it was written by the client and cannot be trusted.
    """
    hops = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if hops and len(forwarded) >= hops and forwarded[-hops]:
        return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")


def signup_open(request) -> dict:
    """Context processor: whether to offer sign-up links."""
    return {"signup_open": settings.SIGNUP_OPEN}


def signup(request):
    if not settings.SIGNUP_OPEN:
        raise PermissionDenied(_("Registration is closed. Ask your instructor for an account."))
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, _("Welcome, %(name)s! Your account is ready.") % {"name": user.first_name}
        )
        next_url = request.GET.get("next", "")
        if url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return redirect(next_url)
        return redirect("catalogue")
    return render(request, "registration/signup.html", {"form": form})
