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
    width_of,
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


# Wide and zero-width characters: a terminal shows an emoji or a CJK character in two columns, a
# combining mark or a variation selector in none.
WIDE_TEXTS = [
    "🗄️ Arkiv: inga raderingar loggade · ögonblicksbilder som ska tas: 0 och lite till",
    "✅ Bevakningen: inga luckor framöver, alla veckor har någon som har bevakningen",
    "日本語のテキストはとても長いのでここで折り返す必要があります。さらにもう少し",
    "Cafe\u0301 och re\u0301sume\u0301 " * 6,
    "👩\u200d👩\u200d👧 familjen 👩\u200d👩\u200d👧 " * 5,
    "👀" * 50,
]


def test_width_counts_terminal_columns() -> None:
    assert width_of("abc") == 3
    assert width_of("👀 ok") == 5 and width_of("🗄️") == 2 and width_of("⚠️") == 2
    assert width_of("日本") == 4
    assert width_of("e\u0301") == 1  # e and a combining acute accent: one column
    assert width_of("👩\u200d👩\u200d👧") == 2  # one family, joined
    assert width_of("\x1b[1mfet\x1b[22m \x01b\x02") == 5  # escapes and markers take none


def test_lines_with_wide_characters_fit_the_width() -> None:
    for width in (20, 24, 37, 60):
        for text in WIDE_TEXTS:
            lines = wrap(text, width)
            assert all(width_of(line) <= width for line in lines), (width, lines)
            # Nothing lost, and no character parted from its marks or joined sequence.
            assert "".join(lines).replace(" ", "") == text.replace(" ", "")
            assert not any(line[:1] in ("\u0301", "\u200d", "\ufe0f") for line in lines)


def test_an_emoji_line_is_wrapped_one_word_earlier() -> None:
    line = "👀 Your duty: Kommunikation now"  # 31 columns on screen, 30 characters
    assert len(line) == 30 and width_of(line) == 31
    assert wrap(line, 30) == ["👀 Your duty: Kommunikation", "now"]
    assert wrap(line, 31) == [line]


def test_fields_side_by_side_line_up_with_wide_characters() -> None:
    blocks = [
        SectionBlock(
            fields=[
                MarkdownTextObject(text="👀 Bevakning"),
                MarkdownTextObject(text="Kultur"),
                MarkdownTextObject(text="日本語"),
                MarkdownTextObject(text="Café"),
            ]
        ).to_dict()
    ]
    lines = render_blocks(blocks, NAMES, width=40).lines
    assert [
        width_of(line[: line.index(word)])
        for line, word in zip(lines, ("Kultur", "Café"), strict=True)
    ] == [21, 21]


def test_a_header_is_underlined_as_wide_as_it_shows_with_or_without_colour() -> None:
    for title, columns in (("Obesvarade frågor", 17), ("👀 Din bevakning", 16), ("日本語", 6)):
        block = HeaderBlock(text=title).to_dict()
        assert render_blocks([block], NAMES, width=60).lines == [title, "═" * columns]
        coloured = render_blocks([block], NAMES, width=60, style=Style(colour=True)).lines
        assert coloured[1] == "═" * columns and title in coloured[0]
    assert (
        render_blocks([HeaderBlock(text="👀" * 40).to_dict()], NAMES, width=50).lines[1] == "═" * 50
    )


def test_frames_are_as_wide_with_wide_characters() -> None:
    assert width_of(frame("DM to @Anna 日本 · Vakt 👀", "09:05", 80)) == 72
