"""Unpacking an uploaded zip without trusting it: a course zip (assessments.course_io) and a
document with its pictures (lessons.intake) both go through ``zip_unpack``.

Every member is checked before anything is written, against the sizes the zip's directory
gives: zipfile unpacks no more than they say (and fails the checksum if the data differ).
"""

import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from lessons.course_folder import CourseFormatError

# What zipfile raises for a damaged or truncated zip, a compression method or zip version
# it does not know, or a name this system cannot hold.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)


@dataclass(frozen=True)
class ZipLimits:
    upload_bytes: int  # the zip itself
    unpacked_bytes: int  # all its files together, unpacked
    file_bytes: int  # each file, unpacked
    members: int  # how many files
    # Text compresses about 3 to 10 times; a zip bomb thousands of times.
    ratio: int
    kind: str  # what its files are, for the message refusing a zip bomb: "a course file"


def zip_unpack(archive, folder: Path, limits: ZipLimits) -> None:
    """Unpack the zip ``archive`` (a path, or an uploaded file) into ``folder``.

    A name that could write outside ``folder`` (``..``, an absolute path, a drive letter, a
    backslash), a link, an encrypted file, and sizes past ``limits`` are refused as
    CourseFormatError, before anything is written.
    """
    size = Path(archive).stat().st_size if isinstance(archive, str | Path) else archive.size
    if size > limits.upload_bytes:
        raise CourseFormatError(f"larger than {limits.upload_bytes // 2**20} MB", path=folder)
    try:
        zipped = zipfile.ZipFile(archive)
    except ZIP_ERRORS:
        raise CourseFormatError("not a zip file, or a damaged one", path=folder) from None
    where = folder
    try:
        with zipped:
            for member, target in _zip_members(zipped, folder, limits):
                where = target
                target.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
    except CourseFormatError:
        raise
    except ZIP_ERRORS as error:
        raise CourseFormatError(f"cannot unpack: {error}", path=where) from None


def _zip_members(
    zipped: zipfile.ZipFile, folder: Path, limits: ZipLimits
) -> list[tuple[zipfile.ZipInfo, Path]]:
    """The files to unpack with their targets; CourseFormatError for anything unsafe."""
    members = [
        member
        for member in zipped.infolist()
        if not member.is_dir() and not member.filename.startswith("__MACOSX/")
    ]
    if len(members) > limits.members:
        raise CourseFormatError(f"more than {limits.members} files", path=folder)
    total = 0
    checked = []
    for member in members:
        name = PurePosixPath(member.filename)
        shown = folder / name.name
        if (
            name.is_absolute()
            or PureWindowsPath(member.filename).drive
            or "\\" in member.filename
            or not name.parts
            or any(part in ("..", ".") for part in name.parts)
        ):
            raise CourseFormatError("unsafe file name in the zip", path=shown)
        if stat.S_ISLNK(member.external_attr >> 16):
            raise CourseFormatError("a link in the zip: zip the files themselves", path=shown)
        if member.flag_bits & 0x1:
            raise CourseFormatError("encrypted: zip it without a password", path=shown)
        if member.file_size > limits.file_bytes:
            raise CourseFormatError(
                f"larger than {limits.file_bytes // 2**20} MB unpacked", path=shown
            )
        if member.file_size > limits.ratio * max(member.compress_size, 1):
            raise CourseFormatError(
                f"compressed more than {limits.ratio} times: not {limits.kind}", path=shown
            )
        total += member.file_size
        if total > limits.unpacked_bytes:
            raise CourseFormatError(
                f"more than {limits.unpacked_bytes // 2**20} MB unpacked", path=folder
            )
        checked.append((member, folder.joinpath(*name.parts)))
    return checked
