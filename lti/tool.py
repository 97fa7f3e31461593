"""pylti1p3's view of Courseware: the registered platforms, the tool's key, where a launch
keeps its nonce and state, and how the tool speaks to a platform.

pylti1p3 ships a database tool configuration (``DjangoDbToolConf``); this one is over
Courseware's own models instead, because its models keep the deployments as JSON text in
one column (no constraint, no admin inline), keep any number of tool keys whose private
half its admin shows and edits, and its app's migrations would sit outside the project's.
Here the platforms, their deployments and the one tool key are the project's tables, and
the rest is pylti1p3's.
"""

import re
from datetime import timedelta

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import IntegrityError, transaction
from django.utils import timezone
from pylti1p3.contrib.django import DjangoMessageLaunch
from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.exception import LtiException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from lessons.validators import CONTROL_CHARACTER
from lti.models import LaunchData, Platform, ToolKey

# A platform that does not answer within this long is taken as down: a launch is refused
# with a clear page, a score waits for the next run.
PLATFORM_TIMEOUT_SECONDS = 10
# What asking a platform's services can raise when the platform is down, refuses, or answers
# something unreadable (pylti1p3 reads ``answer["access_token"]`` of any JSON it gets:
# KeyError without one, TypeError for a list or a number): the platform failed, and the
# score waits or the roster shows a warning; never a crash.
PLATFORM_FAILURES = (LtiException, requests.RequestException, ValueError, KeyError, TypeError)
LAUNCH_DATA_SECONDS = 60 * 60


def tool_key() -> ToolKey:
    """The tool's key pair, made the first time it is asked for (once, whoever asks first)."""
    key = ToolKey.objects.filter(pk=1).first()
    if key is not None:
        return key
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    try:
        with transaction.atomic():
            return ToolKey.objects.create(
                pk=1,
                private_key=private.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode(),
                public_key=private.public_key()
                .public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
                .decode(),
            )
    except IntegrityError:  # another process made it first
        return ToolKey.objects.get(pk=1)


def tool_jwks() -> dict:
    return {"keys": [Registration.get_jwk(tool_key().public_key)]}


def registration(platform: Platform) -> Registration:
    key = tool_key()
    return (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.auth_token_url)
        .set_auth_audience(platform.auth_audience or None)
        .set_key_set_url(platform.keyset_url)
        .set_tool_private_key(key.private_key)
        .set_tool_public_key(key.public_key)
    )


def platform_for(iss: str, client_id: str | None) -> Platform | None:
    """The platform ``iss`` with ``client_id``; without a client id (some login requests
    carry none), the issuer's only registration."""
    platforms = Platform.objects.filter(issuer=iss)
    if client_id is not None:
        return platforms.filter(client_id=client_id).first()
    found = list(platforms[:2])
    return found[0] if len(found) == 1 else None


class ControlCharacterRefused(LtiException):
    """A request or a launch holding a control character (the project's rule, in
    ``lessons.validators``): refused before any query, since PostgreSQL cannot store NUL in
    text nor ``\\u0000`` in JSON, and no identifier or name holds one."""

    def __init__(self, character: str):
        super().__init__(f"control character U+{ord(character):04X}")
        self.character = character


# The control characters, and a lone surrogate: JSON can spell one ("\\ud800"), Python
# decodes it, and no database stores it as text (PostgreSQL refuses it, a 500).
UNSTORABLE = re.compile(f"{CONTROL_CHARACTER.pattern}|[\ud800-\udfff]")


def control_character_in(value) -> str | None:
    """The first control character (or lone surrogate) in a text, or in any key or text of
    a JSON value."""
    if isinstance(value, str):
        found = UNSTORABLE.search(value)
        return found.group() if found else None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        return next(filter(None, map(control_character_in, value)), None)
    return None


class MessageLaunch(DjangoMessageLaunch):
    """pylti1p3's launch, its claims refused if they hold a control character: checked as
    soon as the id_token is decoded, before its nonce, issuer or deployment is looked up
    and before the launch is stored (the learner's name as the platform spells it, too)."""

    def validate_jwt_format(self):
        super().validate_jwt_format()
        found = control_character_in([self._jwt["header"], self._jwt["body"]])
        if found:
            raise ControlCharacterRefused(found)
        return self


class ToolConf(ToolConfAbstract):
    def check_iss_has_one_client(self, iss):
        return False

    def check_iss_has_many_clients(self, iss):
        return True

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platform = platform_for(iss, client_id)
        return registration(platform) if platform else None

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = platform_for(iss, client_id)
        if platform is None or not platform.deployments.filter(deployment_id=deployment_id):
            return None
        return LtiDeployment().set_deployment_id(deployment_id)

    def get_jwks(self, iss=None, client_id=None, **kwargs):
        return tool_jwks()


class DatabaseLaunchStorage(LaunchDataStorage):
    """Launch data in the database, so the login and the launch may reach different app
    servers. A nonce is used up when it is checked: the same id_token posted again is a
    replay and is refused. No session cookie: the state cookie already ties the launch to
    the browser that logged in."""

    def get_session_cookie_name(self):
        return None

    def can_set_keys_expiration(self):
        return True

    def _live(self):
        return LaunchData.objects.filter(expires_at__gt=timezone.now())

    def get_value(self, key):
        found = self._live().filter(key=self._prepare_key(key)).first()
        return found.value if found else None

    def set_value(self, key, value, exp=None):
        LaunchData.objects.update_or_create(
            key=self._prepare_key(key),
            defaults={
                "value": value,
                "expires_at": timezone.now() + timedelta(seconds=exp or LAUNCH_DATA_SECONDS),
            },
        )

    def check_value(self, key):
        # pylti1p3 asks this of nonces only: the one who deletes it is the one who may use it.
        deleted, _ = self._live().filter(key=self._prepare_key(key)).delete()
        return deleted > 0

    def pop_value(self, key):
        """The value, used up (one-time tickets)."""
        with transaction.atomic():
            found = self._live().select_for_update().filter(key=self._prepare_key(key)).first()
            if found is None:
                return None
            found.delete()
            return found.value


class LaunchTakenOnRead(DatabaseLaunchStorage):
    """Launch data used up by the read that finds it: of two requests reading the same
    checked launch at once, one gets it and the other finds nothing."""

    def get_value(self, key):
        return self.pop_value(key)


def launch_data_expired_delete() -> int:
    return LaunchData.objects.filter(expires_at__lte=timezone.now()).delete()[0]


class PlatformSession(requests.Session):
    """HTTP to a platform, never waiting longer than PLATFORM_TIMEOUT_SECONDS."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", PLATFORM_TIMEOUT_SECONDS)
        return super().request(*args, **kwargs)
