"""A learning platform for the tests: its own RSA key, id_tokens signed with PyJWT, and a
small HTTP server on 127.0.0.1 serving its JWKS, its OAuth token endpoint, a gradebook
(Assignment and Grade Services) and a roster (Names and Role Provisioning Services).

The token endpoint checks the tool's signed client assertion against the tool's published
keys, and the gradebook and roster check the bearer token it issued, as a platform does.
"""

import html
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client

from lti.models import Deployment, Platform

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key, kid: str) -> dict:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "alg": "RS256", "use": "sig"}


class TestPlatform:
    __test__ = False  # not a test class, whatever its name
    client_id = "courseware-tool"
    deployment_id = "deployment-1"

    def __init__(self, host: str = "127.0.0.1"):
        """``host``: the name the platform's addresses use (it listens on 127.0.0.1). A
        browser test names it ``localhost``, as the live server is: the same site."""
        self.key = rsa_key()
        self.kid = "platform-key-1"
        self.down = False  # every endpoint answers 503
        self.token_answer = None  # what the token endpoint answers instead of a token
        self.scores: list[dict] = []  # (lineitem path, score) the gradebook accepted
        self.members: list[dict] = []
        self.tool_jwks: dict = {"keys": []}  # what the tool publishes at /lti/jwks/
        self.requests: list[str] = []
        self._tokens: set[str] = set()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self.tool_url = "http://testserver"  # where the platform's browser pages send to
        self.target = ""  # what a browser launch opens (``/start``)
        self.issuer = self.url
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    def register(self) -> Platform:
        platform = Platform.objects.create(
            name="Test Moodle",
            issuer=self.issuer,
            client_id=self.client_id,
            auth_login_url=f"{self.url}/auth",
            auth_token_url=f"{self.url}/token",
            keyset_url=f"{self.url}/jwks",
        )
        Deployment.objects.create(platform=platform, deployment_id=self.deployment_id)
        return platform

    # --- Launches -------------------------------------------------------------------

    def claims(self, *, nonce: str, target: str, **overrides) -> dict:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "moodle-user-7",
            "nonce": nonce,
            "iat": now,
            "exp": now + 300,
            "given_name": "Lena",
            "family_name": "Marsh",
            "email": "lena.marsh@academy.example",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "target_link_uri": target,
            CLAIM + "resource_link": {"id": "resource-link-1", "title": "Military diplomacy"},
            CLAIM + "roles": [LEARNER],
            CLAIM + "context": {"id": "context-1", "title": "Staff course 2026"},
            "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": {
                "scope": [LINEITEM_SCOPE, SCORE_SCOPE],
                "lineitems": f"{self.url}/lineitems",
                "lineitem": f"{self.url}/lineitems/1/lineitem",
            },
            "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": {
                "context_memberships_url": f"{self.url}/memberships",
                "service_versions": ["2.0"],
            },
        }
        claims.update(overrides)
        return {key: value for key, value in claims.items() if value is not None}

    def sign(self, claims: dict, key=None, kid=None) -> str:
        return jwt.encode(
            claims, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid}
        )

    def start_url(self, target: str, *, framed: bool = False) -> str:
        """Where a browser opens the activity (the platform's own page); ``framed``: a
        platform page showing the activity in an iframe."""
        self.target = target
        return f"{self.url}/{'frame' if framed else 'start'}?{urlencode({'target': target})}"

    def login(self, client: Client, *, target: str, client_id=None):
        """The platform's third-party login: what the tool answers (a redirect to /auth)."""
        return client.post(
            "/lti/login/",
            {
                "iss": self.issuer,
                "login_hint": "hint-7",
                "target_link_uri": target,
                "client_id": client_id or self.client_id,
                "lti_deployment_id": self.deployment_id,
            },
        )

    def launch(self, client: Client, *, target: str, sign=None, headers=None, **overrides):
        """Login, then the platform's auto-posted id_token; returns the launch's response
        and what was posted (to post it again)."""
        answer = self.login(client, target=target)
        assert answer.status_code == 302, answer.content
        auth = parse_qs(urlsplit(answer["Location"]).query)
        assert auth["redirect_uri"] == ["http://testserver/lti/launch/"]
        claims = self.claims(nonce=auth["nonce"][0], target=target, **overrides)
        posted = {"id_token": (sign or self.sign)(claims), "state": auth["state"][0]}
        return client.post("/lti/launch/", posted, headers=headers or {}), posted

    def deep_link_launch(self, client: Client, *, roles=(INSTRUCTOR,), **settings):
        """An instructor (or ``roles``) adding the tool to a course of the platform: the
        launch's response, the deep-linking picker when the tool accepts it. ``settings``
        replace the deep-linking settings' own (None: left out)."""
        settings = {
            "deep_link_return_url": f"{self.url}/deep-links/return",
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "data": "platform-opaque-7",
            **settings,
        }
        return self.launch(
            client,
            target="http://testserver/lti/launch/",
            **{
                CLAIM + "message_type": "LtiDeepLinkingRequest",
                CLAIM + "roles": list(roles),
                CLAIM + "resource_link": None,
                DL + "deep_linking_settings": {
                    key: value for key, value in settings.items() if value is not None
                },
            },
        )[0]

    # --- The platform's services --------------------------------------------------------

    def _handler(self):
        platform = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status, body=None, content_type="application/json"):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self):
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                return token in platform._tokens

            def _form(self, action, fields):
                """A page that posts ``fields`` to ``action`` at once, as a platform does."""
                inputs = "".join(
                    f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                    for k, v in fields.items()
                )
                return self._page(
                    f'<!doctype html><title>Platform</title><form id="f" method="post" '
                    f'action="{html.escape(action)}">{inputs}</form>'
                    "<script>document.getElementById('f').submit()</script>"
                )

            def _page(self, text: str):
                page = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def do_GET(self):
                platform.requests.append(f"GET {self.path}")
                if platform.down:
                    return self._answer(503, {"error": "maintenance"})
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/frame":  # the course page, the activity in a frame
                    return self._page(
                        "<!doctype html><title>Platform course</title><h1>Staff course</h1>"
                        '<iframe title="Courseware" src="/start" width="800" height="400">'
                        "</iframe>"
                    )
                if url.path == "/start":  # the learner clicks the activity in the course
                    return self._form(
                        f"{platform.tool_url}/lti/login/",
                        {
                            "iss": platform.issuer,
                            "login_hint": "hint-7",
                            "target_link_uri": platform.target,
                            "client_id": platform.client_id,
                            "lti_deployment_id": platform.deployment_id,
                        },
                    )
                if url.path == "/auth":  # the tool sent the browser back: sign and post
                    claims = platform.claims(nonce=query["nonce"], target=platform.target)
                    return self._form(
                        query["redirect_uri"],
                        {"id_token": platform.sign(claims), "state": query["state"]},
                    )
                if self.path == "/jwks":
                    return self._answer(200, {"keys": [public_jwk(platform.key, platform.kid)]})
                if self.path.startswith("/memberships"):
                    if not self._authorised():
                        return self._answer(401, {"error": "unauthorised"})
                    return self._answer(
                        200,
                        {
                            "id": self.path,
                            "context": {"id": "context-1"},
                            "members": platform.members,
                        },
                        "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
                    )
                return self._answer(404, {"error": "not found"})

            def do_POST(self):
                platform.requests.append(f"POST {self.path}")
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if platform.down:
                    return self._answer(503, {"error": "maintenance"})
                if self.path == "/token":
                    form = {k: v[0] for k, v in parse_qs(body).items()}
                    try:
                        keys = jwt.PyJWKSet.from_dict(platform.tool_jwks)
                        kid = jwt.get_unverified_header(form["client_assertion"])["kid"]
                        jwt.decode(
                            form["client_assertion"],
                            keys[kid].key,
                            algorithms=["RS256"],
                            audience=f"{platform.url}/token",
                        )
                    except (jwt.PyJWTError, KeyError):
                        return self._answer(401, {"error": "invalid_client"})
                    if platform.token_answer is not None:
                        return self._answer(200, platform.token_answer)
                    token = uuid.uuid4().hex
                    platform._tokens.add(token)
                    return self._answer(200, {"access_token": token, "expires_in": 3600})
                if self.path.endswith("/scores"):
                    if not self._authorised():
                        return self._answer(401, {"error": "unauthorised"})
                    platform.scores.append({"lineitem": self.path, **json.loads(body)})
                    return self._answer(200, {})
                return self._answer(404, {"error": "not found"})

        return Handler
