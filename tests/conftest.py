from collections.abc import Iterator

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client
from pytest_django.fixtures import Settings

from briefs.models import Incident, ShareLink
from briefs.seed import make_estimate, make_incident, make_user
from briefs.services import share_link_create
from tests.factories import PASSWORD


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    # The production hasher is slow on purpose; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_process_caches() -> None:
    # Rendered fragments are keyed by incident pk, version and time; tests that freeze the
    # clock can reuse all three, so each test starts with this process's copies gone.
    caches["fragments"].clear()


@pytest.fixture(autouse=True)
def private_pdf_storage(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    # Stored PDFs (briefs.pdf_documents) go to a folder of this test's own, not var/pdfs.
    location = tmp_path_factory.mktemp("pdfs")
    settings.STORAGES = {
        **settings.STORAGES,
        "pdfs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }


@pytest.fixture
def frozen(request: pytest.FixtureRequest) -> Iterator[time_machine.Traveller]:
    """The clock stopped at the test module's NOW: briefs state figures, durations and overdue
    updates as of the current minute. A module opts in for every test with
    `pytestmark = pytest.mark.usefixtures("frozen")`."""
    with time_machine.travel(request.module.NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def owner(db: None) -> User:
    return make_user(username="owner", password=PASSWORD, first_name="Olivia", last_name="Owner")


@pytest.fixture
def collaborator(db: None) -> User:
    return make_user(username="collaborator", password=PASSWORD)


@pytest.fixture
def outsider(db: None) -> User:
    return make_user(username="outsider", password=PASSWORD)


@pytest.fixture
def incident(owner: User, collaborator: User) -> Incident:
    incident = make_incident(owner=owner)
    incident.collaborators.add(collaborator)
    make_estimate(incident=incident, revenue_per_hour="48000", customers_affected=12500)
    return incident


@pytest.fixture
def executive_link(incident: Incident, owner: User) -> tuple[ShareLink, str]:
    """The owner's link for the CEO to `incident`: the row, and the token shown only once."""
    return share_link_create(incident=incident, created_by=owner, label="CEO")


@pytest.fixture
def executive_token(executive_link: tuple[ShareLink, str]) -> str:
    return executive_link[1]


@pytest.fixture
def owner_client(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(client: Client, outsider: User) -> Client:
    client.force_login(outsider)
    return client


@pytest.fixture(autouse=True)
def immediate_tasks(request: pytest.FixtureRequest, settings: Settings) -> None:
    # A test about a job's effect (a PDF stored after an update) runs it inside the call that
    # enqueues it. Tests marked `real_queue` (tests/test_worker.py) keep the database queue and
    # its real worker processes.
    if request.node.get_closest_marker("real_queue") is None:
        settings.TASKS = {
            "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
        }
