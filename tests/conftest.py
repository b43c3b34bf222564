import pytest
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client
from pytest_django.fixtures import Settings

from briefs.models import Incident
from tests.factories import make_estimate, make_incident, make_user


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    # The production hasher is slow on purpose; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def empty_process_caches() -> None:
    # Rendered fragments and PDFs are keyed by incident pk, version and time; tests that freeze
    # the clock can reuse all three, so each test starts with this process's copies gone.
    caches["fragments"].clear()
    caches["pdfs"].clear()


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
def owner(db: None) -> User:
    return make_user("owner", first_name="Olivia", last_name="Owner")


@pytest.fixture
def collaborator(db: None) -> User:
    return make_user("collaborator")


@pytest.fixture
def outsider(db: None) -> User:
    return make_user("outsider")


@pytest.fixture
def incident(owner: User, collaborator: User) -> Incident:
    incident = make_incident(owner=owner)
    incident.collaborators.add(collaborator)
    make_estimate(incident, revenue_per_hour="48000", customers_affected=12500)
    return incident


@pytest.fixture
def owner_client(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(client: Client, outsider: User) -> Client:
    client.force_login(outsider)
    return client
