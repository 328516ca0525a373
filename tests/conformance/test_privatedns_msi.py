"""Private DNS zones, A record sets and virtual network links through azure-mgmt-privatedns
(2024-06-01); user-assigned identities and federated credentials through azure-mgmt-msi
(2024-11-30)."""

import threading

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.msi.models import FederatedIdentityCredential, Identity
from azure.mgmt.network.models import AddressSpace, VirtualNetwork
from azure.mgmt.privatedns.models import ARecord, PrivateZone, RecordSet, SubResource, VirtualNetworkLink


def test_zone_records_and_links(privatedns, network, group):
    vnet = network.virtual_networks.begin_create_or_update(group, "net", VirtualNetwork(
        location="eastus2", address_space=AddressSpace(address_prefixes=["10.0.0.0/16"]))).result()
    zone = privatedns.private_zones.begin_create_or_update(
        group, "capz.internal", PrivateZone(location="global", tags={"a": "b"})).result()
    assert zone.location == "global"
    assert zone.provisioning_state == "Succeeded"
    assert zone.number_of_record_sets == 1
    assert zone.max_number_of_record_sets == 5000

    rs = privatedns.record_sets.create_or_update(group, "capz.internal", "A", "api", RecordSet(
        ttl=300, a_records=[ARecord(ipv4_address="10.0.0.4")]))
    assert rs.fqdn == "api.capz.internal."
    assert rs.is_auto_registered is False
    assert rs.etag
    rs.ttl = 60
    assert privatedns.record_sets.create_or_update(group, "capz.internal", "A", "api", rs).ttl == 60
    assert [r.name for r in privatedns.record_sets.list_by_type(group, "capz.internal", "A")] == ["api"]

    link = privatedns.virtual_network_links.begin_create_or_update(
        group, "capz.internal", "net", VirtualNetworkLink(
            location="global", virtual_network=SubResource(id=vnet.id), registration_enabled=True)).result()
    assert link.virtual_network_link_state == "Completed"
    assert link.provisioning_state == "Succeeded"
    zone = privatedns.private_zones.get(group, "capz.internal")
    assert (zone.number_of_record_sets, zone.number_of_virtual_network_links,
            zone.number_of_virtual_network_links_with_registration) == (2, 1, 1)
    assert [z.name for z in privatedns.private_zones.list_by_resource_group(group)] == ["capz.internal"]

    with pytest.raises(HttpResponseError) as err:
        privatedns.private_zones.begin_delete(group, "capz.internal").result()
    assert err.value.status_code == 409

    privatedns.record_sets.delete(group, "capz.internal", "A", "api")
    with pytest.raises(ResourceNotFoundError):
        privatedns.record_sets.get(group, "capz.internal", "A", "api")
    privatedns.virtual_network_links.begin_delete(group, "capz.internal", "net").result()
    privatedns.private_zones.begin_delete(group, "capz.internal").result()
    with pytest.raises(ResourceNotFoundError):
        privatedns.private_zones.get(group, "capz.internal")


def test_zone_location_must_be_global(privatedns, group):
    with pytest.raises(HttpResponseError) as err:
        privatedns.private_zones.begin_create_or_update(
            group, "bad.internal", PrivateZone(location="eastus2")).result()
    assert err.value.error.code == "LocationNotAvailableForResourceType"


def test_identity_and_federated_credentials(msi, group):
    ident = msi.user_assigned_identities.create_or_update(group, "workload", Identity(location="eastus2"))
    assert ident.principal_id and ident.client_id and ident.tenant_id
    again = msi.user_assigned_identities.create_or_update(
        group, "workload", Identity(location="eastus2", tags={"a": "b"}))
    assert again.principal_id == ident.principal_id and again.tags == {"a": "b"}
    assert [i.name for i in msi.user_assigned_identities.list_by_resource_group(group)] == ["workload"]

    fic = msi.federated_identity_credentials.create_or_update(group, "workload", "aks-sa", FederatedIdentityCredential(
        issuer="https://oidc.example/issuer", subject="system:serviceaccount:ns:sa",
        audiences=["api://AzureADTokenExchange"]))
    assert fic.subject == "system:serviceaccount:ns:sa"
    assert [f.name for f in msi.federated_identity_credentials.list(group, "workload")] == ["aks-sa"]
    with pytest.raises(HttpResponseError) as err:
        msi.federated_identity_credentials.create_or_update(group, "workload", "no-subject", FederatedIdentityCredential(
            issuer="https://oidc.example/issuer", audiences=["api://AzureADTokenExchange"]))
    assert err.value.status_code == 400

    msi.federated_identity_credentials.delete(group, "workload", "aks-sa")
    with pytest.raises(ResourceNotFoundError):
        msi.federated_identity_credentials.get(group, "workload", "aks-sa")
    msi.user_assigned_identities.delete(group, "workload")
    with pytest.raises(ResourceNotFoundError) as err:
        msi.user_assigned_identities.get(group, "workload")
    assert err.value.error.code == "ResourceNotFound"


@pytest.fixture
def slow_msi():
    """An emulator at time scale 1 (a credential write is in flight for 2 s), for the
    concurrent-write rule the session emulator's tiny time scale cannot show."""
    import os
    import subprocess
    import tempfile

    from azure.core.pipeline.policies import SansIOHTTPPolicy
    from azure.mgmt.msi import ManagedServiceIdentityClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from azure.mgmt.resource.resources.models import ResourceGroup

    from conftest import SUBSCRIPTION, _NoCredential

    proc = subprocess.Popen(
        [os.environ.get("CAPZ_BIN", "target/debug/capz"), "emulator", "serve", "--addr", "127.0.0.1:0",
         "--state", tempfile.mkdtemp(prefix="capz-conformance-slow-"), "--time-scale", "1"],
        stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()[len("listening on "):]
    kw = dict(credential=_NoCredential(), subscription_id=SUBSCRIPTION, base_url=url,
              authentication_policy=SansIOHTTPPolicy(), polling_interval=0)
    ResourceManagementClient(**kw).resource_groups.create_or_update("slow", ResourceGroup(location="eastus2"))
    yield ManagedServiceIdentityClient(**kw)
    proc.terminate()
    proc.wait(timeout=10)


def test_concurrent_federated_credential_writes_conflict(slow_msi):
    slow_msi.user_assigned_identities.create_or_update("slow", "workload", Identity(location="eastus2"))

    def fic(subject):
        return FederatedIdentityCredential(issuer="https://oidc.example/issuer", subject=subject,
                                           audiences=["api://AzureADTokenExchange"])

    first = {}
    t = threading.Thread(target=lambda: first.setdefault("r", slow_msi.federated_identity_credentials.create_or_update(
        "slow", "workload", "first", fic("one"))))
    t.start()
    threading.Event().wait(0.4)
    with pytest.raises(HttpResponseError) as err:
        slow_msi.federated_identity_credentials.create_or_update("slow", "workload", "second", fic("two"))
    t.join()
    assert err.value.status_code == 409
    assert err.value.error.code == "ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity"
    assert first["r"].subject == "one"
    # one after the other is fine
    assert slow_msi.federated_identity_credentials.create_or_update(
        "slow", "workload", "second", fic("two")).subject == "two"
