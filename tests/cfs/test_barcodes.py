"""The Code 128 barcodes of the printables: the SVG draws exactly the bars of the code, with no inline style."""

import re

from cfs.templatetags.cfs_tags import QUIET, code128, code128_modules

STOP = "1100011101011"
STARTS = ("11010000100", "11010010000", "11010011100")  # start A, B, C


def bars_drawn(svg: str) -> str:
    """The modules an SVG draws, read back from its path: '1' where a bar is, '0' elsewhere."""
    width = int(re.search(r'viewBox="0 0 (\d+) 1"', svg).group(1))
    modules = ["0"] * width
    for x, w in re.findall(r"M(\d+) 0h(\d+)v1h-\d+z", svg):
        for i in range(int(x), int(x) + int(w)):
            modules[i] = "1"
    return "".join(modules)


def test_the_svg_draws_the_code_128_bars_of_the_hawb_between_quiet_zones():
    modules = code128_modules("SZX0000001")
    assert modules.startswith(STARTS) and modules.endswith(STOP)
    svg = str(code128("SZX0000001"))
    assert bars_drawn(svg) == "0" * QUIET + modules + "0" * QUIET


def test_the_svg_carries_no_style_attribute_and_names_its_value():
    svg = str(code128("H0001"))
    assert "style=" not in svg and 'aria-label="H0001"' in svg and 'data-barcode="H0001"' in svg


def test_different_hawbs_give_different_bars():
    assert code128_modules("H0001") != code128_modules("H0002")
