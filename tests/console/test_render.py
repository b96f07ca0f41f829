"""The console's renderer: Block Kit and mrkdwn as readable text."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    ImageBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.console.render import (
    Button,
    Names,
    Style,
    frame,
    mrkdwn,
    render_blocks,
    render_message,
    size_text,
    wrap,
)

NAMES = Names(users={"U0ANNA": "Anna Lindqvist"}, channels={"C0KOMM": "kommunikation"})


def test_mrkdwn_mentions_channels_links_dates_and_emoji_read_as_text() -> None:
    text = (
        "*Vecka 48*: <@U0ANNA> har vakt i <#C0KOMM>, se <https://x.se/a|listan> "
        "eller <https://x.se/b>; <!date^1795421100^{date}|23 nov> :white_check_mark: "
        "&lt;ok&gt; :unknown_code: 09:15:00"
    )
    assert Style().finish(mrkdwn(text, NAMES)) == (
        "Vecka 48: @Anna Lindqvist har vakt i #kommunikation, se listan (https://x.se/a) "
        "eller https://x.se/b; 23 nov ✅ <ok> :unknown_code: 09:15:00"
    )


def test_unknown_ids_show_as_ids_and_labels_in_mentions_win() -> None:
    assert mrkdwn("<@U0NOBODY> <#C0X|allmänt> <!here>", NAMES) == "@U0NOBODY #allmänt @here"


def test_only_the_entities_slack_decodes_are_decoded() -> None:
    text = "`/vakt swap @bo &lt;week | from to&gt;` A &amp; B &amp;lt; &quot;x&quot; &#62;"
    assert mrkdwn(text, NAMES) == "`/vakt swap @bo <week | from to>` A & B &lt; &quot;x&quot; &#62;"


def test_bold_is_an_escape_on_a_terminal_and_plain_elsewhere() -> None:
    marked = mrkdwn("a *b* c and snake_case_word", NAMES)
    assert Style(colour=False).finish(marked) == "a b c and snake_case_word"
    assert Style(colour=True).finish(marked) == "a \x1b[1mb\x1b[22m c and snake_case_word"


def test_blocks_render_header_fields_context_divider_image_and_buttons() -> None:
    blocks = [
        HeaderBlock(text="Obesvarade frågor").to_dict(),
        SectionBlock(
            text=MarkdownTextObject(text="Hej <@U0ANNA>"),
            fields=[MarkdownTextObject(text="*Team*"), MarkdownTextObject(text="Kultur")],
        ).to_dict(),
        ContextBlock(elements=[MarkdownTextObject(text="svara senast fredag")]).to_dict(),
        DividerBlock().to_dict(),
        ImageBlock(image_url="https://x.se/c.png", alt_text="diagram").to_dict(),
        ActionsBlock(
            block_id="item:7",
            elements=[
                ButtonElement(text="Besvarad", action_id="item_answered", value="7"),
                ButtonElement(text="Öppna igen", action_id="item_reopen", value="7"),
            ],
        ).to_dict(),
    ]
    rendered = render_blocks(blocks, NAMES, width=60)
    assert rendered.lines[:2] == ["Obesvarade frågor", "═" * len("Obesvarade frågor")]
    assert rendered.lines[2] == "Hej @Anna Lindqvist"
    assert rendered.lines[3].startswith("Team") and rendered.lines[3].endswith("Kultur")
    assert rendered.lines[3].index("Kultur") == (60 - 2) // 2 + 2
    assert rendered.lines[4] == "  svara senast fredag"
    assert rendered.lines[5].startswith("────")
    assert rendered.lines[6] == "[image: diagram]"
    assert rendered.lines[7] == "[Besvarad] [Öppna igen]"
    assert [(b.text, b.action_id, b.value, b.block_id) for b in rendered.buttons] == [
        ("Besvarad", "item_answered", "7", "item:7"),
        ("Öppna igen", "item_reopen", "7", "item:7"),
    ]


def test_the_labeller_names_the_buttons_shown() -> None:
    block = ActionsBlock(
        elements=[ButtonElement(text="Besvarad", action_id="a", value=str(i)) for i in (1, 2)]
    ).to_dict()
    seen: list[str] = []

    def label(button: Button) -> str:
        seen.append(button.value or "")
        return f"{button.text}·{len(seen)}"

    assert render_blocks([block], NAMES, label=label).lines == ["[Besvarad·1] [Besvarad·2]"]
    assert seen == ["1", "2"]


def test_a_message_without_blocks_shows_its_text_wrapped() -> None:
    text = "ord " * 30
    lines = render_message(text, None, NAMES, width=40).lines
    assert all(len(line) <= 40 for line in lines) and len(lines) == 3


def test_wrapping_keeps_quotes_quoted_and_bullets_hanging() -> None:
    assert wrap("> " + "a " * 30, 20)[1].startswith("> ")
    assert wrap("• " + "b " * 30, 20)[1].startswith("  b")


def test_frames_files_and_colours() -> None:
    line = frame("#kommunikation · Vakt", "09:05", 80)
    assert line.startswith("── #kommunikation · Vakt · 09:05 ─") and len(line) == 72
    assert frame("x", "09:05", style=Style(colour=True)).startswith("\x1b[36m")
    assert [size_text(n) for n in (512, 34 * 1024, 3 * 1024 * 1024)] == ["512 B", "34 KB", "3.0 MB"]
