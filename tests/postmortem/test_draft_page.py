"""The postmortem draft's page as a person writing it sees it: a checklist at the top of
exactly the gaps the draft leaves, each written section's form where the section stands in
the draft, and "Saved" beside the form that saved."""

from __future__ import annotations

import re
import urllib.parse

import aiohttp

from emulator import SlackEmulator
from tests.conftest import ALICE, CAROL
from tests.helpers.incidents import open_incident
from tests.helpers.web_view import browser, csrf_of, sign_in, web_warroom

PAGE = "/incidents/INC-1/postmortem"
_ITEM = re.compile(r'<li class="(done|todo)" data-(section|gap)="([\w-]+)">')


def checklist(page: str) -> dict[str, str]:
    """The checklist's items: done or todo, by section key (or the record gap's anchor)."""
    listed = page.split('<ul class="checklist">', 1)[1].split("</ul>", 1)[0]
    return {key: state for state, _, key in _ITEM.findall(listed)}


def article(page: str) -> str:
    return page.split('<article class="draft" id="draft">', 1)[1].split("</article>", 1)[0]


def form_of(page: str, key: str) -> str:
    return page.split(f'id="section-{key}"', 1)[1].split("</form>", 1)[0]


async def get(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as answer:
        assert answer.status == 200, await answer.text()
        return await answer.text()


async def save(http: aiohttp.ClientSession, url: str, key: str, text: str, csrf: str) -> str:
    """Save a section as its form does; where the answer sends the browser."""
    async with http.post(
        f"{url}{PAGE}/sections/{key}", data={"body": text, "csrf": csrf}, allow_redirects=False
    ) as answer:
        assert answer.status == 303, await answer.text()
        return answer.headers["Location"]


async def test_the_checklist_lists_exactly_the_drafts_gaps_and_each_form_stands_in_place(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with (
        web_warroom(slack, sqlite_url, incidents__postmortem_style="sre") as warroom,
        browser() as http,
    ):
        await open_incident(warroom)
        await sign_in(http, warroom, ALICE)
        page = await get(http, f"{warroom.url}{PAGE}")
        markdown = await get(http, f"{warroom.url}{PAGE}.md")
    # One h1: the draft's own title is a level below the page's.
    assert page.count("<h1") == 1
    # As many unticked items as the downloaded draft has gaps, none ticked yet.
    listed = checklist(page)
    assert set(listed.values()) == {"todo"}
    assert len(listed) == markdown.count("_To be written:") > 0
    # The sections a person writes here, and the record's gaps (set in Slack), by anchor.
    assert {"summary", "trigger", "went_well", "went_wrong", "got_lucky"} <= set(listed)
    assert "underlying_issue" not in listed  # SRE asks for it only beside the causes found
    draft = article(page)
    for key in listed:
        anchor = f'id="section-{key}"' if "-" not in key else f'id="{key}"'
        assert anchor in draft, f"{key}: its gap is not edited where it stands"
    # The summary's form comes right after its heading, before the next section's.
    summary = draft.split("<h3>Summary</h3>", 1)[1].split("<h3>", 1)[0]
    assert 'id="section-summary"' in summary and "To be written" in summary
    # The marks the page cuts the draft at are never in the draft people download.
    assert "WARROOMPLACE" not in markdown and "WARROOMPLACE" not in page


async def test_saving_a_section_confirms_beside_its_form_and_ticks_it(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with (
        web_warroom(slack, sqlite_url, incidents__postmortem_style="sre") as warroom,
        browser() as http,
    ):
        await open_incident(warroom)
        await sign_in(http, warroom, ALICE)
        before = await get(http, f"{warroom.url}{PAGE}")
        location = await save(
            http, warroom.url, "summary", "Checkout failed for 20 minutes.", csrf_of(before)
        )
        # Back to the section itself, where its confirmation is (its form folded under Edit).
        assert location == f"{PAGE}?saved=summary#place-summary"
        after = await get(http, f"{warroom.url}{urllib.parse.urljoin(PAGE, location)}")
        again = await get(http, f"{warroom.url}{PAGE}")
    assert after.count('role="status"') == 1
    assert 'role="status">Saved.' in after.split('id="place-summary"', 1)[1].split("</details>")[0]
    assert 'role="status"' not in again  # the confirmation is for the saving only
    ticked, unticked = checklist(after), checklist(before)
    assert ticked.pop("summary") == "done" and unticked.pop("summary") == "todo"
    assert ticked == unticked  # the rest is still left to write
    said = re.search(r'id="gaps-left">Written from the record; (\d+) gap', after)
    was = re.search(r'id="gaps-left">Written from the record; (\d+) gap', before)
    assert said and was and int(said[1]) == int(was[1]) - 1
    summary = article(after).split("<h3>Summary</h3>", 1)[1].split("<h3>", 1)[0]
    assert "Checkout failed for 20 minutes." in summary and "To be written" not in summary
    assert "Checkout failed for 20 minutes.</textarea>" in summary


async def test_only_the_incidents_people_get_the_forms_and_a_forged_token_saves_nothing(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    async with (
        web_warroom(slack, sqlite_url, incidents__postmortem_style="sre") as warroom,
        browser() as alice,
        browser() as carol,
    ):
        await open_incident(warroom)
        await sign_in(alice, warroom, ALICE)
        await sign_in(carol, warroom, CAROL)
        page = await get(alice, f"{warroom.url}{PAGE}")
        async with alice.post(
            f"{warroom.url}{PAGE}/sections/summary",
            data={"body": "Forged text", "csrf": "forged"},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 403
        assert "Forged text" not in await get(alice, f"{warroom.url}{PAGE}")
        # Carol is not in the incident's channel: the same checklist, no form to write with.
        seen = await get(carol, f"{warroom.url}{PAGE}")
    assert 'class="section-editor"' in page and 'class="section-editor"' not in seen
    assert checklist(seen) == checklist(page)
    assert "can write its sections" in seen


async def test_the_five_whys_are_one_section_to_write_not_five_facts_to_record(
    slack: SlackEmulator, sqlite_url: str
) -> None:
    """The Atlassian style lists five numbered "why?" gaps until someone writes the five
    whys: they are that one section's gap, written here, not facts recorded from Slack."""
    async with (
        web_warroom(slack, sqlite_url, incidents__postmortem_style="atlassian") as warroom,
        browser() as http,
    ):
        await open_incident(warroom)
        await sign_in(http, warroom, ALICE)
        page = await get(http, f"{warroom.url}{PAGE}")
        markdown = await get(http, f"{warroom.url}{PAGE}.md")
    listed = checklist(page)
    assert listed["five_whys"] == "todo"
    whys = article(page).split('id="place-five_whys"', 1)[1].split('id="section-five_whys"', 1)[0]
    assert whys.count("To be written: why?") == 4 and "why did the incident happen?" in whys
    recorded = page.split('<ul class="checklist">', 1)[1].split("</ul>", 1)[0]
    assert "why?" not in recorded
    # Every gap of the draft is on the checklist: the five whys' five are its one item.
    assert len(listed) == markdown.count("_To be written:") - 4
