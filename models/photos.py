"""Case photos as pure image processing: check by content, read EXIF as data, re-encode clean.

Bytes in, bytes out; no files, no database. What is stored is never the upload: the pixels
are decoded, turned upright (EXIF orientation), converted to sRGB, resized and encoded
again as JPEG, so no EXIF, XMP, GPS, ICC profile, comment or trailing payload (a polyglot's
script, a phone's appended video) survives. JPEG rather than WebP: every browser, office
suite and integration (the city's 12345 system, printed case files) takes it, and
libjpeg-turbo encodes a 2048-px photo several times faster than libwebp; WebP would save
about a quarter of the bytes, which a case's two or three photos do not need.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pillow_heif
from PIL import Image, ImageCms, ImageFile

pillow_heif.register_heif_opener()

#: The stored media type (see the module docstring for why JPEG).
STORED_MEDIA_TYPE = "image/jpeg"
#: Largest picture decoded, in pixels: 50 MP holds a 8160×6120 phone photo; a larger
#: declared size is a decompression bomb (a few KB that would take gigabytes to decode).
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 85
THUMB_QUALITY = 78

#: Accepted formats: Pillow's format name → the media type of the original.
ACCEPTED = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "HEIF": "image/heic",
}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
#: Recognised but refused, so the message can name what was sent.
_REFUSED_MAGIC = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"%PDF", "PDF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"PK\x03\x04", "ZIP"),
)

# EXIF tags (numbers from the EXIF 2.32 standard)
_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_DATETIME = 0x0132
_DATETIME_ORIGINAL = 0x9003
_OFFSET_TIME_ORIGINAL = 0x9011
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON = 1, 2, 3, 4


class PhotoError(ValueError):
    """A refused upload. ``code`` names the reason for a catalog (``photos.error.<code>``):
    ``empty``, ``too_big``, ``unsupported``, ``not_image``, ``bomb`` or ``corrupt``;
    ``values`` fills the message's placeholders."""

    def __init__(self, message: str, code: str, **values: Any):
        super().__init__(message)
        self.code = code
        self.values = values


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo ready to store: clean JPEG bytes, its thumbnail, and the EXIF kept as data."""

    media_type: str
    image: bytes = field(repr=False)
    thumb: bytes = field(repr=False)
    width: int
    height: int
    sha256: str  # of ``image``, the stored bytes
    original_type: str
    taken_lon: float | None = None
    taken_lat: float | None = None
    taken_at: datetime | None = None  # aware when the camera wrote its offset, else naive local


def sniff_format(raw: bytes) -> str:
    """Pillow's format name of ``raw``, judged by its first bytes (never a name or a header
    the client sent).

    Raises
    ------
    PhotoError
        ``unsupported`` for a known other format (GIF, PDF, SVG, HTML ...), ``not_image``
        for anything else.
    """
    head = raw[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "HEIF"
    if head[4:8] == b"ftyp":  # another ISO media file: AVIF, MP4, MOV ...
        name = head[8:12].decode("ascii", "replace").strip().upper() or "ISO media"
        raise PhotoError(
            f"{name} is not accepted: JPEG, PNG, WebP or HEIC", "unsupported", type=name
        )
    for magic, name in _REFUSED_MAGIC:
        if head.startswith(magic):
            raise PhotoError(
                f"{name} is not accepted: JPEG, PNG, WebP or HEIC", "unsupported", type=name
            )
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml", b"<!doctype", b"<html", b"<")):
        name = "SVG" if b"svg" in raw[:1024].lower() else "HTML/XML"
        raise PhotoError(
            f"{name} is not accepted: JPEG, PNG, WebP or HEIC", "unsupported", type=name
        )
    raise PhotoError("not an image: JPEG, PNG, WebP or HEIC expected", "not_image")


def _ratio(value: Any) -> float:
    if isinstance(value, tuple) and len(value) == 2:  # a bare (numerator, denominator)
        num, den = value
        return float(num) / float(den)
    return float(value)


def _degrees(parts: Any, ref: Any) -> float | None:
    """Degrees from EXIF's (degrees, minutes, seconds) rationals and N/S/E/W reference."""
    try:
        d, m, s = (_ratio(p) for p in parts)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60 + s / 3600
    if not math.isfinite(value):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip().upper()[:1] in ("S", "W"):
        value = -value
    return value


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except (KeyError, ValueError, TypeError, struct.error, OSError):
        return None, None
    if _GPS_LAT not in gps or _GPS_LON not in gps:
        return None, None
    lat = _degrees(gps[_GPS_LAT], gps.get(_GPS_LAT_REF))
    lon = _degrees(gps[_GPS_LON], gps.get(_GPS_LON_REF))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    if lat == 0 and lon == 0:  # what a phone without a fix writes
        return None, None
    return round(lon, 7), round(lat, 7)


def _taken_at(exif: Image.Exif) -> datetime | None:
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except (KeyError, ValueError, TypeError, struct.error, OSError):
        sub = {}
    text = sub.get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.strptime(text.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = sub.get(_OFFSET_TIME_ORIGINAL)
    if isinstance(offset, str) and len(offset.strip("\x00 ")) == 6:
        sign, hours, minutes = offset[0], offset[1:3], offset[4:6]
        if (
            sign in "+-"
            and (hours.isascii() and hours.isdigit())
            and (minutes.isascii() and minutes.isdigit())
        ):
            delta = timedelta(hours=int(hours), minutes=int(minutes))
            moment = moment.replace(tzinfo=timezone(delta if sign == "+" else -delta))
    return moment


def _exif_data(image: Image.Image) -> tuple[float | None, float | None, datetime | None]:
    """GPS position and capture time; a damaged EXIF block yields nothing, never an error."""
    try:
        exif = image.getexif()
    except (ValueError, TypeError, struct.error, OSError, SyntaxError):
        return None, None, None
    try:
        lon, lat = _gps(exif)
        at = _taken_at(exif)
    except (ValueError, TypeError, struct.error, OSError, ZeroDivisionError):
        return None, None, None
    return lon, lat, at


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels (CMYK kept for its profile): transparency flattened on white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode == "CMYK" or image.mode == "RGB":
        return image
    return image.convert("RGB")


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """sRGB pixels: a camera's profile (Display P3, Adobe RGB) converted rather than dropped,
    so colours stay right in a file that carries no profile."""
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            image = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB") or image
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile: keep the pixels as they are
    return image if image.mode == "RGB" else image.convert("RGB")


#: EXIF orientation → the turn that makes the picture upright (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(0x0112, 1)
    except (ValueError, TypeError, struct.error, OSError, SyntaxError):
        return 1
    return value if isinstance(value, int) and value in _UPRIGHT else 1


def _jpeg_scale(width: int, height: int, edge: int) -> tuple[int, int]:
    """The size to ask libjpeg's scaled decode for: a 1/2, 1/4 or 1/8 scale whose longest
    edge lands within 10 % under ``edge`` (4000×3000 → 2000×1500, 4032×3024 → 2016×1512) is
    used as it is, with no resampling; else the smallest scale still covering the target."""
    longest = max(width, height)
    for scale in (8, 4, 2):
        if 0.9 * edge <= -(-longest // scale) <= edge:
            return width // scale, height // scale
    return _fit(width, height, edge)


def _encode(image: Image.Image, quality: int) -> bytes:
    clean = Image.frombytes("RGB", image.size, image.tobytes())  # a fresh image: no info at all
    out = io.BytesIO()
    clean.save(out, "JPEG", quality=quality, optimize=False)
    return out.getvalue()


def _fit(width: int, height: int, edge: int) -> tuple[int, int]:
    scale = min(1.0, edge / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _open(raw: bytes, fmt: str, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(raw), formats=[fmt])
    except Image.DecompressionBombError:
        raise PhotoError(
            "the picture declares too many pixels (a decompression bomb)", "bomb"
        ) from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError, IndexError):
        raise PhotoError(f"a damaged {fmt} file: it cannot be read", "corrupt") from None
    # a phone's multi-picture JPEG (MPO: the photo, then a depth map or another lens's) is
    # a JPEG whose first picture is the photo
    if image.format != fmt and not (fmt == "JPEG" and image.format == "MPO"):
        raise PhotoError("not an image: JPEG, PNG, WebP or HEIC expected", "not_image")
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise PhotoError(
            f"the picture declares {width}×{height} pixels, more than {max_pixels:,} "
            "(a decompression bomb or a panorama too large)",
            "bomb",
            width=width,
            height=height,
        )
    return image


def process_photo(
    raw: bytes,
    *,
    max_bytes: int,
    max_edge_px: int,
    thumb_px: int,
    max_pixels: int = MAX_PIXELS,
) -> ProcessedPhoto:
    """Check an uploaded photo by its content and make the clean copy to store.

    Parameters
    ----------
    raw
        The uploaded bytes.
    max_bytes
        Larger uploads are refused before anything is decoded.
    max_edge_px, thumb_px
        Longest edge of the stored image and of its thumbnail (never enlarged).
    max_pixels
        Largest declared picture decoded (width × height).

    Returns
    -------
    ProcessedPhoto
        JPEG bytes without metadata, upright; the EXIF position and capture time as data.

    Raises
    ------
    PhotoError
        Empty, too big, not an image, a refused type, a decompression bomb or damaged.
    """
    if not raw:
        raise PhotoError("the file is empty", "empty")
    if len(raw) > max_bytes:
        raise PhotoError(
            f"the photo is {len(raw) / 2**20:.1f} MB; at most {max_bytes / 2**20:.1f} MB",
            "too_big",
            size=round(len(raw) / 2**20, 1),
            limit=round(max_bytes / 2**20, 1),
        )
    fmt = sniff_format(raw)
    # a truncated upload must fail to decode: WeasyPrint (the PDF reports) turns Pillow's
    # global LOAD_TRUNCATED_IMAGES on when imported, which would fill half a photo with grey
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    image = _open(raw, fmt, max_pixels)
    try:
        lon, lat, taken_at = _exif_data(image)
        turn = _UPRIGHT.get(_orientation(image))
        icc = image.info.get("icc_profile")
        if fmt == "JPEG":
            image.draft("RGB", _jpeg_scale(*image.size, max_edge_px))
        image.load()
        flat = _flatten(image)
        # resize first, then profile and turn: both cost by the pixel
        size = _fit(*flat.size, max_edge_px)
        if size != flat.size:
            flat = flat.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        stored = _to_srgb(flat, icc)
        if turn is not None:
            stored = stored.transpose(turn)
    except Image.DecompressionBombError:
        raise PhotoError(
            "the picture declares too many pixels (a decompression bomb)", "bomb"
        ) from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError, IndexError, MemoryError):
        raise PhotoError(f"a damaged {fmt} file: it cannot be read", "corrupt") from None
    small = stored.copy()
    small.thumbnail((thumb_px, thumb_px), Image.Resampling.LANCZOS, reducing_gap=2.0)
    image_bytes = _encode(stored, JPEG_QUALITY)
    return ProcessedPhoto(
        media_type=STORED_MEDIA_TYPE,
        image=image_bytes,
        thumb=_encode(small, THUMB_QUALITY),
        width=stored.width,
        height=stored.height,
        sha256=hashlib.sha256(image_bytes).hexdigest(),
        original_type=ACCEPTED[fmt],
        taken_lon=lon,
        taken_lat=lat,
        taken_at=taken_at,
    )
