"""Realistic manifest files (HAWB uploads) for demos, benchmarks and tests.

`manifest_rows` builds the rows a forwarder would send: parcels of Asian e-commerce sellers
consolidated under master air waybills, addressed to US buyers, some of whom buy several parcels
on the same day. It can inject one defect into a share of the rows and says, for every row, which
row-check codes (shared/spec/manifest-csv.md §4) a correct validator reports for it.
`write_manifest` writes the rows as delimited text in any Python codec, or as an .xlsx workbook.

Everything comes from one `random.Random(seed)`, so a seed always gives the same file.
"""

import csv
import datetime
import random
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

COLUMNS = (
    "mawb",
    "hawb",
    "origin_airport",
    "destination_airport",
    "flight_number",
    "arrival_date",
    "shipper_name",
    "shipper_address",
    "shipper_city",
    "shipper_country",
    "consignee_name",
    "consignee_address1",
    "consignee_address2",
    "consignee_city",
    "consignee_state",
    "consignee_zip",
    "consignee_country",
    "consignee_phone",
    "consignee_email",
    "description",
    "hts_code",
    "country_of_origin",
    "pieces",
    "weight",
    "weight_unit",
    "value",
    "currency",
)

REQUIRED_COLUMNS = (
    "mawb",
    "hawb",
    "origin_airport",
    "destination_airport",
    "flight_number",
    "arrival_date",
    "shipper_name",
    "shipper_address",
    "shipper_country",
    "consignee_name",
    "consignee_address1",
    "consignee_city",
    "consignee_state",
    "consignee_zip",
    "description",
    "hts_code",
    "country_of_origin",
    "pieces",
    "weight",
    "value",
)

# The first Chinese alias of each column in the spec's alias table; columns without one keep
# their English name, as forwarders' Chinese templates do.
CHINESE_HEADERS = {
    "mawb": "主单号",
    "hawb": "分单号",
    "origin_airport": "始发港",
    "destination_airport": "目的港",
    "flight_number": "航班号",
    "arrival_date": "到达日期",
    "shipper_name": "发件人",
    "shipper_address": "发件人地址",
    "shipper_country": "发件国",
    "consignee_name": "收件人",
    "consignee_address1": "收件人地址",
    "consignee_city": "收件人城市",
    "consignee_state": "州",
    "consignee_zip": "邮编",
    "consignee_phone": "电话",
    "description": "品名",
    "hts_code": "海关编码",
    "country_of_origin": "原产国",
    "pieces": "件数",
    "weight": "重量",
    "weight_unit": "重量单位",
    "value": "申报价值",
    "currency": "币种",
}

DEFAULT_AIRPORTS = ("LAX", "SFO", "JFK", "ATL")

# Entry Type 86 started on 2019-09-28; the portal refuses older arrivals (R_DATE).
FIRST_ARRIVAL = datetime.date(2019, 9, 28)

HAWB_LENGTH = 12
HAWB_INDEX_DIGITS = 6
MAX_ROWS = 10**HAWB_INDEX_DIGITS - 1

VAGUE_TERMS = (
    "gift", "gifts", "sample", "samples", "parts", "spare parts", "accessories", "daily necessities",
    "daily necessity", "daily use", "consolidated", "consolidation", "general merchandise", "merchandise",
    "goods", "item", "items", "product", "products", "stuff", "misc", "miscellaneous", "various",
    "personal effects", "apparel", "clothing", "electronics",
)  # fmt: skip

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


# --- Reference data ------------------------------------------------------------------------

# (IATA prefix, carrier code, origins it flies to the US from)
AIRLINES = (
    ("160", "CX", ("HKG",)),
    ("297", "CI", ("TPE",)),
    ("695", "BR", ("TPE",)),
    ("180", "KE", ("ICN",)),
    ("988", "OZ", ("ICN",)),
    ("784", "CZ", ("CAN", "SZX", "PVG")),
    ("781", "MU", ("PVG",)),
    ("999", "CA", ("PVG",)),
    ("112", "CK", ("PVG",)),
    ("618", "SQ", ("SGN", "BKK")),
    ("217", "TG", ("BKK",)),
    ("738", "VN", ("SGN",)),
    ("406", "5X", ("HKG", "SZX", "ICN", "TPE")),
    ("023", "FX", ("CAN", "HKG", "PVG")),
    ("369", "5Y", ("HKG", "PVG", "TPE", "CAN", "SGN")),
)

# Most US-bound e-commerce air freight leaves from the Pearl River Delta and Shanghai.
ORIGIN_WEIGHTS = {"HKG": 25, "PVG": 20, "SZX": 15, "CAN": 15, "TPE": 7, "ICN": 7, "SGN": 6, "BKK": 5}


@dataclass(frozen=True)
class Shipper:
    name: str
    address: str
    city: str
    country: str
    categories: tuple[str, ...]


SHIPPERS = {
    "HKG": (
        Shipper("Kowloon Gadget Supply Ltd", "12 Nathan Road, Tsim Sha Tsui", "Hong Kong", "HK", ("electronics", "accessories")),
        Shipper("Victoria Harbour Trading Co Ltd", "Unit 1203, 88 Hing Fat Street, Causeway Bay", "Hong Kong", "HK",
                ("beauty", "accessories")),
        Shipper("Lucky Star E-Commerce Ltd", "Flat B, 7/F, Kwai Shing Industrial Building, 42 Wo Yi Hop Road", "Kwai Chung", "HK",
                ("apparel", "home")),
        Shipper("Pearl River Cross-Border Ltd", "Room 905, Tower 2, Lippo Centre, 89 Queensway", "Admiralty", "HK",
                ("electronics", "toys")),
        # Shenzhen and Dongguan sellers truck their parcels to Hong Kong airport.
        Shipper("Shenzhen Bright Trading Co Ltd", "Bldg 5, Longhua Industrial Park", "Shenzhen", "CN", ("electronics", "home")),
        Shipper("Dongguan Everwin Electronics Co Ltd", "No. 18 Xinfeng Road, Chang'an Town", "Dongguan", "CN", ("electronics",)),
    ),
    "SZX": (
        Shipper("Shenzhen Bright Trading Co Ltd", "Bldg 5, Longhua Industrial Park", "Shenzhen", "CN", ("electronics", "home")),
        Shipper("Shenzhen Huaqiang Digital Co Ltd", "Room 1608, SEG Plaza, 1002 Huaqiang North Road, Futian District", "Shenzhen", "CN",
                ("electronics",)),
        Shipper("Shenzhen Yuetai Household Products Co Ltd", "No. 33 Bantian Wuhe Avenue, Longgang District", "Shenzhen", "CN",
                ("home", "toys")),
        Shipper("Shenzhen Nanshan Smart Tech Co Ltd", "8F, Block A, Tianan Cyber Park, Nanshan District", "Shenzhen", "CN",
                ("electronics", "accessories")),
        Shipper("Dongguan Everwin Electronics Co Ltd", "No. 18 Xinfeng Road, Chang'an Town", "Dongguan", "CN", ("electronics",)),
    ),
    "CAN": (
        Shipper("Guangzhou Baiyun Apparel Co Ltd", "No. 128 Jichang Road, Baiyun District", "Guangzhou", "CN", ("apparel",)),
        Shipper("Guangzhou Lihe Cosmetics Co Ltd", "Room 302, No. 16 Huangpu Avenue West, Tianhe District", "Guangzhou", "CN",
                ("beauty",)),
        Shipper("Foshan Shunde Home Appliance Co Ltd", "No. 9 Beijiao Industrial Avenue, Shunde District", "Foshan", "CN", ("home",)),
        Shipper("Guangzhou Panyu Jewelry Trading Co", "No. 66 Shiqiao Road, Panyu District", "Guangzhou", "CN", ("accessories",)),
    ),
    "PVG": (
        Shipper("Yiwu Star Commerce Co", "88 Futian Road", "Yiwu", "CN", ("home", "toys", "accessories")),
        Shipper("Shanghai Pudong Cross-Border E-Commerce Co Ltd", "No. 500 Zhangjiang Road, Pudong New Area", "Shanghai", "CN",
                ("electronics", "beauty")),
        Shipper("Hangzhou Westlake Silk Trading Co Ltd", "No. 215 Wensan Road, Xihu District", "Hangzhou", "CN", ("apparel",)),
        Shipper("Ningbo Harbor Houseware Co Ltd", "No. 77 Zhongshan East Road, Yinzhou District", "Ningbo", "CN", ("home",)),
        Shipper("Suzhou Industrial Park Textile Co Ltd", "No. 1 Xinghu Street, SIP", "Suzhou", "CN", ("apparel", "home")),
        Shipper("Yiwu Futian Small Commodities Co Ltd", "Block 3, International Trade City, Chouzhou North Road", "Yiwu", "CN",
                ("toys", "accessories")),
    ),
    "TPE": (
        Shipper("Taipei Neihu Electronics Co Ltd", "No. 35, Lane 11, Sec. 6, Minquan E. Rd., Neihu Dist.", "Taipei", "TW",
                ("electronics",)),
        Shipper("Formosa Lifestyle Trading Co", "7F, No. 100, Sec. 2, Zhongxiao E. Rd.", "Taipei", "TW", ("home", "beauty")),
        Shipper("Taoyuan Outdoor Gear Co Ltd", "No. 88, Nankan Rd., Luzhu Dist.", "Taoyuan", "TW", ("toys",)),
    ),
    "ICN": (
        Shipper("Seoul Beauty Export Co Ltd", "24 Teheran-ro 10-gil, Gangnam-gu", "Seoul", "KR", ("beauty",)),
        Shipper("Incheon K-Style Fashion Co Ltd", "155 Songdo-dong, Yeonsu-gu", "Incheon", "KR", ("apparel", "accessories")),
        Shipper("Busan Ocean Trading Co", "33 Jungang-daero, Jung-gu", "Busan", "KR", ("home", "electronics")),
    ),
    "SGN": (
        Shipper("Saigon Apparel Export JSC", "45 Le Loi Street, District 1", "Ho Chi Minh City", "VN", ("apparel",)),
        Shipper("Binh Duong Furniture and Crafts Co Ltd", "Lot C5, VSIP II Industrial Park", "Thu Dau Mot", "VN", ("home",)),
        Shipper("Mekong Coffee and Goods JSC", "12 Nguyen Hue Boulevard, District 1", "Ho Chi Minh City", "VN", ("beauty", "home")),
    ),
    "BKK": (
        Shipper("Bangkok Home Goods Co", "9 Sukhumvit Soi 21", "Bangkok", "TH", ("home",)),
        Shipper("Siam Herbal Products Co Ltd", "120 Rama IV Road, Silom, Bang Rak", "Bangkok", "TH", ("beauty",)),
        Shipper("Chiang Mai Handicraft Export Co", "55 Nimmanhaemin Road, Suthep", "Chiang Mai", "TH", ("home", "accessories")),
    ),
}

# Where the goods were made, by the seller's country: Hong Kong and Taiwan sellers resell a lot
# of mainland-made goods, and a few goods everywhere come from Japan or India.
ORIGIN_COUNTRY_WEIGHTS = {
    "CN": {"CN": 94, "JP": 3, "IN": 3},
    "HK": {"CN": 68, "HK": 18, "JP": 9, "IN": 5},
    "TW": {"TW": 70, "CN": 20, "JP": 10},
    "KR": {"KR": 85, "CN": 10, "JP": 5},
    "VN": {"VN": 80, "CN": 20},
    "TH": {"TH": 75, "CN": 15, "IN": 10},
}


@dataclass(frozen=True)
class Product:
    description: str
    hts: str  # 10 digits
    kg: tuple[float, float]  # weight of one unit, packed
    usd: tuple[float, float]  # price of one unit


def _p(description, hts, kg_low, kg_high, usd_low, usd_high):
    return Product(description, hts, (kg_low, kg_high), (usd_low, usd_high))


PRODUCTS = {
    "electronics": (
        _p("Bluetooth wireless earphones", "8518300000", 0.08, 0.3, 12, 80),
        _p("USB-C charging cable", "8544429000", 0.03, 0.1, 3, 15),
        _p("Silicone phone case", "3926909985", 0.03, 0.08, 3, 20),
        _p("Tempered glass screen protector", "7007190000", 0.02, 0.06, 2, 12),
        _p("Portable power bank 10000mAh", "8507600020", 0.2, 0.35, 15, 45),
        _p("Smart watch with heart rate monitor", "8517620090", 0.1, 0.25, 25, 150),
        _p("Wireless computer mouse", "8471607000", 0.08, 0.15, 6, 35),
        _p("Mechanical gaming keyboard", "8471606000", 0.6, 1.2, 30, 150),
        _p("LED desk lamp, plastic", "9405210000", 0.5, 1.2, 12, 60),
        _p("Bluetooth portable speaker", "8518220000", 0.3, 0.8, 15, 90),
        _p("Action camera, 4K", "8525893000", 0.1, 0.25, 40, 250),
        _p("Smartphone, 128GB, unlocked", "8517130000", 0.2, 0.35, 150, 900),
        _p("Tablet computer, 10 inch", "8471300100", 0.45, 0.7, 80, 400),
        _p("Laptop computer, 14 inch", "8471300100", 1.3, 2.1, 300, 1500),
        _p("Phone tripod stand, aluminum", "9620005000", 0.2, 0.5, 8, 30),
        # Nicotine e-liquid is HTS chapter 24: never de minimis.
        _p("Nicotine e-liquid, 10 ml bottles", "2404120000", 0.05, 0.15, 5, 25),
    ),
    "apparel": (
        _p("Women's cotton knit T-shirt", "6109100012", 0.15, 0.3, 4, 20),
        _p("Men's cotton knit T-shirt", "6109100004", 0.18, 0.32, 4, 20),
        _p("Women's polyester knit dress", "6104432010", 0.2, 0.5, 8, 45),
        _p("Women's polyester leggings", "6104632030", 0.15, 0.3, 5, 25),
        _p("Men's synthetic running shoes", "6404110000", 0.6, 1.1, 15, 90),
        _p("Women's canvas sneakers", "6404199060", 0.5, 0.9, 10, 45),
        _p("Men's cotton denim jeans", "6203424011", 0.5, 0.9, 12, 60),
        _p("Women's acrylic knit cardigan", "6110303059", 0.3, 0.6, 10, 45),
        _p("Cotton baseball cap", "6505008015", 0.08, 0.15, 3, 18),
        _p("Cotton socks, 6 pairs", "6115959000", 0.15, 0.3, 4, 15),
        _p("Women's silk scarf", "6214102000", 0.05, 0.12, 8, 60),
        _p("Women's nylon swimsuit", "6112410010", 0.1, 0.25, 8, 40),
        _p("Children's cotton pajama set", "6111206020", 0.15, 0.3, 6, 25),
    ),
    "beauty": (
        _p("Lipstick", "3304100000", 0.03, 0.08, 3, 25),
        _p("Nail polish, 6 bottles", "3304300000", 0.1, 0.25, 4, 20),
        _p("Hydrating face sheet masks, 10 pack", "3304995000", 0.2, 0.35, 5, 30),
        _p("Sunscreen lotion SPF 50", "3304995000", 0.08, 0.2, 6, 35),
        _p("Makeup brush set", "9603294010", 0.1, 0.3, 5, 30),
        _p("Artificial eyelashes", "6704190000", 0.02, 0.05, 2, 15),
        _p("Ceramic hair straightener", "8516320000", 0.4, 0.8, 15, 80),
        _p("Vitamin C tablets", "2106909998", 0.1, 0.3, 6, 30),
        _p("Green tea leaves", "0902100000", 0.1, 0.5, 5, 60),
        _p("Ground coffee, robusta", "0901210030", 0.25, 0.6, 6, 30),
        _p("Herbal massage balm", "3004909290", 0.03, 0.1, 3, 15),
    ),
    "home": (
        _p("Stainless steel water bottle", "7323930080", 0.3, 0.5, 6, 35),
        _p("Ceramic coffee mug", "6912004400", 0.3, 0.5, 4, 20),
        _p("Silicone kitchen spatula set", "3924104000", 0.2, 0.4, 5, 25),
        _p("Cotton bath towel set", "6302600010", 0.6, 1.4, 10, 50),
        _p("Polyester microfiber bed sheet set", "6302322020", 0.8, 1.6, 12, 60),
        _p("Soy wax scented candle", "3406000000", 0.2, 0.5, 5, 30),
        _p("Wall clock, plastic", "9105218000", 0.3, 0.8, 8, 40),
        _p("Acrylic paint set, 24 colors", "3213100000", 0.3, 0.7, 6, 30),
        _p("Bamboo cutting board", "4419200000", 0.5, 1.2, 6, 35),
        _p("Ceramic flower vase", "6913905000", 0.4, 1.2, 8, 50),
        _p("Linen throw pillow cover", "6304996040", 0.1, 0.25, 3, 18),
    ),
    "toys": (
        _p("Plastic toy car for children", "9503000073", 0.1, 0.5, 4, 30),
        _p("Plush stuffed toy bear", "9503000071", 0.1, 0.4, 5, 30),
        _p("Plastic building blocks set", "9503000090", 0.3, 1.2, 8, 80),
        _p("Jigsaw puzzle, 1000 pieces", "9503000060", 0.4, 0.8, 6, 25),
        _p("Yoga mat, TPE foam", "9506910030", 0.8, 1.5, 10, 40),
        _p("Fitness resistance bands set", "9506910030", 0.2, 0.5, 5, 25),
        _p("Fishing lure set", "9507908000", 0.1, 0.4, 5, 30),
        _p("LED camping headlamp", "8513102000", 0.08, 0.2, 5, 25),
        _p("Badminton rackets, pair", "9506598000", 0.3, 0.6, 10, 50),
    ),
    "accessories": (
        _p("Stainless steel stud earrings", "7117199000", 0.01, 0.05, 2, 15),
        _p("Sterling silver pendant necklace", "7113115000", 0.02, 0.06, 15, 120),
        _p("Quartz wristwatch, stainless steel", "9102112500", 0.1, 0.2, 15, 150),
        _p("Polarized sunglasses", "9004100000", 0.05, 0.12, 5, 40),
        _p("PU leather handbag", "4202229000", 0.4, 0.9, 12, 70),
        _p("Polyester backpack", "4202923120", 0.4, 0.9, 10, 50),
        _p("Men's leather wallet", "4202316000", 0.1, 0.2, 8, 45),
        _p("Plastic hair clips, set of 12", "9615190000", 0.05, 0.15, 2, 10),
        _p("Nylon dog collar", "4201003000", 0.05, 0.15, 3, 18),
        _p("Pet grooming brush", "9603908050", 0.08, 0.2, 4, 20),
    ),
}

# (city, state, ZIP prefix, area codes, weight) – large markets buy more.
CITIES = (
    ("Los Angeles", "CA", "900", ("213", "323", "310"), 30), ("San Francisco", "CA", "941", ("415",), 10),
    ("San Jose", "CA", "951", ("408",), 8), ("San Diego", "CA", "921", ("619", "858"), 10),
    ("Irvine", "CA", "926", ("949",), 6), ("Sacramento", "CA", "958", ("916",), 5),
    ("Fresno", "CA", "937", ("559",), 3), ("Oakland", "CA", "946", ("510",), 4),
    ("Seattle", "WA", "981", ("206",), 8), ("Spokane", "WA", "992", ("509",), 2),
    ("Portland", "OR", "972", ("503",), 5), ("Boise", "ID", "837", ("208",), 2),
    ("Las Vegas", "NV", "891", ("702",), 5), ("Phoenix", "AZ", "850", ("602",), 8),
    ("Tucson", "AZ", "857", ("520",), 3), ("Salt Lake City", "UT", "841", ("801",), 3),
    ("Denver", "CO", "802", ("303", "720"), 6), ("Albuquerque", "NM", "871", ("505",), 2),
    ("Dallas", "TX", "752", ("214", "469"), 10), ("Houston", "TX", "770", ("713", "832"), 12),
    ("Austin", "TX", "787", ("512",), 6), ("San Antonio", "TX", "782", ("210",), 6),
    ("El Paso", "TX", "799", ("915",), 2), ("Oklahoma City", "OK", "731", ("405",), 3),
    ("Wichita", "KS", "672", ("316",), 2), ("Omaha", "NE", "681", ("402",), 2),
    ("Minneapolis", "MN", "554", ("612",), 4), ("Des Moines", "IA", "503", ("515",), 2),
    ("Kansas City", "MO", "641", ("816",), 3), ("St. Louis", "MO", "631", ("314",), 3),
    ("Chicago", "IL", "606", ("312", "773"), 14), ("Milwaukee", "WI", "532", ("414",), 3),
    ("Detroit", "MI", "482", ("313",), 4), ("Grand Rapids", "MI", "495", ("616",), 2),
    ("Indianapolis", "IN", "462", ("317",), 3), ("Columbus", "OH", "432", ("614",), 4),
    ("Cleveland", "OH", "441", ("216",), 3), ("Louisville", "KY", "402", ("502",), 2),
    ("Nashville", "TN", "372", ("615",), 4), ("Memphis", "TN", "381", ("901",), 2),
    ("Atlanta", "GA", "303", ("404", "678"), 8), ("Savannah", "GA", "314", ("912",), 1),
    ("Birmingham", "AL", "352", ("205",), 2), ("Jackson", "MS", "392", ("601",), 1),
    ("New Orleans", "LA", "701", ("504",), 2), ("Little Rock", "AR", "722", ("501",), 1),
    ("Miami", "FL", "331", ("305", "786"), 10), ("Orlando", "FL", "328", ("407",), 6),
    ("Tampa", "FL", "336", ("813",), 5), ("Jacksonville", "FL", "322", ("904",), 3),
    ("Charlotte", "NC", "282", ("704",), 4), ("Raleigh", "NC", "276", ("919",), 3),
    ("Charleston", "SC", "294", ("843",), 2), ("Richmond", "VA", "232", ("804",), 2),
    ("Arlington", "VA", "222", ("703",), 3), ("Washington", "DC", "200", ("202",), 4),
    ("Baltimore", "MD", "212", ("410",), 3), ("Wilmington", "DE", "198", ("302",), 1),
    ("Philadelphia", "PA", "191", ("215", "267"), 7), ("Pittsburgh", "PA", "152", ("412",), 3),
    ("Newark", "NJ", "071", ("973",), 3), ("Jersey City", "NJ", "073", ("201",), 3),
    ("New York", "NY", "100", ("212", "646"), 16), ("Brooklyn", "NY", "112", ("718", "347"), 12),
    ("Flushing", "NY", "113", ("718",), 6), ("Buffalo", "NY", "142", ("716",), 2),
    ("Hartford", "CT", "061", ("860",), 2), ("Providence", "RI", "029", ("401",), 2),
    ("Boston", "MA", "021", ("617",), 6), ("Worcester", "MA", "016", ("508",), 2),
    ("Manchester", "NH", "031", ("603",), 1), ("Burlington", "VT", "054", ("802",), 1),
    ("Portland", "ME", "041", ("207",), 1), ("Charleston", "WV", "253", ("304",), 1),
    ("Fargo", "ND", "581", ("701",), 1), ("Sioux Falls", "SD", "571", ("605",), 1),
    ("Billings", "MT", "591", ("406",), 1), ("Cheyenne", "WY", "820", ("307",), 1),
    ("Anchorage", "AK", "995", ("907",), 1), ("Honolulu", "HI", "968", ("808",), 2),
    ("San Juan", "PR", "009", ("787",), 2),
)  # fmt: skip

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth", "William",
    "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher", "Karen", "Daniel", "Lisa",
    "Matthew", "Nancy", "Anthony", "Ashley", "Mark", "Emily", "Steven", "Michelle", "Andrew", "Amanda", "Joshua",
    "Melissa", "Kevin", "Stephanie", "Brian", "Rebecca", "Tyler", "Laura", "Brandon", "Megan", "Jacob", "Hannah",
    "Ethan", "Olivia", "Noah", "Emma", "Liam", "Sophia", "Aiden", "Chloe", "Jayden", "Madison", "Luis", "Ana",
    "Carlos", "Maria", "Jose", "Sofia", "Miguel", "Camila", "Juan", "Valentina", "Wei", "Mei", "Minh", "Linh",
    "Hiroshi", "Yuki", "Priya", "Raj", "Ji-woo", "Min-jun", "Tanisha", "DeShawn", "Aaliyah", "Malik", "Fatima",
    "Omar", "Siobhan", "Connor", "Renée", "José", "María", "Zoë", "Björn", "Chloé", "Andrés", "Inés",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
    "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
    "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Chen", "Wang", "Kim", "Patel", "Singh", "Tran",
    "Le", "Park", "Wu", "Huang", "O'Brien", "Murphy", "Cohen", "Schmidt", "Washington", "Okafor", "Muñoz", "Peña",
    "Müller", "Nuñez",
)  # fmt: skip

STREETS = (
    "Main St", "Oak Ave", "Maple Dr", "Elm St", "Cedar Ln", "Pine Rd", "Park Ave", "Sunset Blvd", "Lake View Ct",
    "2nd Ave", "3rd St", "Washington St", "Highland Ave", "Willow Way", "Hillcrest Dr", "Mission St", "Broadway",
    "Market St", "Church St", "Valley Rd", "Jefferson Ave", "Lincoln Ave", "Spring St", "River Rd", "Magnolia Blvd",
    "Peachtree St NE", "Ocean Ave", "College Ave", "Franklin St", "Chestnut St", "Walnut St", "Forest Dr",
    "Meadow Ln", "Sycamore Ave", "Ridge Rd", "Cherry Ln", "W 42nd St", "E Colfax Ave", "N Halsted St", "S Congress Ave",
)  # fmt: skip

SECOND_LINES = ("Apt 4B", "Apt 12", "Apt 305", "Unit 7", "Unit 210", "Suite 200", "# 14", "Fl 2", "Apt 1A", "Bldg C")

# Reserved for documentation (RFC 2606): demo files never name a real mailbox.
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")


# --- Building blocks -----------------------------------------------------------------------


def mawb_check_digit(serial: str) -> str:
    """The 11th digit of a MAWB: the 7-digit serial (digits 4–10) modulo 7."""
    return str(int(serial) % 7)


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _date_text(year: int, month: int, day: int, style: str) -> str:
    """A date as forwarders write it; plain numbers, so that impossible days can be written too."""
    if style == "iso":
        return f"{year}-{month:02d}-{day:02d}"
    if style == "slash":
        return f"{year}/{month:02d}/{day:02d}"
    if style == "compact":
        return f"{year}{month:02d}{day:02d}"
    if style == "dash_mon":
        return f"{day:02d}-{MONTHS[month - 1].title()}-{year}"
    return f"{day:02d}{MONTHS[month - 1]}{year}"


DATE_STYLES = {"iso": 50, "mon": 15, "dash_mon": 15, "slash": 10, "compact": 10}


@dataclass
class Consolidation:
    """One MAWB: one flight from one origin to one destination on one day."""

    prefix: str
    carrier: str
    mawb: str
    origin: str
    destination: str
    flight: str
    arrival: datetime.date
    shippers: list[Shipper]
    mawb_text: str
    flight_text: str
    date_style: str
    # Some forwarders merge sheets, so one MAWB is written in several equivalent ways.
    mixed: bool
    weight_unit: str
    weight_decimals: int
    currency: str
    dollar_sign: bool

    def written(self, rng: random.Random) -> dict[str, str]:
        if not (self.mixed and rng.random() < 0.3):
            return {
                "mawb": self.mawb_text,
                "origin_airport": self.origin,
                "destination_airport": self.destination,
                "flight_number": self.flight_text,
                "arrival_date": self.date_text(self.date_style),
            }
        # The same values, written differently; a validator compares them normalised.
        return {
            "mawb": rng.choice((self.mawb, f"{self.mawb[:3]}-{self.mawb[3:]}")),
            "origin_airport": rng.choice((self.origin, self.origin.lower())),
            "destination_airport": rng.choice((self.destination, self.destination.lower())),
            "flight_number": rng.choice((self.flight.lower(), f"{self.carrier} {self.flight[2:]}")),
            "arrival_date": self.date_text(_weighted(rng, DATE_STYLES)),
        }

    def date_text(self, style: str) -> str:
        return _date_text(self.arrival.year, self.arrival.month, self.arrival.day, style)


def _flight_number(rng: random.Random, carrier: str) -> str:
    low, high = rng.choices(((1, 99), (100, 999), (1000, 9899)), weights=(5, 70, 25))[0]
    suffix = "A" if rng.random() < 0.03 else ""
    return f"{carrier}{rng.randint(low, high)}{suffix}"


@dataclass(frozen=True)
class Consignee:
    first: str
    last: str
    street: str
    line2: str
    city: str
    state: str
    zip5: str
    plus4: str
    area_code: str
    email: str


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _new_consignee(rng: random.Random) -> Consignee:
    city, state, zip_prefix, area_codes, _ = rng.choices(CITIES, weights=[c[4] for c in CITIES])[0]
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    email = ""
    if rng.random() < 0.3:
        local = _ascii(f"{first}.{last}").lower().replace("'", "").replace(" ", "")
        email = f"{local}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"
    return Consignee(
        first=first,
        last=last,
        street=f"{rng.randint(1, 9999)} {rng.choice(STREETS)}",
        line2=rng.choice(SECOND_LINES) if rng.random() < 0.2 else "",
        city=city,
        state=state,
        zip5=f"{zip_prefix}{rng.randint(1, 99):02d}",
        plus4=f"{rng.randint(1, 9999):04d}" if rng.random() < 0.1 else "",
        area_code=rng.choice(area_codes),
        email=email,
    )


class ConsigneeBook:
    """US buyers; some come back for several parcels on the same day, as real shoppers do."""

    REPEAT_SHARE = 0.15
    RECENT = 400  # repeat buyers mostly show up in the same or a nearby consolidation

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.people: list[Consignee] = []

    def pick(self) -> tuple[Consignee, bool]:
        if self.people and self.rng.random() < self.REPEAT_SHARE:
            count = len(self.people)
            return self.people[self.rng.randrange(max(0, count - self.RECENT), count)], True
        person = _new_consignee(self.rng)
        self.people.append(person)
        return person, False


def _consignee_cells(rng: random.Random, person: Consignee, repeat: bool) -> dict[str, str]:
    name = f"{person.first} {person.last}"
    street = person.street
    zip_code = f"{person.zip5}-{person.plus4}" if person.plus4 else person.zip5
    if repeat:
        # A repeat order is often typed differently; the consignee identity (policy.md) is the same.
        if rng.random() < 0.25:
            name = name.upper()
        if rng.random() < 0.2:
            street = street.upper()
        if rng.random() < 0.3:
            zip_code = person.zip5
    elif rng.random() < 0.05:
        name = name.upper()
    phone = ""
    line = f"555-01{rng.randint(0, 99):02d}"  # 555-0100..0199 is reserved for fiction
    style = rng.random()
    if style < 0.6:
        phone = f"{person.area_code}-{line}"
    elif style < 0.75:
        phone = f"({person.area_code}) {line}"
    elif style < 0.85:
        phone = f"+1 {person.area_code} {line.replace('-', ' ')}"
    elif style < 0.9:
        phone = f"{person.area_code}{line.replace('-', '')}"
    return {
        "consignee_name": name,
        "consignee_address1": street,
        "consignee_address2": person.line2,
        "consignee_city": person.city,
        "consignee_state": person.state,
        "consignee_zip": zip_code,
        "consignee_country": rng.choices(("US", "", "us"), weights=(70, 25, 5))[0],
        "consignee_phone": phone,
        "consignee_email": person.email if rng.random() < 0.9 else "",
    }


def _hts_text(rng: random.Random, hts: str) -> str:
    if rng.random() < 0.2:
        return f"{hts[:4]}.{hts[4:6]}.{hts[6:]}"
    return hts


def _number_text(amount: float, decimals: int) -> str:
    return f"{max(amount, 10**-decimals):.{decimals}f}"


def _value_text(amount: float, dollar_sign: bool, rng: random.Random) -> str:
    if amount >= 1000 and rng.random() < 0.5:
        text = f"{amount:,.2f}"  # thousands separators are allowed
    elif amount == int(amount):
        text = str(int(amount))
    else:
        text = f"{amount:.2f}"
    return f"${text}" if dollar_sign else text


def _goods_cells(rng: random.Random, group: Consolidation, shipper: Shipper) -> dict[str, str]:
    product = rng.choice(PRODUCTS[rng.choice(shipper.categories)])
    pieces = rng.choices((1, 2, 3, 4, 5), weights=(70, 15, 8, 4, 3))[0]
    kg = sum(rng.uniform(*product.kg) for _ in range(pieces)) + 0.05
    low, high = product.usd
    # Skewed towards the cheap end, with a long tail of bulk orders; sellers rarely declare
    # less than a few dollars even for trinkets.
    value = sum(low + (high - low) * rng.random() ** 2 for _ in range(pieces))
    if rng.random() < 0.04:
        value *= rng.uniform(3, 15)
    value = round(min(max(value, rng.uniform(4.5, 8)), rng.uniform(2500, 3000)), rng.choice((2, 2, 2, 0)))

    unit = group.weight_unit if rng.random() < 0.9 else rng.choice(("K", "KG", "LB", "L", "kg"))
    weight = kg / 0.45359237 if unit.upper().startswith("L") else kg
    origin_weights = ORIGIN_COUNTRY_WEIGHTS[shipper.country]
    return {
        "description": product.description,
        "hts_code": _hts_text(rng, product.hts),
        "country_of_origin": _weighted(rng, origin_weights),
        "pieces": str(pieces),
        "weight": _number_text(weight, group.weight_decimals),
        "weight_unit": unit,
        "value": _value_text(value, group.dollar_sign, rng),
        "currency": group.currency if rng.random() < 0.95 else rng.choice(("USD", "")),
    }


# --- Defects -------------------------------------------------------------------------------


@dataclass
class DefectContext:
    rng: random.Random
    group: Consolidation
    earlier: list[dict]  # clean rows of this consolidation so far: what a pasted-twice line copies
    keys: list[tuple[str, str]]  # (mawb, hawb) as written by earlier rows whose defect left both alone
    unserved: list[str]  # destinations the validator refuses
    fresh_mawb: Callable[[str], str]


@dataclass(frozen=True)
class Defect:
    name: str
    code: str
    apply: Callable[[DefectContext, dict], bool]  # False when it cannot apply to this row
    weight: int = 1


def _blank_required(ctx, row):
    row[ctx.rng.choice(REQUIRED_COLUMNS)] = ctx.rng.choice(("", "", " "))
    return True


def _malformed_mawb(ctx, row):
    # Each variant is derived from this MAWB alone, so two groups never share a malformed number.
    m = ctx.group.mawb
    row["mawb"] = ctx.rng.choice((m[:10], f"{m}{ctx.rng.randint(0, 9)}", f"{m[:10]}O", f"{m[:3]}/{m[3:]}"))
    return True


def _wrong_check_digit(ctx, row):
    m = ctx.group.mawb
    row["mawb"] = m[:10] + ctx.rng.choice([d for d in "0123456789" if d != m[10]])
    return True


def _malformed_hawb(ctx, row):
    hawb = row["hawb"]
    row["hawb"] = ctx.rng.choice((f"{hawb}XYZ9", f"{hawb[:2]}-{hawb[2:]}", f"{hawb}/1", f"{hawb[:2]} {hawb[2:]}"))
    return True


def _duplicate_hawb(ctx, row):
    if ctx.earlier and ctx.rng.random() < 0.5:
        row.update(ctx.rng.choice(ctx.earlier))  # the same line pasted twice
        return True
    if not ctx.keys:
        return False
    # A HAWB typed again for another parcel; the earlier row may have errors of its own.
    mawb, hawb = ctx.rng.choice(ctx.keys)
    row["mawb"] = mawb
    row["hawb"] = ctx.rng.choice((hawb, hawb.lower()))
    return True


# The next five change a value the MAWB group is compared on. The row moves to a MAWB of its
# own, so that only this row is wrong and the rest of its consolidation stays consistent.


def _malformed_origin(ctx, row):
    row["origin_airport"] = ctx.rng.choice(("12X", "HK", "PVGX", "SZ1"))
    row["mawb"] = ctx.fresh_mawb(ctx.group.prefix)
    return True


def _unserved_destination(ctx, row):
    row["destination_airport"] = ctx.rng.choice(ctx.unserved)
    row["mawb"] = ctx.fresh_mawb(ctx.group.prefix)
    return True


def _malformed_flight(ctx, row):
    carrier, number = ctx.group.carrier, ctx.group.flight[2:]
    five_digits = re.sub("[^0-9]", "", number).rjust(5, "0")  # one digit too many
    row["flight_number"] = ctx.rng.choice((f"{carrier}-{number}", "BR-32-X", f"{carrier}{number}/1", carrier[0], f"{carrier}{five_digits}"))
    row["mawb"] = ctx.fresh_mawb(ctx.group.prefix)
    return True


def _impossible_date(ctx, row):
    month, day = ctx.rng.choice(((2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31)))
    row["arrival_date"] = _date_text(ctx.group.arrival.year, month, day, ctx.group.date_style)
    row["mawb"] = ctx.fresh_mawb(ctx.group.prefix)
    return True


def _unreadable_date(ctx, row):
    day = ctx.group.arrival
    row["arrival_date"] = ctx.rng.choice((
        f"{day.month:02d}/{day.day:02d}/{day.year}",  # US order, not in the spec's list
        f"{day.day:02d}.{day.month:02d}.{day.year}",  # European order
        f"{day.day} {MONTHS[day.month - 1].title()} {day.year}",
        f"{day.year}.{day.month:02d}.{day.day:02d}",
    ))  # fmt: skip
    row["mawb"] = ctx.fresh_mawb(ctx.group.prefix)
    return True


def _invalid_country(ctx, row):
    column, bad = ctx.rng.choice((
        ("shipper_country", ("XX", "UK", "CHN", "PRC")),
        ("country_of_origin", ("EU", "XK", "ZZ", "China", "PRC")),
        ("consignee_country", ("USA", "CA", "United States")),
    ))  # fmt: skip
    row[column] = ctx.rng.choice(bad)
    return True


def _invalid_state(ctx, row):
    row["consignee_state"] = ctx.rng.choice(("ZZ", "XX", "GU", "Calif", "N.Y.", "NYC"))
    return True


def _malformed_zip(ctx, row):
    zip5 = row["consignee_zip"][:5]
    row["consignee_zip"] = ctx.rng.choice(("ABCDE", f"{zip5}1", f"{zip5[:4]}O", f"{zip5[:4]}-5678", f"{zip5}-12"))
    return True


def _malformed_hts(ctx, row):
    hts = row["hts_code"].replace(".", "")
    row["hts_code"] = ctx.rng.choice((hts[:8], f"{hts[:4]}.{hts[4:6]}", f"{hts}0", f"{hts[:4]}.{hts[4:6]}.{hts[6:8]}"))
    return True


def _vague_description(ctx, row):
    term = ctx.rng.choice(VAGUE_TERMS)
    row["description"] = ctx.rng.choice((term, term.title(), term.upper(), term.replace(" ", "  ")))
    return True


def _non_latin_text(ctx, row):
    column = ctx.rng.choice(("consignee_name", "description", "shipper_name", "consignee_city", "consignee_address1"))
    if column == "consignee_name":
        row[column] = ctx.rng.choice(("王伟", "李娜", f"{row[column]} (张敏)"))
    elif column == "description":
        # Word processors turn ' into a typographic apostrophe, which ACE does not take.
        curly = row[column].replace("'", "\u2019")
        row[column] = curly if curly != row[column] else ctx.rng.choice(("蓝牙耳机", "女士T恤", "陶瓷杯"))
    elif column == "shipper_name":
        row[column] = ctx.rng.choice(("深圳市明亮贸易有限公司", "义乌市星辰商贸有限公司"))
    elif column == "consignee_city":
        row[column] = ctx.rng.choice(("洛杉矶", "纽约", "旧金山"))
    else:
        # A Chinese input method types full-width digits.
        digits = str.maketrans("0123456789", "０１２３４５６７８９")
        row[column] = row[column].translate(digits)
    return True


def _invalid_pieces(ctx, row):
    row["pieces"] = ctx.rng.choice(("2.0", "0", "10000", "-1", "1.5", "two"))
    return True


def _invalid_weight(ctx, row):
    decimal_comma = row["weight"].replace(".", ",") if "." in row["weight"] else "1,5"
    row["weight"] = ctx.rng.choice((decimal_comma, "0", "0.000", "1.2345", "2.5e1", "-0.5", "1.5kg"))
    return True


def _invalid_weight_unit(ctx, row):
    row["weight_unit"] = ctx.rng.choice(("G", "GR", "OZ", "KGM", "lb."))
    return True


def _invalid_value(ctx, row):
    amount = float(row["value"].lstrip("$").replace(",", ""))
    row["value"] = ctx.rng.choice((f"{amount:.2f}".replace(".", ","), "-3", "0", "$ 30", "25 USD", "USD 25", "1.234,50"))
    return True


def _foreign_currency(ctx, row):
    row["currency"] = ctx.rng.choice(("EUR", "RMB", "CNY", "HKD", "US$", "TWD", "KRW"))
    return True


def _malformed_email(ctx, row):
    local = _ascii(row["consignee_name"]).lower().replace(" ", ".") or "buyer"
    spaced = local.replace(".", " ")
    row["consignee_email"] = ctx.rng.choice(("a@@b.com", f"{local}@example", f"{spaced}@example.com", f"{local}#example.com"))
    return True


DEFECTS = (
    Defect("blank required value", "R_REQUIRED", _blank_required, weight=3),
    Defect("malformed MAWB", "R_MAWB_FORMAT", _malformed_mawb),
    Defect("wrong MAWB check digit", "R_MAWB_CHECK_DIGIT", _wrong_check_digit),
    Defect("malformed HAWB", "R_HAWB_FORMAT", _malformed_hawb),
    Defect("HAWB repeated in its MAWB", "R_HAWB_DUPLICATE", _duplicate_hawb),
    Defect("malformed origin airport (own MAWB)", "R_AIRPORT", _malformed_origin),
    Defect("destination not served (own MAWB)", "R_AIRPORT", _unserved_destination),
    Defect("malformed flight number (own MAWB)", "R_FLIGHT", _malformed_flight),
    Defect("impossible calendar date (own MAWB)", "R_DATE", _impossible_date),
    Defect("date in an unknown format (own MAWB)", "R_DATE", _unreadable_date),
    Defect("invalid country code", "R_COUNTRY", _invalid_country),
    Defect("invalid state", "R_STATE", _invalid_state),
    Defect("malformed ZIP", "R_ZIP", _malformed_zip),
    Defect("HTS code not 10 digits", "R_HTS_FORMAT", _malformed_hts),
    Defect("vague description", "R_DESCRIPTION_VAGUE", _vague_description),
    Defect("non-Latin text", "R_NON_LATIN", _non_latin_text),
    Defect("invalid pieces", "R_PIECES", _invalid_pieces),
    Defect("malformed weight", "R_WEIGHT", _invalid_weight),
    Defect("unknown weight unit", "R_WEIGHT", _invalid_weight_unit),
    Defect("malformed value", "R_VALUE", _invalid_value),
    Defect("currency other than USD", "R_CURRENCY", _foreign_currency),
    Defect("malformed e-mail", "R_EMAIL", _malformed_email),
)


# --- The generator -------------------------------------------------------------------------


def _group_sizes(rng: random.Random, rows: int, mawbs: int | None) -> list[int]:
    if mawbs is None:
        sizes = []
        while rows > 0:
            size = min(rows, rng.randint(200, 500))
            sizes.append(size)
            rows -= size
        return sizes
    # `mawbs` consolidations of uneven size, each with at least one parcel.
    cuts = sorted(rng.sample(range(1, rows), mawbs - 1)) if mawbs > 1 else []
    return [b - a for a, b in zip([0, *cuts], [*cuts, rows], strict=True)]


class _MawbIssuer:
    """Hands out unique, valid MAWB numbers."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.issued: set[str] = set()

    def __call__(self, prefix: str) -> str:
        while True:
            serial = f"{self.rng.randrange(10**7):07d}"
            mawb = f"{prefix}{serial}{mawb_check_digit(serial)}"
            if mawb not in self.issued:
                self.issued.add(mawb)
                return mawb


def _consolidation(rng: random.Random, arrival: datetime.date, airports: list[str], issue: _MawbIssuer) -> Consolidation:
    origin = _weighted(rng, ORIGIN_WEIGHTS)
    prefix, carrier, _ = rng.choice([a for a in AIRLINES if origin in a[2]])
    mawb = issue(prefix)
    flight = _flight_number(rng, carrier)
    pool = SHIPPERS[origin]
    shippers = rng.sample(pool, rng.randint(1, min(4, len(pool))))
    mawb_text = rng.choices((mawb, f"{mawb[:3]}-{mawb[3:]}", f"{mawb[:3]} {mawb[3:]}"), weights=(80, 15, 5))[0]
    return Consolidation(
        prefix=prefix,
        carrier=carrier,
        mawb=mawb,
        origin=origin,
        destination=rng.choice(airports),
        flight=flight,
        arrival=arrival,
        # The first seller of a consolidation ships most of its parcels.
        shippers=shippers[:1] * 3 + shippers,
        mawb_text=mawb_text,
        flight_text=flight if rng.random() < 0.95 else f"{carrier} {flight[2:]}",
        date_style=_weighted(rng, DATE_STYLES),
        mixed=rng.random() < 0.05,
        weight_unit=rng.choices(("K", "KG", "kg", "LB", "L", ""), weights=(30, 30, 5, 15, 10, 10))[0],
        weight_decimals=rng.choices((2, 3, 1), weights=(70, 15, 15))[0],
        currency=rng.choices(("USD", "", "usd"), weights=(55, 35, 10))[0],
        dollar_sign=rng.random() < 0.05,
    )


def _shipment(rng: random.Random, group: Consolidation, book: ConsigneeBook, hawb: str) -> dict[str, str]:
    shipper = rng.choice(group.shippers)
    person, repeat = book.pick()
    return {
        **group.written(rng),
        "hawb": hawb,
        "shipper_name": shipper.name,
        "shipper_address": shipper.address,
        "shipper_city": shipper.city if rng.random() < 0.9 else "",
        "shipper_country": shipper.country,
        **_consignee_cells(rng, person, repeat),
        **_goods_cells(rng, group, shipper),
    }


def _hawb_numbers(prefix: str, seed: int):
    # Seed-derived digits between the prefix and the running number keep files of different
    # seeds apart, so one can upload several without R_HAWB_EXISTS.
    seed_digits = HAWB_LENGTH - len(prefix) - HAWB_INDEX_DIGITS
    seed_part = f"{seed % 10**seed_digits:0{seed_digits}d}" if seed_digits else ""
    index = 0
    while True:
        index += 1
        yield f"{prefix}{seed_part}{index:0{HAWB_INDEX_DIGITS}d}"


@dataclass
class GeneratedManifest:
    header: list[str]
    rows: list[list[str]]
    codes: list[set[str]]  # per row, the row-check codes a correct validator reports
    consolidations: int  # MAWBs as generated, before defects moved rows to MAWBs of their own


def manifest_rows(
    *,
    rows: int,
    arrival: datetime.date,
    defects: float = 0.0,
    seed: int = 0,
    airports: list[str] | None = None,
    mawbs: int | None = None,
    hawb_prefix: str = "GN",
) -> tuple[list[str], list[list[str]], list[set[str]]]:
    """Return the canonical header, the data rows and, per row, the row-check codes it must get."""
    manifest = manifest_generate(
        rows=rows, arrival=arrival, defects=defects, seed=seed, airports=airports, mawbs=mawbs, hawb_prefix=hawb_prefix
    )
    return manifest.header, manifest.rows, manifest.codes


def manifest_generate(
    *,
    rows: int,
    arrival: datetime.date,
    defects: float = 0.0,
    seed: int = 0,
    airports: list[str] | None = None,
    mawbs: int | None = None,
    hawb_prefix: str = "GN",
) -> GeneratedManifest:
    """Build a manifest: rows, expected codes and the number of consolidations.

    Every MAWB arrives on `arrival`; the codes hold for a validator whose "today" is at most 365
    days before it and which serves the destinations in `airports` (default LAX, SFO, JFK, ATL)
    but not the gateways used for unserved-destination defects (ORD, MIA, DFW, SEA, IAH, EWR).
    HAWBs are `hawb_prefix` (up to 6 letters or digits), digits from the seed and a running number.
    By default a consolidation holds 200–500 parcels; with `mawbs`, the rows are spread over
    exactly that many. A defect on a value the MAWB group is compared on (airports, flight, date)
    moves its row to a one-parcel MAWB of its own, on top of those; a malformed MAWB number makes
    a group of its own too.
    """
    if not 1 <= rows <= MAX_ROWS:
        raise ValueError(f"rows must be from 1 to {MAX_ROWS}")
    if not 0.0 <= defects <= 1.0:
        raise ValueError("defects must be a share from 0 to 1")
    if arrival < FIRST_ARRIVAL:
        raise ValueError(f"arrival must be on or after {FIRST_ARRIVAL} (the start of Entry Type 86)")
    if mawbs is not None and not 1 <= mawbs <= rows:
        raise ValueError("mawbs must be from 1 to the number of rows")
    if not re.fullmatch(f"[A-Za-z0-9]{{0,{HAWB_LENGTH - HAWB_INDEX_DIGITS}}}", hawb_prefix):
        raise ValueError(f"hawb_prefix must be up to {HAWB_LENGTH - HAWB_INDEX_DIGITS} ASCII letters or digits")
    airports = [code.strip().upper() for code in (airports or DEFAULT_AIRPORTS)]
    if not airports or any(len(code) != 3 or not (code.isascii() and code.isalpha()) for code in airports):
        raise ValueError("airports must be 3-letter codes")

    rng = random.Random(seed)
    issue = _MawbIssuer(rng)
    book = ConsigneeBook(rng)
    hawbs = _hawb_numbers(hawb_prefix.upper(), seed)
    unserved = [code for code in ("ORD", "MIA", "DFW", "SEA", "IAH", "EWR", "LAXX") if code not in {*airports, *DEFAULT_AIRPORTS}]
    kinds, weights = list(DEFECTS), [d.weight for d in DEFECTS]

    data: list[list[str]] = []
    codes: list[set[str]] = []
    sizes = _group_sizes(rng, rows, mawbs)
    for size in sizes:
        group = _consolidation(rng, arrival, airports, issue)
        ctx = DefectContext(rng=rng, group=group, earlier=[], keys=[], unserved=unserved, fresh_mawb=issue)
        for _ in range(size):
            row = _shipment(rng, group, book, next(hawbs))
            key = (row["mawb"], row["hawb"])
            expected: set[str] = set()
            if defects and rng.random() < defects:
                while True:
                    defect = rng.choices(kinds, weights=weights)[0]
                    if defect.apply(ctx, row):
                        break
                expected = {defect.code}
            else:
                ctx.earlier.append(row)
            if (row["mawb"], row["hawb"]) == key:
                ctx.keys.append(key)
            data.append([row[column] for column in COLUMNS])
            codes.append(expected)
    return GeneratedManifest(header=list(COLUMNS), rows=data, codes=codes, consolidations=len(sizes))


def write_manifest(
    path,
    *,
    header: list[str],
    rows: list[list[str]],
    xlsx: bool = False,
    encoding: str = "utf-8",
    chinese_headers: bool = False,
) -> None:
    """Write a header and rows as CSV in `encoding`, or as an .xlsx workbook (every cell text)."""
    if chinese_headers:
        header = [CHINESE_HEADERS.get(name, name) for name in header]
    path = Path(path)
    if xlsx:
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("Manifest")
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        workbook.save(path)
        return
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)

