"""The plain-dict builders the hot answers use give exactly what slack_sdk's models give, for
any text (its own validation included: what a model refuses, the dicts never carry)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import (
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.slackkit import blocks as kit

# Any Unicode but the surrogates JSON cannot carry; up to past Slack's limits.
texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=3200)
short = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=75)


@given(texts)
def test_a_section_is_what_the_model_gives(text: str) -> None:
    assert kit.section_dict(text) == kit.section(text).to_dict()
    assert (
        kit.section_dict(text, "b-1") == SectionBlock(block_id="b-1", text=kit.md(text)).to_dict()
    )


@given(st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=400))
def test_a_header_is_what_the_model_gives(text: str) -> None:
    assert kit.header_dict(text) == HeaderBlock(text=text[:150]).to_dict()


@given(texts)
def test_a_context_is_what_the_model_gives(text: str) -> None:
    model = ContextBlock(elements=[MarkdownTextObject(text=text[: kit.SECTION_LIMIT])])
    assert kit.context_dict(text) == model.to_dict()


@given(short, st.sampled_from((None, "primary", "danger")))
def test_a_button_is_what_the_model_gives(label: str, style: str | None) -> None:
    model = ButtonElement(text=label, action_id="vakt.x", value="12", style=style)
    assert kit.button_dict(label, "vakt.x", "12", style) == model.to_dict()


@given(st.lists(st.text(max_size=900), min_size=1, max_size=12).map("\n".join))
def test_long_text_is_split_as_the_models_are(text: str) -> None:
    assert kit.section_dicts(text) == kit.dicts(kit.sections(text))
    assert kit.text_blocks(text) == kit.dicts(kit.sections(text))


def test_an_error_with_its_usage() -> None:
    assert kit.error_blocks("Bad <date>", "Write `/vakt away 2026-12-24`") == [
        {"type": "section", "text": {"type": "mrkdwn", "text": ":warning: Bad <date>"}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Write `/vakt away 2026-12-24`"}],
        },
    ]
    assert kit.error_blocks("Bad", None) == [kit.section(":warning: Bad").to_dict()]
