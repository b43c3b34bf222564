"""The access rules, written once as QuerySet methods, and the hand-written queries of the hot
paths proven to return what their ORM twins return.

Run on both databases: SQLite by default, PostgreSQL with DATABASE_URL set.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db.models import Count, Max, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from briefs.models import (
    LINK_FIELDS,
    LINK_INCIDENT_FIELDS,
    BriefKey,
    Incident,
    PdfDocument,
    PdfFailure,
    PdfKind,
    PdfSize,
    PdfStatus,
    ShareLink,
    ShareLinkGuesses,
    UpdatePromise,
)
from briefs.seed import make_incident, make_user
from briefs.services import share_link_create, share_link_revoke
from tests.factories import PASSWORD

CLIENT = "203.0.113.7"
MINUTE = 29_000_000


def brief_key_by_orm(
    user: AbstractBaseUser | AnonymousUser, public_id: uuid.UUID
) -> BriefKey | None:
    """`Incident.objects.brief_key_for` built with the ORM on `editable_by`: its twin."""
    newest_visit = (
        ShareLink.objects.filter(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(newest=Max("last_viewed_at"))
        .values("newest")
    )
    failed_pdf = PdfDocument.objects.filter(
        incident=OuterRef("pk"),
        kind=PdfKind.BRIEF,
        size=PdfSize.default(),
        status=PdfStatus.FAILED,
    )
    due_soon = UpdatePromise.objects.filter(
        due_at__lte=timezone.now() + timedelta(minutes=settings.REMINDER_LEAD_MINUTES),
        incident__in=Incident.objects.editable_by(user),
    ).order_by("due_at")
    rows = (
        Incident.objects.editable_by(user)
        .filter(public_id=public_id)
        .annotate(
            links_viewed_at=Subquery(newest_visit),
            pdf_failed_stamp=Coalesce(Subquery(failed_pdf.values("stamp")), Value("")),
            pdf_failure=Coalesce(Subquery(failed_pdf.values("failure")), Value("")),
            due_soonest=Subquery(due_soon.values("due_at")[:1]),
        )
        .order_by()
        .values_list(
            "pk",
            "version",
            "updated_at",
            "status",
            "links_viewed_at",
            "pdf_failed_stamp",
            "pdf_failure",
            "due_soonest",
        )[:1]
    )
    return next((BriefKey(*row) for row in rows), None)


def stamp_by_orm(user: AbstractBaseUser) -> tuple[int, datetime | None]:
    """`Incident.objects.stamp_for` built with the ORM on `editable_by`: its twin."""
    found = Incident.objects.editable_by(user).aggregate(n=Count("pk"), newest=Max("updated_at"))
    return found["n"], found["newest"]


def _read(found: tuple[ShareLink, int | None] | None) -> tuple[object, ...] | None:
    """What the executive views read of a link lookup's answer, as plain values."""
    if found is None:
        return None
    link, guesses = found
    return (
        link.pk,
        *(getattr(link, name) for name in LINK_FIELDS),
        *(getattr(link.incident, name) for name in LINK_INCIDENT_FIELDS),
        guesses,
    )


@dataclass
class World:
    owner: User
    collaborator: User
    outsider: User
    # An admin (issue 19): sees every incident without owning or sharing any.
    admin: User
    incidents: list[Incident]
    tokens: dict[str, str]


@pytest.fixture
def world(db: None) -> World:
    """Three incidents: the owner's, shared with a collaborator; the outsider's, shared with
    the owner; the outsider's alone. Links active, revoked and expired, some visited."""
    owner, collaborator, outsider = (
        make_user(username="owner", password=PASSWORD),
        make_user(username="collab", password=PASSWORD),
        make_user(username="outsider", password=PASSWORD),
    )
    admin = make_user(username="admin", password=PASSWORD, is_staff=True)
    now = timezone.now()
    shared = make_incident(owner=owner, title="Shared", time_zone="Europe/Paris")
    shared.collaborators.add(collaborator)
    theirs = make_incident(owner=outsider, title="Theirs, shared with the owner")
    theirs.collaborators.add(owner)
    private = make_incident(
        owner=outsider, title="Private", status="resolved", resolved_at=now - timedelta(minutes=3)
    )
    tokens = {}
    visited, tokens["active"] = share_link_create(incident=shared, created_by=owner, label="CEO")
    ShareLink.objects.filter(pk=visited.pk).update(
        last_viewed_at=now - timedelta(minutes=7), seen_sequence=4, view_count=2
    )
    _, tokens["other active"] = share_link_create(incident=private, created_by=outsider, label="VP")
    revoked, tokens["revoked"] = share_link_create(incident=theirs, created_by=owner, label="CFO")
    share_link_revoke(link=revoked)
    ShareLink.objects.filter(pk=revoked.pk).update(last_viewed_at=now - timedelta(minutes=1))
    _, tokens["expired"] = share_link_create(
        incident=theirs,
        created_by=owner,
        label="COO",
        valid_for=timedelta(hours=1),
        now=now - timedelta(hours=2),
    )
    tokens["wrong"] = "not-a-token"
    # The brief's default PDF failed for Shared; other documents' failures are not the page's.
    failed = {"status": PdfStatus.FAILED, "failure": PdfFailure.TIMEOUT}
    PdfDocument.objects.create(
        incident=shared, kind=PdfKind.BRIEF, size=PdfSize.default(), stamp="v2", **failed
    )
    other_size = PdfSize.LETTER if PdfSize.default() == PdfSize.A4 else PdfSize.A4
    PdfDocument.objects.create(incident=theirs, kind=PdfKind.BRIEF, size=other_size, **failed)
    PdfDocument.objects.create(incident=theirs, kind=PdfKind.RCA, size=PdfSize.default(), **failed)
    PdfDocument.objects.create(incident=private, kind=PdfKind.BRIEF, size=PdfSize.default())
    return World(owner, collaborator, outsider, admin, [shared, theirs, private], tokens)


def test_active_links_are_neither_revoked_nor_expired(world: World) -> None:
    now = timezone.now()
    active = ShareLink.objects.active(now)
    hashes = set(active.values_list("token_hash", flat=True))
    assert hashes == {ShareLink.hash_token(world.tokens[n]) for n in ("active", "other active")}
    # A link is expired from the instant of its expiry on.
    link = ShareLink.objects.get(token_hash=ShareLink.hash_token(world.tokens["active"]))
    assert not ShareLink.objects.active(link.expires_at).filter(pk=link.pk).exists()
    assert (
        ShareLink.objects.active(link.expires_at - timedelta(microseconds=1))
        .filter(pk=link.pk)
        .exists()
    )


def test_the_link_lookup_by_hand_returns_what_the_orm_returns(world: World) -> None:
    ShareLinkGuesses.objects.create(client=CLIENT, minute=MINUTE, misses=4)
    now = timezone.now()
    answers = {}
    for client in (CLIENT, "198.51.100.1"):
        for name, token in world.tokens.items():
            arguments = (ShareLink.hash_token(token), now)
            by_orm = ShareLink.objects.for_token(*arguments, client=client, minute=MINUTE)
            by_hand = ShareLink.objects.active_with_stamp(*arguments, client=client, minute=MINUTE)
            assert _read(by_hand) == _read(by_orm), (name, client)
            answers[name, client] = _read(by_hand)
    # Both outcomes occurred, and the lookups read real values, not empty ones.
    assert answers["revoked", CLIENT] is None and answers["expired", CLIENT] is None
    assert answers["wrong", CLIENT] is None
    found, unguessed = answers["active", CLIENT], answers["active", "198.51.100.1"]
    assert found is not None and found[-1] == 4  # this client's misses this minute
    assert unguessed is not None and unguessed[-1] is None and unguessed[:-1] == found[:-1]
    assert "Europe/Paris" in found and 4 in found[:-1]  # the time zone, the seen sequence
    other = answers["other active", CLIENT]
    assert other is not None and "resolved" in other and other[0] != found[0]


@pytest.mark.parametrize("who", ["owner", "collaborator", "outsider", "admin", "anonymous"])
def test_the_brief_key_by_hand_returns_what_the_orm_returns(world: World, who: str) -> None:
    user = AnonymousUser() if who == "anonymous" else getattr(world, who)
    keys = {}
    for incident in [*world.incidents, None]:
        public_id = incident.public_id if incident else uuid.uuid4()
        by_hand = Incident.objects.brief_key_for(user, public_id)
        assert by_hand == brief_key_by_orm(user, public_id)
        keys[incident.title if incident else "unknown"] = by_hand
    seen = {title for title, key in keys.items() if key is not None}
    expected = {
        "owner": {"Shared", "Theirs, shared with the owner"},
        "collaborator": {"Shared"},
        "outsider": {"Theirs, shared with the owner", "Private"},
        "admin": {"Shared", "Theirs, shared with the owner", "Private"},
        "anonymous": set(),
    }
    assert seen == expected[who]
    if "Shared" in seen:  # the newest visit of its links, read as an aware datetime
        shared = keys["Shared"]
        assert shared is not None and shared.links_viewed_at is not None
        assert (shared.pdf_failed_stamp, shared.pdf_failure) == ("v2", PdfFailure.TIMEOUT)
        assert timezone.is_aware(shared.links_viewed_at) and timezone.is_aware(shared.updated_at)
    if who == "outsider":  # a revoked link's visit counts too: it is listed on the page
        theirs = keys["Theirs, shared with the owner"]
        assert theirs is not None and theirs.links_viewed_at is not None
        # Another size's or the RCA's failure is not the brief page's.
        assert (theirs.pdf_failed_stamp, theirs.pdf_failure) == ("", "")


def test_the_dashboard_stamp_by_hand_returns_what_the_orm_returns(world: World) -> None:
    Incident.objects.filter(pk=world.incidents[1].pk).update(
        updated_at=timezone.now() + timedelta(hours=1)
    )
    stamps = {}
    for user in (
        world.owner,
        world.collaborator,
        world.outsider,
        world.admin,
        make_user(username="nobody", password=PASSWORD),
    ):
        stamps[user.username] = Incident.objects.stamp_for(user)
        assert stamps[user.username] == stamp_by_orm(user)
    counts = [stamps[name][0] for name in ("owner", "collab", "outsider", "admin", "nobody")]
    assert counts == [2, 1, 2, 3, 0]
    assert stamps["owner"][1] == stamps["outsider"][1] != stamps["collab"][1]


def test_a_miss_is_counted_once_per_call_and_past_minutes_are_cleared(db: None) -> None:
    ShareLinkGuesses.objects.create(client="old", minute=MINUTE - 1, misses=9)
    assert [ShareLinkGuesses.objects.count_miss(CLIENT, MINUTE) for _ in range(3)] == [1, 2, 3]
    assert ShareLinkGuesses.objects.count_miss("other", MINUTE) == 1
    assert list(ShareLinkGuesses.objects.misses(CLIENT, MINUTE)) == [3]
    assert not ShareLinkGuesses.objects.filter(client="old").exists()


def test_a_repeat_executive_visit_and_its_refresh_are_one_query_each(
    client: Client, world: World, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    url = f"/b/{world.tokens['active']}"
    assert client.get(url).status_code == 200  # the visit recorded: what it has seen moves on
    assert client.get(url).status_code == 200  # drawn for what this visit has seen
    # The link, its incident's stamp and the client's guesses: `active_with_stamp`.
    with django_assert_num_queries(1):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(1):
        refresh = client.get(f"{url}?fragment=live", headers={"HX-Request": "true"})
        assert refresh.status_code == 200
