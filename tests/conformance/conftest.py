"""Fixtures: a real `capz emulator serve` on loopback and SDK clients pointed at it.

The emulator serves plain HTTP here, so the SDK's bearer-token policy (which refuses
non-TLS URLs) is replaced by a no-op policy; everything else (pipeline, retry, LRO
pollers, deserializers, error mapping) is the SDK's own.
"""

import os
import subprocess
import tempfile
import uuid

import pytest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.mgmt.resource.resources.models import ResourceGroup

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"


class _NoCredential:
    """Never asked for a token: the authentication policy below is a no-op."""

    def get_token(self, *scopes, **kwargs):  # pragma: no cover - not called
        raise AssertionError("no token should be requested against the emulator")


# Every non-GET request the SDK sends is recorded here (`--record-requests`);
# test_request_bodies.py checks the bodies the emulator accepted against the ARM specs
# after every other test (marker `after_sdk_suite`).
RECORDING = os.path.join(tempfile.mkdtemp(prefix="capz-conformance-rec-"), "requests.jsonl")


def pytest_configure(config):
    config.addinivalue_line("markers", "after_sdk_suite: run after every other test")


def pytest_collection_modifyitems(items):
    items.sort(key=lambda item: item.get_closest_marker("after_sdk_suite") is not None)


@pytest.fixture(scope="session")
def emulator():
    binary = os.environ.get("CAPZ_BIN", "target/debug/capz")
    state = tempfile.mkdtemp(prefix="capz-conformance-")
    proc = subprocess.Popen(
        [binary, "emulator", "serve", "--addr", "127.0.0.1:0", "--state", state,
         "--time-scale", "0.0005", "--record-requests", RECORDING],
        stdout=subprocess.PIPE, text=True,
    )
    line = proc.stdout.readline().strip()
    assert line.startswith("listening on "), f"unexpected first line: {line!r}"
    yield line[len("listening on "):]
    proc.terminate()
    proc.wait(timeout=10)


def _client(cls, url, **kwargs):
    return cls(
        credential=_NoCredential(),
        subscription_id=SUBSCRIPTION,
        base_url=url,
        authentication_policy=SansIOHTTPPolicy(),
        polling_interval=0,
        **kwargs,
    )


@pytest.fixture(scope="session")
def resources(emulator):
    from azure.mgmt.resource.resources import ResourceManagementClient
    return _client(ResourceManagementClient, emulator)


@pytest.fixture(scope="session")
def network(emulator):
    from azure.mgmt.network import NetworkManagementClient
    return _client(NetworkManagementClient, emulator)


@pytest.fixture(scope="session")
def aks(emulator):
    from azure.mgmt.containerservice import ContainerServiceClient
    return _client(ContainerServiceClient, emulator)


@pytest.fixture(scope="session")
def privatedns(emulator):
    from azure.mgmt.privatedns import PrivateDnsManagementClient
    return _client(PrivateDnsManagementClient, emulator)


@pytest.fixture(scope="session")
def msi(emulator):
    from azure.mgmt.msi import ManagedServiceIdentityClient
    return _client(ManagedServiceIdentityClient, emulator)


@pytest.fixture
def group(resources):
    """A fresh resource group, deleted (with everything in it) afterwards."""
    name = f"conf-{uuid.uuid4().hex[:8]}"
    resources.resource_groups.create_or_update(name, ResourceGroup(location="eastus2"))
    yield name
    resources.resource_groups.begin_delete(name).result()
