"""Course zips uploaded in the admin and kept, between the plan and "Apply this import".

The file is kept on the server under a random token, outside MEDIA (never served), and the
token is remembered in the uploader's session only: another user, or another browser,
holds no token to name it with. Applying or cancelling deletes it; whatever is left an hour
after its upload is deleted on the next upload or apply.
"""

import secrets
import tempfile
import time
from pathlib import Path

KEPT_FOR_SECONDS = 3600
SESSION_KEY = "pending_course_imports"


def _folder() -> Path:
    folder = Path(tempfile.gettempdir()) / "courseware-pending-imports"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def _sweep() -> None:
    """Delete what was uploaded more than an hour ago and never applied nor cancelled."""
    too_old = time.time() - KEPT_FOR_SECONDS
    for path in _folder().glob("*.zip"):
        try:
            uploaded_at = path.stat().st_mtime
        except FileNotFoundError:
            continue  # applied or cancelled by another request since the folder was listed
        if uploaded_at < too_old:
            path.unlink(missing_ok=True)


def pending_import_keep(request, upload) -> str:
    """Keep ``upload`` for this session; returns the token that names it."""
    _sweep()
    token = secrets.token_urlsafe(24)
    with (_folder() / f"{token}.zip").open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    pending = request.session.get(SESSION_KEY, {})
    pending[token] = upload.name
    request.session[SESSION_KEY] = pending
    return token


def pending_import_get(request, token: str) -> tuple[Path, str] | None:
    """The kept zip and its uploaded name, when ``token`` is this session's and not expired."""
    _sweep()
    name = request.session.get(SESSION_KEY, {}).get(token)
    if name is None:
        return None
    path = _folder() / f"{token}.zip"
    return (path, name) if path.is_file() else None


def pending_import_discard(request, token: str) -> None:
    pending = request.session.get(SESSION_KEY, {})
    if token in pending:
        del pending[token]
        request.session[SESSION_KEY] = pending
        # Only a token this session holds names a file: never one taken from the request alone.
        (_folder() / f"{token}.zip").unlink(missing_ok=True)
