"""The Chinese font the contract documents are set in, from a distribution package: a
bureau's machine has no internet, so nothing is downloaded at run time.

Debian's ``fonts-noto-cjk`` ships Noto Serif CJK (the 宋体 style contracts are printed in)
as OpenType collections; the simplified-Chinese face is number 2 of each collection. The
font is embedded (subset) in each PDF, so a reader needs no font of its own. No Flask here:
``scripts/run_tests.py`` asks the same question before the tests start.
"""
import os
from dataclasses import dataclass
from pathlib import Path

FONT_PACKAGE = "fonts-noto-cjk"
NOTO_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk",
             "/usr/local/share/fonts")
REGULAR, BOLD = "NotoSerifCJK-Regular.ttc", "NotoSerifCJK-Bold.ttc"
SIMPLIFIED_CHINESE_FACE = 2   # JP, KR, SC, TC, HK in each collection


class FontMissing(RuntimeError):
    """No CJK font to set a contract in; the message says what to install."""


@dataclass(frozen=True)
class CjkFont:
    regular: str
    bold: str
    face: int


def missing_message():
    return (f"The contract PDF needs the Noto Serif CJK font ({REGULAR}, {BOLD}). Install "
            f"it: apt-get install {FONT_PACKAGE} (or set CONTRACT_FONT_DIR to a folder "
            "holding both files).")


def find_cjk_font(directory=None):
    """The font files: in ``directory`` (or ``CONTRACT_FONT_DIR``) if given, else where
    the Debian package puts them. Raises FontMissing, naming the package, when absent."""
    chosen = directory or os.environ.get("CONTRACT_FONT_DIR")
    for folder in ([chosen] if chosen else NOTO_DIRS):
        regular, bold = Path(folder) / REGULAR, Path(folder) / BOLD
        if regular.is_file() and bold.is_file():
            return CjkFont(str(regular), str(bold), SIMPLIFIED_CHINESE_FACE)
    raise FontMissing(missing_message())
