"""The validators for credit codes, ID numbers, mobile numbers and project codes.

No database: these are pure checks of strings.
"""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from applications.validators import (
    USCC_ALPHABET,
    id_birth_date,
    id_check_char,
    uscc_check_char,
    validate_mobile,
    validate_project_code,
    validate_resident_id,
    validate_uscc,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ID_CHARS = "0123456789X"
# No deadline: a busy CI machine should not turn a slow example into a failure. (Hypothesis keeps
# its example database in .hypothesis/, which carries its own .gitignore.)
properties = settings(deadline=None)


def error_of(validator, value) -> tuple[str, str]:
    """The code and English message of the one error ``validator`` raises for ``value``."""
    with pytest.raises(ValidationError) as caught, translation.override("en"):
        validator(value)
    error = caught.value
    with translation.override("en"):
        (message,) = error.messages
    return error.code, message


# --- Unified social credit code ----------------------------------------------------------------

# Published codes, also in python-stdnum's test list of codes "found online": Tencent Technology
# (Shenzhen) Co., Ltd. (9144030071526726XG), stdnum's own documentation example, a code with
# letters in its organisation part, one whose check character is 0, and a public institution's
# (registration authority 1, not 9).
PUBLISHED_USCC = [
    "9144030071526726XG",
    "91110000600037341L",
    "91310115MA1K3BTP2B",
    "91620105L015101280",
    "121200004013590816",
]


@pytest.mark.parametrize("code", PUBLISHED_USCC)
def test_published_credit_codes_are_valid(code):
    validate_uscc(code)
    assert uscc_check_char(code[:17]) == code[17]


def test_the_credit_code_check_character_by_hand():
    # Sum 0 → 31 - 0 = 31 → 0.
    assert uscc_check_char("0" * 17) == "0"
    # 1·1 = 1 → 31 - 1 = 30 → Y, the last character of the alphabet.
    assert uscc_check_char("1" + "0" * 16) == "Y"
    # A = 10 at position 17 (weight 28): 280 % 31 = 1 → 30 → Y.
    assert uscc_check_char("0" * 16 + "A") == "Y"
    assert uscc_check_char("91110000600037341") == "L"


def test_a_credit_code_in_small_letters_is_accepted():
    validate_uscc("91310115ma1k3btp2b")
    validate_uscc("9144030071526726xg")


@pytest.mark.parametrize("bad", ["9144030071526726XG", "91440300715267", "", "12345"])
def test_the_credit_code_check_helper_wants_17_characters(bad):
    with pytest.raises(ValueError, match="17 characters"):
        uscc_check_char(bad)


@pytest.mark.parametrize("letter", "IOZSV")
def test_the_credit_code_check_helper_refuses_letters_outside_the_alphabet(letter):
    with pytest.raises(ValueError):
        uscc_check_char("9144030071526726" + letter)


@pytest.mark.parametrize(
    ("value", "length"),
    [("9144030071526726X", 17), ("9144030071526726XGG", 19), ("", 0), (" 9144030071526726XG", 19)],
)
def test_a_credit_code_of_the_wrong_length(value, length):
    assert error_of(validate_uscc, value) == (
        "uscc_length",
        f"A unified social credit code has 18 characters; this one has {length}.",
    )


@pytest.mark.parametrize(
    "value",
    [
        "9144030071526726IG",  # I
        "9144030O71526726XG",  # O
        "91440300715267Z6XG",  # Z
        "91440300715267S6XG",  # S
        "914403007152672VXG",  # V
        "91440300-7152676XG",
        "９１４４０３００７１５２６７２６ＸＧ",  # full-width: 18 characters, none of them ours
    ],
)
def test_a_credit_code_with_a_character_outside_the_alphabet(value):
    assert error_of(validate_uscc, value) == (
        "uscc_alphabet",
        "A unified social credit code uses digits and capital letters other than I, O, Z, S and V.",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("9144030071526726XH", "G"), ("91110000600037341M", "L"), ("121200004013590817", "6")],
)
def test_a_credit_code_with_a_wrong_check_character(value, expected):
    assert error_of(validate_uscc, value) == (
        "uscc_check",
        "The check character of this unified social credit code is wrong: "
        f"the last character should be {expected}.",
    )


def test_a_single_mistyped_character_is_caught():
    code = "9144030071526726XG"
    for i in range(17):
        for c in USCC_ALPHABET:
            if c != code[i]:
                typo = code[:i] + c + code[i + 1 :]
                assert error_of(validate_uscc, typo)[0] == "uscc_check"


@properties
@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17))
def test_any_prefix_with_its_check_character_is_valid_and_no_other(prefix):
    check = uscc_check_char(prefix)
    assert check in USCC_ALPHABET
    validate_uscc(prefix + check)
    for other in USCC_ALPHABET.replace(check, ""):
        code, message = error_of(validate_uscc, prefix + other)
        assert code == "uscc_check"
        assert message.endswith(f"should be {check}.")


# --- Resident ID number ------------------------------------------------------------------------

# The example in GB 11643-1999 (born 31 December 1949), and python-stdnum's examples.
PUBLISHED_IDS = ["11010519491231002X", "360426199101010071", "44011320141005001X"]


@pytest.mark.parametrize("number", PUBLISHED_IDS)
def test_published_id_numbers_are_valid(number):
    validate_resident_id(number)
    assert id_check_char(number[:17]) == number[17]


def test_the_id_check_character_by_hand():
    # (12 - sum % 11) % 11, 10 written X.
    assert id_check_char("0" * 17) == "1"  # sum 0: 12 % 11
    assert id_check_char("0" * 16 + "1") == "X"  # sum 1·2 = 2: 12 - 2 = 10
    assert id_check_char("0" * 16 + "5") == "2"  # sum 5·2 = 10: 12 - 10 = 2
    assert id_check_char("11010519491231002") == "X"


def test_a_small_x_is_accepted():
    validate_resident_id("11010519491231002x")


def test_the_birth_date_is_read_from_characters_7_to_14():
    assert id_birth_date("11010519491231002X") == dt.date(1949, 12, 31)
    assert id_birth_date("110105194902300020") is None


@pytest.mark.parametrize("bad", ["1101051949123100", "110105194912310021", "1101051949123100X"])
def test_the_id_check_helper_wants_17_digits(bad):
    with pytest.raises(ValueError, match="17 digits"):
        id_check_char(bad)


@pytest.mark.parametrize(
    ("value", "length"), [("11010519491231002", 17), ("11010519491231002XX", 19), ("", 0)]
)
def test_an_id_number_of_the_wrong_length(value, length):
    assert error_of(validate_resident_id, value) == (
        "id_length",
        f"A resident ID number has 18 characters; this one has {length}.",
    )


@pytest.mark.parametrize(
    "value",
    [
        "1101051949123100X2",  # X not last
        "11010519491231002Y",
        "A1010519491231002X",
        "110105-9491231002X",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits: str.isdigit() would take them
    ],
)
def test_an_id_number_that_is_not_17_digits_and_a_check_character(value):
    assert error_of(validate_resident_id, value) == (
        "id_format",
        "A resident ID number is 17 digits followed by a digit or X.",
    )


def with_check(first17: str) -> str:
    return first17 + id_check_char(first17)


@pytest.mark.parametrize(
    ("birth", "shown"),
    [
        ("19491301", "1949-13-01"),
        ("19490230", "1949-02-30"),
        ("19000229", "1900-02-29"),  # 1900 was no leap year
        ("19490001", "1949-00-01"),
        ("18991231", "1899-12-31"),  # before 1900
        ("18800101", "1880-01-01"),
    ],
)
def test_an_id_number_whose_birth_date_is_not_real(birth, shown):
    number = with_check(f"110105{birth}002")
    assert error_of(validate_resident_id, number) == (
        "id_birth_date",
        f"The birth date in this ID number ({shown}) is not a real date.",
    )


def test_the_common_1880_test_number_is_refused_for_its_birth_date():
    # 440524188001010014 has a right check character but a birth date before 1900.
    assert id_check_char("44052418800101001") == "4"
    assert error_of(validate_resident_id, "440524188001010014")[0] == "id_birth_date"


@pytest.mark.parametrize("birth", ["19000101", "20000229", "19491231"])
def test_birth_dates_at_the_edges_are_accepted(birth):
    validate_resident_id(with_check(f"110105{birth}002"))


def test_a_birth_date_after_today_is_refused_and_today_is_not():
    # 00:30 on 16 March in Shanghai is still 15 March in UTC: today is the center's day.
    with time_machine.travel(dt.datetime(2026, 3, 16, 0, 30, tzinfo=SHANGHAI), tick=False):
        validate_resident_id(with_check("33018520260316002"))
        assert error_of(validate_resident_id, with_check("33018520260317002")) == (
            "id_birth_date",
            "The birth date in this ID number (2026-03-17) is not a real date.",
        )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("110105194912310021", "X"), ("360426199101010070", "1"), ("36042619910102009X", "3")],
)
def test_an_id_number_with_a_wrong_check_character(value, expected):
    assert error_of(validate_resident_id, value) == (
        "id_check",
        f"The check character of this ID number is wrong: the last character should be {expected}.",
    )


@properties
@given(
    area=st.text(alphabet="0123456789", min_size=6, max_size=6),
    born=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31)),
    serial=st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_any_id_number_with_its_check_character_is_valid_and_no_other(area, born, serial):
    first17 = f"{area}{born:%Y%m%d}{serial}"
    check = id_check_char(first17)
    assert check in ID_CHARS
    validate_resident_id(first17 + check)
    assert id_birth_date(first17 + check) == born
    for other in ID_CHARS.replace(check, ""):
        code, message = error_of(validate_resident_id, first17 + other)
        assert code == "id_check"
        assert message.endswith(f"should be {check}.")


# --- Mobile number -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["13800000000", "13912345678", "15000000000", "19999999999"])
def test_mainland_mobile_numbers_are_accepted(value):
    validate_mobile(value)


@pytest.mark.parametrize(
    "value",
    [
        "12800000000",  # second digit 2
        "10000000000",
        "23800000000",  # not starting with 1
        "1380000000",  # 10 digits
        "138000000000",  # 12 digits
        "+8613800000000",
        "138-0000-0000",
        "138 0000 0000",
        "13800000000\n",
        "１３８００００００００",
        "",
    ],
)
def test_other_phone_numbers_are_refused(value):
    assert error_of(validate_mobile, value) == (
        "mobile",
        "Enter an 11-digit mainland mobile number, such as 13800000000.",
    )


# --- Project code ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["2026-330185-47-01-123456", "2000-110000-01-02-000001", "2100-650000-99-99-999999"],
)
def test_project_codes_are_accepted(value):
    validate_project_code(value)


@pytest.mark.parametrize(
    "value",
    [
        "1999-330185-47-01-123456",  # year before 2000
        "2101-330185-47-01-123456",  # year after 2100
        "26-330185-47-01-123456",
        "2026-33018-47-01-123456",
        "2026-330185-4-01-123456",
        "2026-330185-47-1-123456",
        "2026-330185-47-01-12345",
        "2026-330185-47-01-1234567",
        "202633018547011234 56",
        "2026330185470112345",
        "2026_330185_47_01_123456",
        "2026-330185-47-01-123456\n",
        "2026-33O185-47-01-123456",
        "",
    ],
)
def test_malformed_project_codes_are_refused(value):
    assert error_of(validate_project_code, value) == (
        "project_code",
        "A project code looks like 2026-330185-47-01-123456: year, division code, "
        "industry, type and serial number.",
    )
