"""The report pages: managers only, the hand-made club's figures in each table, each CSV download
exactly its table (formulas defused), a fixed number of queries whatever the rows, the period's
form errors, empty periods said in words, and hostile query strings never a server error."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from bookings.services import Override
from clubs.tests.factories import BranchFactory
from members.tests.factories import MemberFactory
from reports.pages import REPORTS
from reports.tests.data import NEW_YORK, a_class, a_facility, a_slot, at, book, mark

pytestmark = pytest.mark.django_db

SLUGS = [report.slug for report in REPORTS]
INDEX = "admin:reports_report_changelist"


def url(slug: str) -> str:
    return reverse(f"admin:reports_{slug}")


def period_query(club, **more) -> dict:
    return {"branch": club.branch.pk, "from": club.first.isoformat(), "to": club.last.isoformat(), **more}


def table_rows(response, key: str) -> list[list[str]]:
    table = next(table for table, _ in response.context["tables"] if table.key == key)
    return [list(table.columns)] + [list(row.cells) for row in table.rows]


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    return list(csv.reader(io.StringIO(response.content.decode())))


# --- who may read them -------------------------------------------------------------------------


@pytest.mark.parametrize("slug", [None, *SLUGS])
def test_managers_read_the_reports_and_the_front_desk_meets_the_403_page(manager_client, front_desk_client, slug):
    address = url(slug) if slug else reverse(INDEX)
    assert manager_client.get(address).status_code == 200
    refused = front_desk_client.get(address, {"csv": "subjects"})
    assert refused.status_code == 403
    assert "You may not open this page" in refused.content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(url("utilisation"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_admin_index_lists_reports_for_managers_only(manager_client, front_desk_client):
    index = manager_client.get(reverse("admin:index")).content.decode()
    assert 'href="/admin/reports/report/"' in index and ">Reports<" in index
    assert "/admin/reports/report/" not in front_desk_client.get(reverse("admin:index"), {"all": "1"}).content.decode()


def test_the_reports_index_links_each_report_with_the_period(manager_client, club):
    page = manager_client.get(reverse(INDEX), period_query(club)).content.decode()
    for report in REPORTS:
        assert f'href="{url(report.slug)}?branch={club.branch.pk}&amp;from={club.first}&amp;to={club.last}"' in page
        assert report.summary.replace("'", "&#x27;") in page


@pytest.mark.parametrize("page", ["add", "change", "history", "delete"])
def test_the_admins_own_addresses_of_the_model_lead_to_the_index(manager_client, front_desk_client, page):
    address = reverse(f"admin:reports_report_{page}", args=[] if page == "add" else ["anything"])
    assert manager_client.get(address)["Location"] == reverse(INDEX)
    assert front_desk_client.get(address).status_code == 403


# --- the figures, the tables and their CSV -----------------------------------------------------


def test_utilisation_table_and_heatmap(manager_client, club):
    response = manager_client.get(url("utilisation"), period_query(club))
    assert table_rows(response, "hours") == [
        ["Weekday", "Hour", "Sessions", "Places", "Booked", "Booked %", "Attended", "Attended %"],
        ["Mon", "07:00", "2", "4", "2", "50%", "2", "50%"],
        ["Mon", "18:00", "1", "2", "4", "200%", "2", "100%"],
        ["Sat", "07:00", "2", "4", "4", "100%", "2", "50%"],
        ["Every day", "Every hour", "5", "10", "10", "100%", "6", "60%"],
    ]
    assert table_rows(response, "subjects")[1:] == [
        ["Spin", "Class", "2", "4", "5", "125%", "3", "75%"],
        ["Sauna", "Facility", "3", "6", "5", "83%", "3", "50%"],
        ["Every facility and class", "", "5", "10", "10", "100%", "6", "60%"],
    ]
    page = response.content.decode()
    assert page.count('<svg class="report-chart"') == 1 and 'role="img"' in page
    # each cell's tooltip says it in words, on the branch's clock
    assert "Saturday 07:00–08:00: 2 sessions, 4 places, 4 booked (100%), 2 attended (50%)" in page
    assert "America/New_York, EST, then EDT" in page


def test_utilisation_of_one_class_coloured_by_attendance(manager_client, club):
    response = manager_client.get(url("utilisation"), period_query(club, subject="class:Spin", measure="attended"))
    assert table_rows(response, "hours")[1:] == [
        ["Mon", "07:00", "1", "2", "2", "100%", "2", "100%"],
        ["Sat", "07:00", "1", "2", "3", "150%", "1", "50%"],
        ["Every day", "Every hour", "2", "4", "5", "125%", "3", "75%"],
    ]
    page = response.content.decode()
    assert "Places attended of those offered: Spin" in page
    assert '<option value="class:Spin" selected>' in page


def test_an_unknown_subject_shows_everything_and_says_so(manager_client, club):
    response = manager_client.get(url("utilisation"), period_query(club, subject="class:Zumba"))
    assert len(table_rows(response, "hours")) == 5
    assert "That facility or class has nothing in this period" in response.content.decode()


def test_attendance_tables(manager_client, club):
    response = manager_client.get(url("attendance"), period_query(club))
    first_week = f"{club.first.day}–{club.day:%-d %b}"
    second_week = f"{club.day.day + 1}–{club.last:%-d %b}"
    assert table_rows(response, "weeks") == [
        ["Week", "Booked", "Attended", "No-show", "Late cancel", "Not marked", "Attended %", "No-show %",
         "Late cancel %"],
        [first_week, "5", "2", "1", "1", "1", "40%", "20%", "20%"],
        [second_week, "6", "4", "1", "0", "1", "67%", "17%", "0%"],
        ["Every week", "11", "6", "2", "1", "2", "55%", "18%", "9%"],
    ]  # fmt: skip
    assert table_rows(response, "subjects")[1:] == [
        ["Spin", "Class", "6", "3", "1", "1", "1", "50%", "17%", "17%"],
        ["Sauna", "Facility", "5", "3", "1", "0", "1", "60%", "20%", "0%"],
        ["Every facility and class", "", "11", "6", "2", "1", "2", "55%", "18%", "9%"],
    ]
    spin = manager_client.get(url("attendance"), period_query(club, subject="class:Spin"))
    assert table_rows(spin, "weeks")[1:] == [
        [first_week, "4", "1", "1", "1", "1", "25%", "25%", "25%"],
        [second_week, "2", "2", "0", "0", "0", "100%", "0%", "0%"],
        ["Every week", "6", "3", "1", "1", "1", "50%", "17%", "17%"],
    ]


def test_waitlists_table(manager_client, club):
    response = manager_client.get(url("waitlists"), period_query(club))
    assert table_rows(response, "subjects") == [
        ["Facility or class", "Kind", "Joined", "Promoted", "Promoted %", "Left the waitlist",
         "Still waiting at the start", "Median time to promotion", "Average time to promotion"],
        ["Spin", "Class", "3", "1", "33%", "1", "1", "3 h", "3 h"],
        ["Sauna", "Facility", "1", "0", "0%", "0", "1", "–", "–"],
        ["Every facility and class", "", "4", "1", "25%", "1", "2", "3 h", "3 h"],
    ]  # fmt: skip
    assert "3 joined, median 3 h" in response.content.decode()


def test_overrides_table(manager_client, club):
    response = manager_client.get(url("overrides"), period_query(club))
    assert table_rows(response, "staff") == [
        ["Staff member", "Reason", "Overrides", "Over capacity", "Entitlement only",
         "Places beyond capacity (average)", "Most beyond capacity", "Latest notes"],
        ["Morgan Lead", "All reasons", "2", "2", "0", "1.5", "2", "Physio referral · Guest of the owner"],
        ["Morgan Lead", "Medical or physio referral", "1", "1", "0", "2.0", "2", "Physio referral"],
        ["Morgan Lead", "VIP or guest of the club", "1", "1", "0", "1.0", "1", "Guest of the owner"],
        ["Jo Park", "All reasons", "1", "1", "0", "1.0", "1", "Double-booked by the desk"],
        ["Jo Park", "Correcting a staff mistake", "1", "1", "0", "1.0", "1", "Double-booked by the desk"],
        ["Everyone", "All reasons", "3", "3", "0", "1.3", "2",
         "Physio referral · Guest of the owner · Double-booked by the desk"],
    ]  # fmt: skip
    assert "2, up to 2 beyond capacity" in response.content.decode()


@pytest.mark.parametrize(
    ("slug", "keys"),
    [("utilisation", ["hours", "subjects"]), ("attendance", ["weeks", "subjects"]), ("waitlists", ["subjects"]),
     ("overrides", ["staff"])],
)  # fmt: skip
def test_each_csv_download_is_exactly_its_table(manager_client, club, slug, keys):
    query = period_query(club, subject="facility:Sauna") if slug != "overrides" else period_query(club)
    page = manager_client.get(url(slug), query)
    links = {table.key: link for table, link in page.context["tables"]}
    assert list(links) == keys
    for key in keys:
        download = manager_client.get(url(slug) + links[key])
        assert csv_rows(download) == table_rows(page, key)
        assert f"{slug}-{key}-harbourfront-{club.first}-{club.last}.csv" in download["Content-Disposition"]
        assert f'href="{links[key]}"'.replace("&", "&amp;") in page.content.decode()


def test_spreadsheet_formulas_in_names_and_notes_are_defused(manager_client, manager):
    branch = BranchFactory(name="=cmd", time_zone=NEW_YORK)
    day = datetime.date.today() + datetime.timedelta(days=10)
    pool = a_facility(branch, '=HYPERLINK("http://x")', capacity=1)
    slot = a_slot(pool, at(day, 9))
    klass = a_class(branch, "+SUM(A1)", at(day, 12), capacity=1)
    first, second = MemberFactory(home_branch=branch), MemberFactory(home_branch=branch)
    book(slot, first)
    book(slot, second, by=manager, override=Override("other", "-2+3"))
    book(klass, first)
    manager.first_name = "@boss"
    manager.save()
    query = {"branch": branch.pk, "from": day.isoformat(), "to": day.isoformat()}
    utilisation = csv_rows(manager_client.get(url("utilisation"), {**query, "csv": "subjects"}))
    assert [row[0] for row in utilisation[1:3]] == ["'+SUM(A1)", '\'=HYPERLINK("http://x")']
    staff = csv_rows(manager_client.get(url("overrides"), {**query, "csv": "staff"}))
    assert staff[1][0].startswith("'@boss") and staff[1][-1] == "'-2+3"
    assert "attachment" in manager_client.get(url("overrides"), {**query, "csv": "staff"})["Content-Disposition"]


# --- the period --------------------------------------------------------------------------------


def test_the_default_period_is_the_last_four_full_weeks_ending_yesterday_on_the_branchs_clock(
    manager_client, manager, club
):
    # 00:30 on a Tuesday in New York is Tuesday there (and already 05:30 in UTC): Monday, with the
    # Spin of the week after, ends the period
    tuesday = club.last + datetime.timedelta(days=2)
    with time_machine.travel(at(tuesday, 0, 30), tick=False):
        manager_client.force_login(manager)
        response = manager_client.get(url("utilisation"), {"branch": club.branch.pk})
    period = response.context["period"]
    assert (period.first, period.last) == (tuesday - datetime.timedelta(days=28), tuesday - datetime.timedelta(days=1))
    assert table_rows(response, "hours")[-1] == ["Every day", "Every hour", "6", "12", "13", "108%", "6", "50%"]


def test_the_first_active_branch_is_the_default_until_the_manager_chooses_one(manager_client, club):
    BranchFactory(name="Aardvark (closed)", time_zone=NEW_YORK, is_active=False)
    zebra = BranchFactory(name="Zebra Road", time_zone=NEW_YORK)
    assert manager_client.get(url("overrides")).context["period"].branch == club.branch
    manager_client.get(url("waitlists"), {"branch": zebra.pk})
    # remembered in the session: every report opens on it
    assert manager_client.get(url("overrides")).context["period"].branch == zebra
    assert manager_client.get(reverse(INDEX)).context["period"].branch == zebra


TOO_LONG = "A report covers at most 92 days (a quarter): shorten the period."


@pytest.mark.parametrize(
    ("query", "field", "error"),
    [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to", "The last day is before the first: swap them."),
        ({"from": "2026-01-01", "to": "2026-04-03"}, "to", TOO_LONG),  # 93 days
        ({"from": "9999-12-31"}, "from", "Pick a day from Sat 1 Jan 2000 to Tue 31 Dec 2999."),
        ({"to": "0001-01-01"}, "to", "Pick a day from Sat 1 Jan 2000 to Tue 31 Dec 2999."),
        ({"from": "12/31/2026"}, "from", "Enter a date as YYYY-MM-DD."),
        ({"branch": "not-a-branch"}, "branch", "Choose one of the listed branches."),
    ],
)
def test_a_period_that_cannot_be_is_a_form_error_and_no_figures(manager_client, club, query, field, error):
    response = manager_client.get(url("attendance"), {"branch": club.branch.pk, **query, "csv": "weeks"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert response.context["form"].errors[field] == [error]
    assert response.context["period"] is None and response.context["tables"] == []
    assert "Correct the period above to see the figures" in response.content.decode()


def test_a_quarter_is_the_longest_period(manager_client, club):
    query = {"branch": club.branch.pk, "from": "2026-01-01", "to": "2026-04-02"}
    response = manager_client.get(url("attendance"), query)
    assert response.context["period"].days == 92


def test_only_one_date_gives_four_weeks_from_or_to_it(manager_client, club):
    response = manager_client.get(url("waitlists"), {"branch": club.branch.pk, "from": club.first.isoformat()})
    assert response.context["period"].last == club.first + datetime.timedelta(days=27)
    response = manager_client.get(url("waitlists"), {"branch": club.branch.pk, "to": club.last.isoformat()})
    assert response.context["period"].first == club.last - datetime.timedelta(days=27)


@pytest.mark.parametrize(
    ("slug", "words"),
    [
        ("utilisation", "No slots or classes start at Quiet Street between"),
        ("attendance", "Nobody had a place booked at Quiet Street between"),
        ("waitlists", "Nobody joined a waitlist for a slot or class at Quiet Street between"),
        ("overrides", "Nobody booked beyond capacity or entitlement at Quiet Street between"),
    ],
)
def test_an_empty_period_says_so(manager_client, slug, words):
    branch = BranchFactory(name="Quiet Street", time_zone=NEW_YORK)
    response = manager_client.get(url(slug), {"branch": branch.pk})
    page = response.content.decode()
    assert words in page and "report-chart" not in page and "Download CSV" not in page


def test_no_branch_at_all_says_where_to_add_one(manager_client):
    page = manager_client.get(url("utilisation")).content.decode()
    assert "There is no branch yet" in page


# --- cost and hostile input --------------------------------------------------------------------


def more_of_everything(club, manager, count: int) -> None:
    """`count` more classes at the branch in the period, each full, with an override and a waitlist."""
    for number in range(count):
        klass = a_class(club.branch, f"Extra {number}", at(club.day + datetime.timedelta(days=2), 6 + number))
        people = [MemberFactory(home_branch=club.branch) for _ in range(4)]
        mark(book(klass, people[0]), "attended")
        book(klass, people[1])
        book(klass, people[2], by=manager, override=Override("vip", f"Guest {number}"))
        book(klass, people[3], waitlist=True)


# session, user, permissions (2), the branches, the report's one aggregate
QUERIES = 6


@pytest.mark.parametrize("more", [0, 6])
@pytest.mark.parametrize("slug", SLUGS)
def test_each_page_costs_a_fixed_number_of_queries(
    manager_client, manager, club, django_assert_num_queries, slug, more
):
    more_of_everything(club, manager, more)
    query = period_query(club)
    manager_client.get(url(slug), query)  # the branch is remembered now, not while counting
    with django_assert_num_queries(QUERIES):
        assert manager_client.get(url(slug), query).status_code == 200
    with django_assert_num_queries(QUERIES):
        manager_client.get(url(slug), {**query, "subject": "class:Spin"})
    table = "subjects" if slug != "overrides" else "staff"
    with django_assert_num_queries(QUERIES):
        assert manager_client.get(url(slug), {**query, "csv": table}).status_code == 200


def test_the_index_costs_a_fixed_number_of_queries(manager_client, club, django_assert_num_queries):
    manager_client.get(reverse(INDEX))
    with django_assert_num_queries(QUERIES - 1):
        manager_client.get(reverse(INDEX))


HOSTILE = ["%", "\x00", "9" * 5000, "9" * 20, "-1", "not-a-uuid", "9999-12-31", "2026-02-30", "class:", "class:\x00",
           "facility:" + "x" * 5000, "<script>"]  # fmt: skip
PARAMETERS = ["branch", "from", "to", "subject", "measure", "csv", "unknown"]


@pytest.mark.parametrize("slug", [None, *SLUGS])
def test_hostile_query_strings_never_answer_a_server_error(manager, front_desk, club, slug):
    address = url(slug) if slug else reverse(INDEX)
    for user in (manager, front_desk):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for parameter in PARAMETERS:
            for value in HOSTILE:
                response = client.get(address, {**period_query(club), parameter: value})
                assert response.status_code < 500, (user, parameter, value[:20], response.status_code)
        assert client.get(address, {"csv": "subjects", "from": "\x00"}).status_code < 500
