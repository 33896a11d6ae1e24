"""Picture files read within the pixel limit, before anything is decoded: an 875 KB PNG can
declare 30000 x 30000 pixels (2.6 GB once decoded). The width and height come from the
header of PNG, JPEG, GIF, BMP and WebP files; for other formats OpenCV refuses a picture
past the same limit before allocating it (limits.configure_opencv).

    buffer = read_encoded(path)       # the file's bytes, for cv2.imdecode
    buffer = check_encoded(data, "upload.png")   # bytes already in memory
"""

import struct

import numpy as np

from nnfs_cli import files, limits

OPENCV_REFUSAL = "CV_IO_MAX_IMAGE"   # in the message of the cv2.error OpenCV's own check raises


class TooManyPixels(files.UnreadableFile):
    """A picture whose header declares more than NNFS_MAX_IMAGE_PIXELS pixels."""


def read_encoded(path):
    """The bytes of the picture file `path` as a uint8 array: a regular file of at most
    8 bytes per allowed pixel, whose header (when we can read it) declares at most
    NNFS_MAX_IMAGE_PIXELS pixels. UnreadableFile (an NnfsError) otherwise."""
    return check_encoded(files.read_bytes(path, limits.image_file_bytes(), "image_pixels"), path)


def check_encoded(data, where):
    """A picture file's bytes already in memory (an upload, say) as a uint8 array, checked
    as read_encoded checks a file; `where` names it in the message."""
    if len(data) > limits.image_file_bytes():
        raise files.UnreadableFile(where, files.too_large(len(data), limits.image_file_bytes(),
                                                          "image_pixels"))
    size = dimensions(data)
    if size is not None:
        width, height = size
        limit = limits.get("image_pixels")
        if width * height > limit:
            raise TooManyPixels(where, too_many_pixels(f"{width}x{height} pixels"))
    return np.frombuffer(data, np.uint8)


def too_many_pixels(what="the picture"):
    return (f"{what} is more than the limit of {limits.get('image_pixels'):,} pixels "
            f"{limits.hint('image_pixels')}")


def dimensions(data):
    """(width, height) declared by the header of a PNG, JPEG, GIF, BMP or WebP file, or
    None for other formats and headers too short to say."""
    try:
        if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR":
            return struct.unpack(">II", data[16:24])
        if data[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", data[6:10])
        if data[:2] == b"BM":
            width, height = struct.unpack("<ii", data[18:26])
            return abs(width), abs(height)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _webp(data)
        if data[:2] == b"\xff\xd8":
            return _jpeg(data)
    except struct.error:   # cut short: the decoder will say so
        return None
    return None


def _webp(data):
    chunk = data[12:16]
    if chunk == b"VP8X":
        return (1 + int.from_bytes(data[24:27], "little"),
                1 + int.from_bytes(data[27:30], "little"))
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    return None


# Start-of-frame markers: they carry the size (0xC4, 0xC8 and 0xCC are other segments).
_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg(data):
    """Walk the segments to the first start-of-frame; None if there is none before the
    image data."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:          # padding
            position += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:   # no length
            position += 2
            continue
        if marker == 0xDA:          # start of scan: no frame header came first
            return None
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return width, height
        position += 2 + length
    return None
