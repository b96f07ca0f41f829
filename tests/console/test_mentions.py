"""People typed by name in a console command become the markup Slack's mention picker sends."""

from __future__ import annotations

from bot.console.mentions import apply, channels, find, handles, special, user_markup

USERS = {
    "U0ANNA": "Anna Lindqvist",
    "U0ANNAB": "Anna Berg",
    "U0BJORN": "Björn Ek",
    "U0KARIN": "Karin Sjöberg",
}
ONE_ANNA = {k: v for k, v in USERS.items() if k != "U0ANNAB"}


def resolved(text: str, users: dict[str, str]) -> str:
    found = find(text, users)
    return apply(text, {m.start: m.users[0] for m in found if len(m.users) == 1}, users)


def test_a_first_name_a_full_name_and_an_id_are_the_person_as_slack_sends_them() -> None:
    for typed in ("@anna", "@Anna", "@Anna Lindqvist", "@anna lindqvist", "@U0ANNA", "@u0anna"):
        assert resolved(f"swap {typed} v49", ONE_ANNA) == "swap <@U0ANNA|anna> v49", typed
    assert user_markup("U0BJORN", ONE_ANNA) == "<@U0BJORN|björn>"


def test_the_longest_name_after_the_at_wins() -> None:
    assert resolved("team members komm @Anna Lindqvist @Björn Ek", ONE_ANNA) == (
        "team members komm <@U0ANNA|anna> <@U0BJORN|björn>"
    )
    # "@Anna Berg" is not a name here: Anna is meant, and "Berg" is the next word.
    assert resolved("@Anna Berg", ONE_ANNA) == "<@U0ANNA|anna> Berg"
    # With two Annas the full name tells them apart, the first name does not.
    assert resolved("@Anna Berg, @anna lindqvist.", USERS) == (
        "<@U0ANNAB|anna.berg>, <@U0ANNA|anna.lindqvist>."
    )
    assert handles(USERS)["U0BJORN"] == "björn"


def test_an_ambiguous_name_lists_who_it_can_be() -> None:
    [mention] = find("swap @anna v49", USERS)
    assert (mention.typed, mention.users) == ("anna", ("U0ANNA", "U0ANNAB"))
    assert (mention.start, mention.end) == (5, 10)


def test_an_unknown_name_lists_whom_it_may_be_for() -> None:
    [mention] = find("swap @lind v49", USERS)
    assert (mention.typed, mention.users, mention.candidates) == ("lind", (), ("U0ANNA",))
    [mention] = find("swap @An", USERS)
    assert mention.candidates == ("U0ANNA", "U0ANNAB")
    [mention] = find("swap @zorro.", USERS)
    assert mention.typed == "zorro" and mention.candidates == tuple(USERS)


def test_markup_mail_addresses_and_special_mentions_are_left_as_slack_would() -> None:
    text = "<@U0ANNA> <@U0ANNA|anna> anna@norberg.se @here"
    assert find(text, USERS) == []
    assert (
        special("ping @here and @Channel, not a@here") == "ping <!here> and <!channel>, not a@here"
    )


def test_a_known_channel_is_sent_as_markup() -> None:
    names = {"C0KOMM": "kommunikation", "C0KVAKT": "komm-vakt"}
    assert channels("team channel komm #komm-vakt", names) == (
        "team channel komm <#C0KVAKT|komm-vakt>"
    )
    assert channels("#nowhere <#C0KOMM> x.se/#kommunikation", names) == (
        "#nowhere <#C0KOMM> x.se/#kommunikation"
    )
