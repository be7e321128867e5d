"""A sentence stored now and read later is translated when it is read, in the reader's language."""

from django.utils import translation

from calista.i18n import Text

HELD = Text("put on hold by %(agency)s", {"agency": "FDA"})


def test_it_is_shown_in_the_language_active_when_it_is_read():
    with translation.override("zh-hans"):
        assert str(HELD) == "被 FDA 扣留"
    with translation.override("en"):
        assert str(HELD) == "put on hold by FDA"


def test_a_parameter_that_is_a_text_is_translated_too_and_the_others_are_shown_as_they_are():
    told = Text("%(count)s shipment(s) %(what)s (MAWB %(mawbs)s)", {"count": 2, "what": HELD, "mawbs": "160-12345675"})
    with translation.override("zh-hans"):
        assert str(told) == "2 票货物被 FDA 扣留（主单号 160-12345675）"
    assert told.english() == "2 shipment(s) put on hold by FDA (MAWB 160-12345675)"


def test_it_is_stored_as_json_and_read_back_the_same():
    told = Text("%(count)s shipment(s) %(what)s (MAWB %(mawbs)s)", {"count": 2, "what": HELD, "mawbs": "160-12345675"})
    assert Text.from_json(told.to_json()) == told
    assert told.to_json()["params"]["what"] == {"msgid": "put on hold by %(agency)s", "params": {"agency": "FDA"}}


def test_a_plain_string_is_taken_as_a_message_id_and_translated_when_read():
    with translation.override("zh-hans"):
        assert str(Text.of("released by CBP")) == "已被 CBP 放行"


def test_a_sentence_the_catalog_does_not_know_is_shown_in_english_with_its_parameters():
    with translation.override("zh-hans"):
        assert str(Text("Nothing like %(this)s is translated", {"this": "that"})) == "Nothing like that is translated"


def test_a_stored_text_is_shown_in_the_readers_language_and_the_english_beside_it_when_there_is_none_or_it_cannot_be_read():
    with translation.override("zh-hans"):
        assert Text.shown(HELD.to_json(), english="put on hold by FDA") == "被 FDA 扣留"
        assert Text.shown(None, english="put on hold by FDA") == "put on hold by FDA"
        assert Text.shown({"params": {}}, english="put on hold by FDA") == "put on hold by FDA"
