"""The window's ``--screenshot`` file name, checked when the command line is read, before
Qt is loaded: ``QImage.save`` picks the image kind from the extension and fails
without a reason for a name it cannot write."""

from __future__ import annotations

import argparse
import os

_FORMATS = ("png jpg jpeg jfif bmp webp", "tif tiff ppm pbm pgm xbm xpm", "ico cur icns wbmp")
SCREENSHOT_FORMATS = frozenset(" ".join(_FORMATS).split())
"""The extensions ``QImageWriter.supportedImageFormats()`` lists with the Qt Rewind
ships (a test keeps them equal)."""

_KINDS = "name it .png, .jpg, .bmp or .webp"


def screenshot_name(text: str) -> str:
    """``text`` when it names a file with an image extension Qt writes, in a folder that
    exists; else ``ArgumentTypeError``, which argparse reports in one line."""
    target = os.path.expanduser(text)
    extension = os.path.splitext(target)[1].lower().lstrip(".")
    if not extension:
        raise argparse.ArgumentTypeError(f"{text} has no image extension; {_KINDS}")
    if extension not in SCREENSHOT_FORMATS:
        raise argparse.ArgumentTypeError(f"{text}: cannot write .{extension} images; {_KINDS}")
    folder = os.path.dirname(target)
    if folder and not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"{text}: folder {folder} does not exist")
    return text
