"""Photo processing: type by content, EXIF read as data and stripped, upright, resized."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image, ImageCms
from PIL.TiffImagePlugin import IFDRational

from models.photos import PhotoError, process_photo, sniff_format

LIMITS = {"max_bytes": 10 * 2**20, "max_edge_px": 2048, "thumb_px": 320}


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _marked(width: int = 400, height: int = 200) -> Image.Image:
    """Red picture with a blue square in its top-left corner (to see rotations)."""
    image = Image.new("RGB", (width, height), (220, 30, 30))
    image.paste((0, 0, 255), (0, 0, width // 4, height // 2))
    return image


def _exif(orientation: int | None = None, *, lat_ref="N", lon_ref="E") -> bytes:
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    exif[0x8825] = {
        1: lat_ref,
        2: (IFDRational(23), IFDRational(39), IFDRational(3612, 100)),
        3: lon_ref,
        4: (IFDRational(116), IFDRational(37), IFDRational(30)),
        6: IFDRational(125, 10),  # altitude: not kept
    }
    exif[0x8769] = {0x9003: "2026:12:01 09:30:00", 0x9011: "+08:00"}
    exif[0x010F] = "PhoneMaker"
    return exif.tobytes()


def _blue(pixel: tuple[int, ...]) -> bool:
    return pixel[2] > 200 and pixel[0] < 60


def test_gps_and_time_are_read_then_stripped_and_orientation_applied():
    raw = _encode(_marked(), "JPEG", exif=_exif(orientation=6), quality=95)
    assert b"Exif" in raw and b"PhoneMaker" in raw
    photo = process_photo(raw, **LIMITS)
    assert photo.taken_lat == pytest.approx(23 + 39 / 60 + 36.12 / 3600, abs=1e-6)
    assert photo.taken_lon == pytest.approx(116 + 37 / 60 + 30 / 3600, abs=1e-6)
    assert photo.taken_at == datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=8)))
    assert photo.media_type == "image/jpeg" and photo.original_type == "image/jpeg"
    # orientation 6: the camera was turned; the stored picture is upright (portrait)
    assert (photo.width, photo.height) == (200, 400)
    stored = Image.open(io.BytesIO(photo.image))
    assert stored.format == "JPEG" and stored.size == (200, 400)
    assert _blue(stored.getpixel((190, 10)))  # top-left square now at the top right
    assert not _blue(stored.getpixel((10, 10)))
    # nothing of the metadata is in the stored bytes
    for data in (photo.image, photo.thumb):
        assert b"Exif" not in data and b"PhoneMaker" not in data and b"http://ns.adobe" not in data
        opened = Image.open(io.BytesIO(data))
        assert len(opened.getexif()) == 0
        assert "exif" not in opened.info and "icc_profile" not in opened.info
        assert "xmp" not in opened.info
    assert photo.sha256 == hashlib.sha256(photo.image).hexdigest()


def test_south_and_west_references_are_negative():
    raw = _encode(_marked(), "JPEG", exif=_exif(lat_ref="S", lon_ref="W"))
    photo = process_photo(raw, **LIMITS)
    assert photo.taken_lat is not None and photo.taken_lat < -23
    assert photo.taken_lon is not None and photo.taken_lon < -116
    assert (photo.width, photo.height) == (400, 200)  # no orientation tag: as taken


def test_photo_without_exif_has_no_position():
    photo = process_photo(_encode(_marked(), "JPEG"), **LIMITS)
    assert (photo.taken_lon, photo.taken_lat, photo.taken_at) == (None, None, None)


def test_broken_gps_is_ignored_not_fatal():
    exif = Image.Exif()
    exif[0x8825] = {
        1: "N",
        2: (IFDRational(23, 0), IFDRational(1), IFDRational(1)),
        3: "E",
        4: (IFDRational(500), IFDRational(0), IFDRational(0)),
    }
    photo = process_photo(_encode(_marked(), "JPEG", exif=exif.tobytes()), **LIMITS)
    assert (photo.taken_lon, photo.taken_lat) == (None, None)


def test_resized_to_the_longest_edge_and_thumbnail():
    photo = process_photo(_encode(_marked(3000, 1500), "JPEG"), **LIMITS)
    assert (photo.width, photo.height) == (2048, 1024)
    thumb = Image.open(io.BytesIO(photo.thumb))
    assert thumb.size == (320, 160) and thumb.format == "JPEG"
    small = process_photo(_encode(_marked(300, 100), "JPEG"), **LIMITS)
    assert (small.width, small.height) == (300, 100)  # never enlarged


@pytest.mark.parametrize(
    "fmt,media", [("PNG", "image/png"), ("WEBP", "image/webp"), ("HEIF", "image/heic")]
)
def test_png_webp_and_heic_are_accepted_and_stored_as_jpeg(fmt, media):
    photo = process_photo(_encode(_marked(), fmt), **LIMITS)
    assert photo.original_type == media and photo.media_type == "image/jpeg"
    assert Image.open(io.BytesIO(photo.image)).format == "JPEG"
    assert (photo.width, photo.height) == (400, 200)


def test_transparency_is_flattened_on_white():
    image = Image.new("RGBA", (50, 50), (0, 0, 0, 0))
    photo = process_photo(_encode(image, "PNG"), **LIMITS)
    assert min(Image.open(io.BytesIO(photo.image)).getpixel((25, 25))) > 245


def test_an_icc_profile_is_applied_and_not_stored():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    raw = _encode(_marked(), "JPEG", icc_profile=icc)
    photo = process_photo(raw, **LIMITS)
    assert "icc_profile" not in Image.open(io.BytesIO(photo.image)).info


def test_sixteen_bit_and_grey_pngs_are_accepted():
    for mode in ("I;16", "L", "P", "1", "LA"):
        photo = process_photo(_encode(Image.new(mode, (20, 10)), "PNG"), **LIMITS)
        assert (photo.width, photo.height) == (20, 10), mode


def test_same_upload_gives_the_same_hash():
    raw = _encode(_marked(), "PNG")
    assert process_photo(raw, **LIMITS).sha256 == process_photo(raw, **LIMITS).sha256


@pytest.mark.parametrize(
    "raw,code",
    [
        (b"", "empty"),
        (_encode(Image.new("RGB", (8, 8)), "GIF"), "unsupported"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "unsupported"),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "unsupported"),
        (b"%PDF-1.7\n1 0 obj\n", "unsupported"),
        (_encode(Image.new("RGB", (8, 8)), "BMP"), "unsupported"),
        (_encode(Image.new("RGB", (8, 8)), "TIFF"), "unsupported"),
        (b"\x00\x00\x00 ftypavif\x00\x00\x00\x00mif1avif", "unsupported"),
        (b"just some text that is not a picture", "not_image"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "corrupt"),
    ],
    ids=["empty", "gif", "svg", "html", "pdf", "bmp", "tiff", "avif", "text", "jpeg-head"],
)
def test_refused_by_content(raw, code):
    with pytest.raises(PhotoError) as info:
        process_photo(raw, **LIMITS)
    assert info.value.code == code, str(info.value)
    assert str(info.value)


def test_the_file_name_does_not_matter_only_the_bytes():
    # HTML is refused even when the client calls it a JPEG: no name nor type is looked at
    with pytest.raises(PhotoError):
        sniff_format(b"<html><body>photo.jpg</body></html>")
    assert sniff_format(_encode(_marked(), "PNG")) == "PNG"


def test_truncated_jpeg_is_corrupt():
    raw = _encode(_marked(800, 600), "JPEG")
    with pytest.raises(PhotoError) as info:
        process_photo(raw[: len(raw) // 2], **LIMITS)
    assert info.value.code == "corrupt"


def test_too_big_is_refused_before_decoding():
    raw = _encode(_marked(), "PNG")
    with pytest.raises(PhotoError) as info:
        process_photo(raw, max_bytes=len(raw) - 1, max_edge_px=100, thumb_px=10)
    assert info.value.code == "too_big"


def _png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares ``width``×``height`` (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize("side", [8000, 60000])  # over our limit; over Pillow's own too
def test_decompression_bomb_is_refused(side):
    raw = _png_declaring(side, side)
    assert len(raw) < 200
    with pytest.raises(PhotoError) as info:
        process_photo(raw, **LIMITS)
    assert info.value.code == "bomb"


def test_a_polyglot_keeps_nothing_but_pixels():
    # a JPEG with a script after its end and in a comment: the stored copy is re-encoded
    payload = b"<html><script>alert(document.cookie)</script></html>"
    raw = _encode(_marked(), "JPEG", comment=payload) + payload
    photo = process_photo(raw, **LIMITS)
    assert b"<script" not in photo.image and b"<script" not in photo.thumb


@pytest.mark.parametrize(
    "size,stored",
    [
        ((4000, 3000), (2000, 1500)),  # libjpeg's 1/2 scale: within 10 % under 2048, kept
        ((3024, 4032), (1512, 2016)),
        ((3000, 2000), (2048, 1365)),  # 1/2 would be 1500: decoded whole, resampled
        ((8160, 6120), (2040, 1530)),  # 1/4
    ],
)
def test_big_jpegs_are_decoded_at_a_reduced_scale_when_it_fits(size, stored):
    photo = process_photo(_encode(_marked(*size), "JPEG"), **LIMITS)
    assert (photo.width, photo.height) == stored
    assert max(stored) <= LIMITS["max_edge_px"]
    assert Image.open(io.BytesIO(photo.image)).size == stored


def test_heic_turned_by_its_container_is_stored_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # pillow-heif writes this as the container's rotation
    photo = process_photo(_encode(_marked(), "HEIF", exif=exif.tobytes()), **LIMITS)
    assert (photo.width, photo.height) == (200, 400)
    stored = Image.open(io.BytesIO(photo.image))
    assert _blue(stored.getpixel((190, 10))) and not _blue(stored.getpixel((10, 10)))


def test_a_multi_picture_jpeg_from_a_phone_is_a_jpeg():
    # MPO: a JPEG followed by more pictures (depth map, second lens); the first is the photo
    out = io.BytesIO()
    second = Image.new("RGB", (400, 200), (0, 200, 0))
    _marked().save(out, "MPO", save_all=True, append_images=[second])
    photo = process_photo(out.getvalue(), **LIMITS)
    assert photo.original_type == "image/jpeg" and (photo.width, photo.height) == (400, 200)
    assert _blue(Image.open(io.BytesIO(photo.image)).getpixel((10, 10)))


def test_a_zero_position_is_no_position():
    # phones without a fix write 0/0 (a spot in the Gulf of Guinea): no position
    exif = Image.Exif()
    zero = (IFDRational(0), IFDRational(0), IFDRational(0))
    exif[0x8825] = {1: "N", 2: zero, 3: "E", 4: zero}
    photo = process_photo(_encode(_marked(), "JPEG", exif=exif.tobytes()), **LIMITS)
    assert (photo.taken_lon, photo.taken_lat) == (None, None)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "HEIF"])
def test_position_is_read_from_every_accepted_format_and_never_stored(fmt):
    raw = _encode(_marked(), fmt, exif=_exif())
    photo = process_photo(raw, **LIMITS)
    assert photo.taken_lat == pytest.approx(23.66003, abs=1e-4)
    assert photo.taken_lon == pytest.approx(116.625, abs=1e-4)
    assert b"Exif" not in photo.image and b"PhoneMaker" not in photo.image
    assert len(Image.open(io.BytesIO(photo.image)).getexif()) == 0


def test_a_truncated_jpeg_stays_corrupt_after_a_report_was_made():
    # found by the full suite: WeasyPrint sets Pillow's global LOAD_TRUNCATED_IMAGES on
    # import, so once the server had made a PDF report, half a photo was accepted
    # (the first import of weasyprint turns it on; once another test has imported it and the
    # renderer has turned it off, importing again does nothing, so the test turns it on itself,
    # as any library in the process may)
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        raw = _encode(_marked(800, 600), "JPEG")
        with pytest.raises(PhotoError) as info:
            process_photo(raw[: len(raw) // 2], **LIMITS)
        assert info.value.code == "corrupt"
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
